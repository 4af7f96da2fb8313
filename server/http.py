"""What every HTTP exchange gets, whatever the route: browser protections on each
answer, and checks on each API request before a view parses it.

Answers: a Content-Security-Policy (no inline or foreign scripts, no plugins, no
framing, no <base>), nosniff, no referrer, HSTS in production (config `HSTS`), and
`Cache-Control: no-store` on everything under /api/: its answers carry personal data
that must not stay in a shared or disk cache. A dozen headers do not need a library
(flask-talisman is unmaintained); their values live in config.py.

Requests under /api/:
- a body on a write must be JSON (415 otherwise), unless the view declares other
  media types with `accepts` (CSV imports). Without this, a text/plain or form body
  parsed as "no JSON fields" and a PATCH answered 200 having saved nothing;
- a JSON body nested deeper than `JSON_MAX_DEPTH` is refused (400) before it is
  parsed: Python's parser recurses, and 1,000 levels ended in a RecursionError (500);
- U+0000 in any string of the body or the query string (an upload's field values and
  file names too) is refused with a field error (422): PostgreSQL cannot store it in
  text or jsonb.
- NaN and Infinity, which Python's parser takes but JSON does not have, make the body
  malformed (400): a sync push kept such arguments and PostgreSQL refused to store
  them, a 500 for the whole push (found by tests/test_properties_validators.py).
"""

import re
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request

from server.errors import ApiError, invalid_fields

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
FORMS = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
NUL = "\x00"
NUL_MESSAGE = "Must not contain the NUL character (U+0000)."

_ACCEPTS = "_fieldbook_accepts"
_OWN_NUL_CHECK = "_fieldbook_own_nul_check"

View = TypeVar("View", bound=Callable[..., Any])


def accepts(*media_types: str) -> Callable[[View], View]:
    """Declare the body media types a write takes instead of JSON (e.g. CSV uploads).

    Put it under the blueprint's route decorator, so the registered view carries it.
    """

    def decorator(view: View) -> View:
        setattr(view, _ACCEPTS, frozenset(media_types))
        return view

    return decorator


def checks_nul_per_item(view: View) -> View:
    """The view checks U+0000 itself, item by item (`nul_fields`).

    The sync push: one bad mutation must be refused alone, not the whole batch, or the
    phone's outbox would resend it for ever.
    """
    setattr(view, _OWN_NUL_CHECK, True)
    return view


def nul_fields(value: Any, path: str = "") -> dict[str, list[str]]:
    """The dotted paths of the strings (and keys) in a JSON value that contain U+0000."""
    return {name: [NUL_MESSAGE] for name in _nul_paths(value, path)}


def _nul_paths(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield path or "_schema"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                yield path or "_schema"
            else:
                yield from _nul_paths(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, f"{path}.{index}" if path else str(index))


# A JSON string literal; what is left outside them holds the structure.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body: bytes, limit: int) -> int:
    """How deep a JSON text nests arrays and objects, counted up to `limit` + 1.

    Linear and without recursion, so it can run before the (recursive) parser does.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return 0  # cannot be deeper: most bodies stop here
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    deepest = 0
    for depth in accumulate(_STEP[b] for b in brackets):
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def _too_large() -> bool:
    """Left to the view, which says what the limit is (werkzeug would just refuse)."""
    limit = request.max_content_length
    return limit is not None and (request.content_length or 0) > limit


def _view() -> Callable | None:
    return current_app.view_functions.get(request.endpoint or "")


def check_api_request() -> None:
    """Refuse what no API view should ever be handed (see the module's docstring)."""
    if not request.path.startswith("/api/"):
        return
    bad = {
        key: [NUL_MESSAGE] for key, values in request.args.lists() if NUL in key + "".join(values)
    }
    if bad:
        raise invalid_fields(bad)
    if request.method not in WRITE_METHODS or not _has_body():
        return
    view = _view()
    accepted = getattr(view, _ACCEPTS, None)
    if accepted is not None and request.mimetype in accepted:
        # An upload's form fields and file names end up in rows too (an import's
        # reason, its audit record); its content is the view's to check.
        if request.mimetype in FORMS and not _too_large():
            parts = [(k or "", "".join(v)) for k, v in request.form.lists()]
            parts += [(k or "", f.filename or "") for k, f in request.files.items(multi=True)]
            bad = {key: [NUL_MESSAGE] for key, value in parts if NUL in key + value}
            if bad:
                raise invalid_fields(bad)
        return
    if not request.is_json:
        kinds = ", ".join(sorted({JSON, *(accepted or ())}))
        raise ApiError(
            415,
            f"Send the body as {kinds} (Content-Type), not {request.mimetype or 'untyped'}.",
        )
    limit = current_app.config["JSON_MAX_DEPTH"]
    if json_depth(request.get_data(cache=True), limit) > limit:
        raise ApiError(
            400, f"The JSON body is nested more than {limit} levels deep.", code="too_deep"
        )
    if has_non_json_number(request.get_data(cache=True)):
        raise ApiError(400, "The body is not valid JSON: NaN and Infinity are not JSON numbers.")
    if getattr(view, _OWN_NUL_CHECK, False):
        return
    body = request.get_json(silent=True)  # malformed JSON is the parser's 400, later
    bad = nul_fields(body)
    if bad:
        raise invalid_fields(bad)


def secure_headers(response: Response) -> Response:
    """The browser protections every answer carries."""
    config = current_app.config
    headers = response.headers
    headers.setdefault("Content-Security-Policy", config["CONTENT_SECURITY_POLICY"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", config["REFERRER_POLICY"])
    headers.setdefault("X-Frame-Options", "DENY")  # browsers older than frame-ancestors
    if config["HSTS"]:
        headers.setdefault("Strict-Transport-Security", config["HSTS"])
    if request.path.startswith("/api/"):
        headers["Cache-Control"] = "no-store"
    return response


def has_non_json_number(body: bytes) -> bool:
    """NaN or Infinity outside a string: Python's parsers (Flask's, webargs') take them."""
    if b"NaN" not in body and b"Infinity" not in body:
        return False  # most bodies stop here
    return re.search(rb"NaN|Infinity", _STRING.sub(b"", body)) is not None


def init_app(app: Flask) -> None:
    # After the sign-in and CSRF checks (auth.security): an anonymous caller gets 401
    # whatever it sent.
    app.before_request(check_api_request)
    app.after_request(secure_headers)
