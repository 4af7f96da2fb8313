"""argon2id password hashing (argon2-cffi's PasswordHasher defaults to argon2id)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# A hash to verify against when the username is unknown, so that a wrong username
# takes as long as a wrong password and does not reveal which accounts exist.
_DUMMY_PASSWORD = "fieldbook-timing-equaliser"


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    if "ARGON2_TIME_COST" in cfg:
        return PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"]
        )
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(password_hash or hasher.hash(_DUMMY_PASSWORD), password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
