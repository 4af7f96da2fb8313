"""The built web client at / (server/webclient.py), from a stand-in dist folder."""

import gzip
from pathlib import Path

import pytest

INDEX = "<!doctype html><title>Fieldbook</title><div id=app></div>"
CONSOLE = "<!doctype html><title>Fieldbook 管理台</title><div id=console></div>"


def get(client, path: str, **kwargs):
    """GET `path`, read the whole body and close the file behind it."""
    response = client.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


@pytest.fixture
def dist(app, monkeypatch, tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "console.html").write_text(CONSOLE)
    (tmp_path / "assets" / "console").mkdir()
    (tmp_path / "assets" / "console" / "console-def456.js").write_text("console.log('console')")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('fieldbook')")
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "Fieldbook 客户经理"}')
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n")
    monkeypatch.setitem(app.config, "WEBCLIENT_DIST", str(tmp_path))
    return tmp_path


def test_root_serves_index_html_revalidated_every_time(client, dist):
    response = get(client, "/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == INDEX
    assert response.headers["Cache-Control"] == "no-cache"


def test_hashed_assets_are_cached_for_a_year(client, dist):
    response = get(client, "/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "console.log('fieldbook')"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest"])
def test_service_worker_and_manifest_are_revalidated(client, dist, path):
    response = get(client, path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_other_files_are_served_with_a_short_cache(client, dist):
    response = get(client, "/icons/icon-192.png")
    assert response.status_code == 200
    assert response.data == b"\x89PNG\r\n"
    assert response.headers["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize("path", ["/today", "/customers/42/visit", "/some/deep/page"])
def test_unknown_page_addresses_open_the_app(client, dist, path):
    response = get(client, path)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == INDEX
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/console", "/console/", "/console/assign", "/console/managers/42?period=this_month"]
)
def test_console_addresses_open_the_console_page(client, dist, path):
    response = get(client, path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == CONSOLE
    assert response.headers["Cache-Control"] == "no-cache"


def test_console_html_itself_is_revalidated(client, dist):
    response = get(client, "/console.html")
    assert response.get_data(as_text=True) == CONSOLE
    assert response.headers["Cache-Control"] == "no-cache"


def test_console_chunks_are_hashed_assets(client, dist):
    response = get(client, "/assets/console/console-def456.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert get(client, "/assets/console/console-old000.js").status_code == 404


def test_a_page_that_only_starts_like_the_console_is_the_phone_app(client, dist):
    assert get(client, "/consoles").get_data(as_text=True) == INDEX


def test_a_build_without_the_console_answers_404_there(client, dist):
    (dist / "console.html").unlink()
    assert get(client, "/console/assign").status_code == 404
    assert get(client, "/").status_code == 200


def test_a_missing_asset_is_a_404_not_the_app(client, dist):
    # An old page asking for a file of a replaced build must not get HTML as a script.
    assert get(client, "/assets/index-old999.js").status_code == 404


@pytest.mark.parametrize(
    ("path", "anonymous_code"),
    [
        ("/api", "not_found"),
        ("/api/v1/no-such-thing", "unauthorized"),
        ("/api/v2/customers", "unauthorized"),
    ],
)
def test_unknown_api_paths_stay_json_errors(client, auth, make_user, dist, path, anonymous_code):
    anonymous = get(client, path)
    assert anonymous.json["error"]["code"] == anonymous_code
    make_user(username="manager1")
    auth.login("manager1")
    signed_in = get(client, path)
    assert signed_in.status_code == 404
    assert signed_in.json["error"]["code"] == "not_found"


def test_api_routes_still_answer(client, dist):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["info"]["title"] == "Fieldbook API"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_without_a_build_the_root_says_how_to_build_it(app, client, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "WEBCLIENT_DIST", str(tmp_path / "missing"))
    response = get(client, "/")
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert "run ./dev demo, which builds the web client" in response.get_data(as_text=True)
    assert get(client, "/customers").status_code == 503


def test_scripts_go_out_gzipped(client, dist):
    (dist / "assets" / "big-abc.js").write_text("const fieldbook = 1;\n" * 500)
    response = get(client, "/assets/big-abc.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).decode() == "const fieldbook = 1;\n" * 500
