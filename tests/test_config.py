"""Configuration: production refuses to start half-configured."""

import secrets
import subprocess
import sys

import pytest

from config import ProductionConfig, _normalise_db_url


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SECRET_KEY, DATABASE_URL and REDIS_URL"),
        ({"SECRET_KEY": "x" * 32, "REDIS_URL": "redis://r"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://db/fieldbook"}, "SECRET_KEY and REDIS_URL"),
        ({"SECRET_KEY": "x" * 32, "DATABASE_URL": "postgresql://db/fieldbook"}, "REDIS_URL"),
    ],
)
def test_production_refuses_to_start_without_secrets(monkeypatch, env, missing):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as excinfo:
        ProductionConfig.check()
    assert str(excinfo.value) == f"Fieldbook refuses to start in production: set {missing}."


@pytest.mark.parametrize("secret", ["change-me", "change-me-" + "x" * 40, "fieldbook", "x" * 31])
def test_production_refuses_a_placeholder_or_short_secret_key(monkeypatch, secret):
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/fieldbook")
    monkeypatch.setenv("REDIS_URL", "redis://r")
    with pytest.raises(SystemExit) as excinfo:
        ProductionConfig.check()
    assert "SECRET_KEY must be a random value of at least 32 characters" in str(excinfo.value)


def test_production_accepts_a_generated_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/fieldbook")
    monkeypatch.setenv("REDIS_URL", "redis://r")
    ProductionConfig.check()


def test_production_message_is_one_line_on_the_command_line():
    result = subprocess.run(
        [sys.executable, "-c", "from server import create_app; create_app()"],
        env={"FIELDBOOK_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Fieldbook refuses to start in production: set SECRET_KEY, DATABASE_URL and REDIS_URL."
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_get_the_psycopg_driver(given, expected):
    assert _normalise_db_url(given) == expected
