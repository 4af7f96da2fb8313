from flask import request
from flask_login import current_user, login_user, logout_user
from flask_smorest import Blueprint

from server.auth import services
from server.auth.schemas import LoginSchema, PasswordChangeSchema, SessionSchema
from server.auth.security import signed_in

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in and sessions")


def _session_payload(user):
    ds = user.device_session
    return {
        "user": user,
        "csrf_token": ds.csrf_token,
        "remember": ds.remember,
        "expires_at": ds.expires_at,
    }


@blp.post("/login")
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(401, description="Wrong username or password (`invalid_credentials`).")
@blp.alt_response(423, description="Locked after too many wrong passwords (`account_locked`).")
@blp.alt_response(429, description="Too many refused sign-ins (`too_many_attempts`).")
def login(args):
    """Sign in; returns the user and the CSRF token for later writes.

    Refused: 401 `invalid_credentials`; 423 `account_locked` (with `locked_until`) after
    too many wrong passwords in a row; 429 `too_many_attempts` (with `retry_after`)
    when this username or this address is refused too often."""
    user = services.authenticate(args["username"], args["password"])
    if current_user.is_authenticated:
        services.end_device_session(current_user.device_session)
    services.start_device_session(
        user, remember=args["remember"], user_agent=request.headers.get("User-Agent")
    )
    login_user(user, remember=args["remember"])
    return _session_payload(user)


@blp.post("/logout")
@blp.response(204)
@signed_in()
def logout():
    """End this device's session; its cookies stop working everywhere."""
    services.end_device_session(current_user.device_session)
    logout_user()


@blp.get("/me")
@blp.response(200, SessionSchema)
@signed_in()
def me():
    """The signed-in user and this device's CSRF token."""
    return _session_payload(current_user)


@blp.post("/password")
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.alt_response(423, description="Locked after too many wrong passwords (`account_locked`).")
@signed_in()
def change_password(args):
    """Change your own password; your other devices are signed out, this one stays."""
    services.change_own_password(current_user, args["current_password"], args["new_password"])
