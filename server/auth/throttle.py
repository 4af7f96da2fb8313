"""Sign-in throttling (Flask-Limiter): refused attempts per username and per address.

Only refused sign-ins count (401, 423), so an office of managers behind one address
signing in each morning is never slowed down, while guessing is. The counters live
in RATELIMIT_STORAGE_URI: Redis when the app has one (production requires it), so
that every gunicorn worker counts against the same numbers; memory for the demo.

Each app gets a Limiter of its own (Flask-Limiter keeps one storage per Limiter),
applied to the sign-in view when the app is built.

The client address is `request.remote_addr`; behind a reverse proxy, PROXY_HOPS makes
werkzeug's ProxyFix take it from that many X-Forwarded-For entries (server/__init__.py).
"""

import time
from typing import Any, cast

from flask import Flask, current_app, request
from flask.wrappers import Response
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from server.errors import error_response

THROTTLED_ENDPOINTS = ("auth.login",)
_EXTENSION = "fieldbook_throttle"


def client_address() -> str:
    return request.remote_addr or "unknown"


def submitted_username() -> str:
    body = request.get_json(silent=True)
    username = body.get("username") if isinstance(body, dict) else None
    return username[:40] if isinstance(username, str) and username else "-"


def _refused(response: Response) -> bool:
    return response.status_code in (401, 423)


def init_app(app: Flask) -> None:
    limiter = Limiter(key_func=client_address)
    limiter.init_app(app)
    app.extensions[_EXTENSION] = limiter
    per_account = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=lambda: "account:" + submitted_username(),
        deduct_when=_refused,
        scope="sign-in-account",
    )
    per_address = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        key_func=lambda: "address:" + client_address(),
        deduct_when=_refused,
        scope="sign-in-address",
    )
    for endpoint in THROTTLED_ENDPOINTS:
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = cast(Any, per_address(per_account(view)))

    @app.errorhandler(RateLimitExceeded)
    def _too_many(err: RateLimitExceeded):
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - time.time())) if current else 60
        response, status = error_response(
            429,
            f"Too many refused sign-ins; try again in {wait} seconds.",
            code="too_many_attempts",
            retry_after=wait,
        )
        response.headers["Retry-After"] = str(wait)
        return response, status


def limiter_of(app: Flask) -> Limiter:
    """The app's Limiter (tests reset its counters)."""
    return app.extensions[_EXTENSION]
