"""The web client (webclient/dist, built by `npm run build`): the phone app at /, the
console for leads and admins at /console (a second page of the same build).

Cache rules: files under /assets/ have content hashes in their names, so browsers may
keep them for a year; everything that names them (index.html, the service worker, the
manifest) is revalidated on every load, or a phone would never see a new version.
"""

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, send_from_directory

blp = Blueprint("webclient", __name__)

_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"
_SHORT = "public, max-age=86400"


def _dist() -> Path:
    return Path(current_app.config["WEBCLIENT_DIST"])


def _send(dist: Path, name: str, cache_control: str) -> Response:
    response = send_from_directory(dist, name)
    response.headers["Cache-Control"] = cache_control
    # Flask-Compress gzips only bodies in memory (streamed files get no gzip); scripts
    # and styles are small enough to read whole, and gzip cuts them to a third.
    if response.mimetype in current_app.config["COMPRESS_MIMETYPES"]:
        response.direct_passthrough = False
        response.make_sequence()
    return response


@blp.get("/", defaults={"path": ""})
@blp.get("/<path:path>")
def client(path: str):
    """A file of the built client, or index.html for any other page address."""
    # The catch-all must not answer for the API: an unknown API path stays a JSON 404.
    if path == "api" or path.startswith("api/"):
        abort(404)
    dist = _dist()
    if not (dist / "index.html").is_file():
        return Response(
            "The web client is not built: run ./dev demo, which builds the web client.\n",
            status=503,
            mimetype="text/plain",
        )
    if path and (dist / path).is_file():
        if path.startswith("assets/"):
            return _send(dist, path, _IMMUTABLE)
        if path in ("sw.js", "manifest.webmanifest", "index.html", "console.html"):
            return _send(dist, path, _REVALIDATE)
        return _send(dist, path, _SHORT)
    # A missing hashed file is an old version's: answering HTML would break the script.
    if path.startswith("assets/"):
        abort(404)
    # The console routes its own addresses (history API): any page under it is its page.
    if path == "console" or path.startswith("console/"):
        if not (dist / "console.html").is_file():
            abort(404)
        return _send(dist, "console.html", _REVALIDATE)
    return _send(dist, "index.html", _REVALIDATE)
