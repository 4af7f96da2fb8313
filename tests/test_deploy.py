"""deploy/ agrees with the app: the compose file, the env example, nginx's headers and hops.

`nginx -t` runs on the proxy configuration when nginx is installed (`.ci/run` does not
need it: skipped, saying so, without it).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from config import Config, ProductionConfig
from server import webclient

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = DEPLOY / "nginx"


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "fieldbook.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_the_compose_file_runs_two_app_servers_a_worker_a_replica_and_the_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"app", "worker", "migrate", "db", "db-replica", "redis", "proxy"} <= set(services)
    assert services["app"]["deploy"]["replicas"] >= 2
    env = services["app"]["environment"]
    assert env["FIELDBOOK_ENV"] == "production"
    assert "@db:" in env["DATABASE_URL"]
    assert "@db-replica:" in env["DATABASE_REPLICA_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    # Every app process and the worker share the job files (exports made by the worker
    # are downloaded through any app server).
    for name in ("app", "worker"):
        assert "jobfiles:/var/lib/fieldbook/jobs" in services[name]["volumes"]
    assert services["worker"]["command"] == ["fieldbook", "jobs", "worker"]
    for mounted in services["proxy"]["volumes"] + services["db"]["volumes"]:
        source = mounted.split(":")[0]
        if source.startswith("./") and source != "./tls":
            assert (DEPLOY / source).exists(), source


def test_the_env_example_names_every_setting_production_reads(monkeypatch):
    example = _env_example()
    read = set(re.findall(r'environ(?:\.get\(|\[)"([A-Z_]+)"', (ROOT / "config.py").read_text()))
    read -= {"TEST_DATABASE_URL", "TEST_REDIS_URL", "RATELIMIT_STORAGE_URI"}
    assert read, "config.py reads no environment variable?"
    assert read <= set(example), read - set(example)
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as refused:
        ProductionConfig.check()
    required = re.findall(r"[A-Z_]{6,}", str(refused.value))
    assert required and set(required) <= set(example)


def test_the_proxy_hop_count_matches_what_nginx_sends():
    site = (NGINX / "fieldbook.conf").read_text()
    # nginx replaces X-Forwarded-For with the one address it saw: one hop to trust.
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", site)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["app"]["environment"]["FIELDBOOK_PROXY_HOPS"] == "1"
    assert _env_example()["FIELDBOOK_PROXY_HOPS"] == "1"


def _header(conf: str, name: str) -> str:
    found = re.search(rf'add_header {name} "([^"]*)" always;', conf)
    assert found, name
    return found.group(1)


def test_nginx_sends_the_apps_own_browser_protections_and_cache_rules(client):
    headers = (NGINX / "security-headers.conf").read_text()
    app_answer = client.get("/api/v1/openapi.json")
    for name in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
    ):
        assert _header(headers, name) == app_answer.headers[name], name
    assert _header(headers, "Content-Security-Policy") == Config.CONTENT_SECURITY_POLICY
    assert _header(headers, "Strict-Transport-Security") == ProductionConfig.HSTS
    static = (NGINX / "static.conf").read_text()
    assert f'add_header Cache-Control "{webclient._IMMUTABLE}";' in static
    assert static.count(f'add_header Cache-Control "{webclient._REVALIDATE}" always;') >= 4
    assert "gzip_static on;" in static and "brotli_static on;" in static


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_configuration(tmp_path: Path):
    included = tmp_path / "fieldbook"
    included.mkdir()
    for name in ("static.conf", "security-headers.conf", "upstream.conf"):
        text = (NGINX / name).read_text().replace("/etc/nginx/fieldbook/", f"{included}/")
        (included / name).write_text(text)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    site = (
        (NGINX / "fieldbook.conf")
        .read_text()
        .replace("/etc/nginx/fieldbook/", f"{included}/")
        .replace("/etc/ssl/fieldbook/fullchain.pem", str(cert))
        .replace("/etc/ssl/fieldbook/privkey.pem", str(key))
    )
    (tmp_path / "site.conf").write_text(site)
    brotli = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
    if not brotli.exists():
        static = included / "static.conf"
        static.write_text(static.read_text().replace("brotli_static on;", ""))
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    (tmp_path / "nginx.conf").write_text(
        (f"load_module {brotli};\n" if brotli.exists() else "")
        + f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        + "http {\n  include /etc/nginx/mime.types;\n"
        + f"  access_log off;\n  {temp}\n"
        + f"  uwsgi_temp_path {tmp_path / 'uwsgi'};\n  scgi_temp_path {tmp_path / 'scgi'};\n"
        + f"  include {tmp_path / 'site.conf'};\n}}\n"
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
