"""Wiring of Flask-Login, device sessions and CSRF checks into the app."""

import hmac
from collections.abc import Callable
from functools import partial, wraps

from flask import Flask, g, request, session
from flask_login import current_user

from server.auth import services
from server.auth.models import Role, User
from server.errors import ApiError
from server.extensions import login_manager
from server.transaction import keep_on_failure

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Signing in replaces whatever session the cookie had, so a client that lost its
# token can always start over. It is JSON-only, which a cross-site form cannot send.
CSRF_EXEMPT = frozenset({"auth.login"})
# Everything else under /api/ needs a signed-in user, checked before the body is
# parsed, so an anonymous caller learns nothing from validation messages.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "api-docs.openapi_json", "health.live", "health.ready"})


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    # "strong" would sign a phone out whenever its network (and so its IP) changes.
    login_manager.session_protection = None

    @login_manager.user_loader
    def _load(token: str) -> User | None:
        user = services.load_device_session(token)
        if user is None and services.wipe_required(token):
            g.wipe_required = True
        ds = user.device_session if user is not None else None
        if ds is not None and ds.slid:
            # The slide is committed with the request, or on its own if the request fails.
            keep_on_failure(partial(services.slide, ds.id, ds.last_seen_at, ds.expires_at))
            if ds.remember:
                # Renew the remember cookie along with the server record, so a phone in
                # daily use stays signed in. (Flask-Login's REMEMBER_COOKIE_REFRESH_EACH_
                # REQUEST would also hand a remember cookie to sessions that never asked.)
                session["_remember"] = "set"
        return user

    @login_manager.unauthorized_handler
    def _unauthorized():
        raise not_signed_in()

    @app.before_request
    def _require_sign_in():
        if (
            request.path.startswith("/api/")
            and request.endpoint not in PUBLIC_ENDPOINTS
            and request.method != "OPTIONS"
            and not current_user.is_authenticated
        ):
            raise not_signed_in()
        return None

    @app.before_request
    def _csrf_protect():
        """Cookie-authenticated writes must carry the device session's CSRF token.

        A cross-site page can make the browser send our cookies, but cannot read the
        token (it comes back only in JSON from login and /auth/me) or set a custom
        header without a CORS preflight, which we never grant.
        """
        if request.method in SAFE_METHODS or request.endpoint in CSRF_EXEMPT:
            return None
        if not current_user.is_authenticated:
            return None
        expected = current_user.device_session.csrf_token
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise ApiError(
                403,
                f"Missing or wrong {CSRF_HEADER} header; get the token from /api/v1/auth/me.",
                code="csrf_failed",
            )
        return None


def not_signed_in() -> ApiError:
    """The 401 for a request without a live session: `wipe_required` when the device
    was signed out by an admin or its user deactivated (the phone erases its local
    copy, docs/security.md), else `unauthorized` (sign in again, keep everything)."""
    if g.get("wipe_required"):
        return ApiError(
            401,
            "This device was signed out by an administrator or the account was "
            "deactivated: its local data must be erased.",
            code="wipe_required",
        )
    return ApiError(401, "Sign in first.", code="unauthorized")


def require_roles(*roles: Role) -> Callable:
    """Only signed-in users with one of these roles; others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                raise ApiError(403, "Your role may not do this.", code="forbidden")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def signed_in() -> Callable:
    return require_roles()
