"""Configuration: the embedded SQLite default and the production refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db


def test_sqlite_default_uses_wal_and_a_busy_timeout(tmp_path):
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "SQLITE_BUSY_TIMEOUT_MS": 7000,
        },
    )
    with app.app_context():
        assert db.session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(text("PRAGMA busy_timeout")) == 7000
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        db.session.remove()
        db.engine.dispose()


def test_default_database_is_sqlite_under_instance(monkeypatch):
    import config

    assert config.DEFAULT_SQLITE_URL.startswith("sqlite:///")
    assert "/instance/" in config.DEFAULT_SQLITE_URL


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": "development-only-not-secret"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "x" * 64}, "DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_without_real_settings(monkeypatch, environment, message):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(RuntimeError, match=message):
        create_app("production")


def test_production_starts_with_a_real_key_and_database(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    app = create_app("production")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["SESSION_COOKIE_SECURE"] is True
