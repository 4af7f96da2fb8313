"""GET /: what this server is and where to start, until a web client serves the root."""

from flask import Blueprint

blp = Blueprint("home", __name__)


@blp.get("/")
def index():
    """A signpost for someone who opens the server's address in a browser."""
    return {
        "name": "Fieldbook",
        "description": "The workbench of telecom account managers (客户经理) and their team leads.",
        "api": "/api/v1",
        "openapi": "/api/v1/openapi.json",
        "sign_in": {
            "method": "POST",
            "path": "/api/v1/auth/login",
            "json": {"username": "manager1", "password": "<password>", "remember": False},
        },
        "demo": "`fieldbook demo` prints the demo logins (admin, lead1, manager1 ...).",
    }
