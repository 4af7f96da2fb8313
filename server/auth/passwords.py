"""argon2id password hashing (argon2-cffi's PasswordHasher defaults to argon2id),
and the rules a new password must meet."""

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

# A hash to verify against when the username is unknown, so that a wrong username
# costs one argon2 verification like a wrong password and does not reveal which
# accounts exist. It is made once per set of hasher parameters: hashing it on each
# refusal cost a second argon2 run (an unknown name took twice as long).
_DUMMY_PASSWORD = "fieldbook-timing-equaliser"


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    if "ARGON2_TIME_COST" in cfg:
        return PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"]
        )
    return PasswordHasher()


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    ).hash(_DUMMY_PASSWORD)


def dummy_hash() -> str:
    """A hash made with the current parameters, for refusing unknown usernames."""
    hasher = _hasher()
    return _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (unknown user) False, at the same cost."""
    try:
        return _hasher().verify(password_hash or dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


# --- rules for a new password ----------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list: the entries of 8 characters or more of Django's
    common-passwords list (Royce Williams' 20,000 most common, lowercased)."""
    text = resources.files("server.auth").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def password_problems(password: str, username: str | None = None) -> list[str]:
    """What is wrong with `password` as a new password for `username` (empty: nothing)."""
    min_length = current_app.config["PASSWORD_MIN_LENGTH"]
    stripped = password.strip()
    if not stripped:
        return ["The password cannot be only spaces."]
    problems = []
    if len(password) < min_length:
        problems.append(f"Use at least {min_length} characters.")
    if len(set(password)) == 1:
        problems.append("The password cannot be one character repeated.")
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append("The password cannot contain the username.")
    if lowered in common_passwords() or stripped.lower() in common_passwords():
        problems.append("This password is too common; choose another.")
    return problems
