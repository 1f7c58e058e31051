"""Configuration: the embedded SQLite default and the production refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import config
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


def test_production_refuses_the_debugger(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="FLASK_DEBUG is on"):
        create_app("production")


@pytest.mark.parametrize(
    ("environment", "workers", "messages"),
    [
        ({"DATABASE_URL": "sqlite:////tmp/board.db"}, 1, []),
        ({"DATABASE_URL": "sqlite:////tmp/board.db"}, 4, ["4 workers on SQLite", "LIVE_BROKER"]),
        ({"DATABASE_URL": "postgresql://db/board"}, 2, ["LIVE_BROKER=inprocess"]),
        ({"DATABASE_URL": "postgresql://db/board", "LIVE_BROKER": "postgres"}, 8, []),
        (
            {"DATABASE_URL": "sqlite:////tmp/board.db", "WEB_CONCURRENCY": "3"},
            None,
            ["3 workers on SQLite", "LIVE_BROKER"],
        ),
    ],
)
def test_several_workers_need_postgresql_and_its_broker(
    monkeypatch, environment, workers, messages
):
    for name in ("DATABASE_URL", "LIVE_BROKER", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    problems = config.several_workers_problems(workers)
    assert len(problems) == len(messages)
    for problem, message in zip(problems, messages, strict=True):
        assert message in problem


def test_gunicorn_refuses_several_workers_on_sqlite_in_production(tmp_path):
    """The real server, started as a deployment would start it: it stops before serving."""
    environment = {
        **os.environ,
        "TUMORBOARD_CONFIG": "production",
        "SECRET_KEY": "k" * 64,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'board.sqlite3'}",
    }
    environment.pop("LIVE_BROKER", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    finished = subprocess.run(
        [str(gunicorn), "-w", "2", "-b", "127.0.0.1:0", "app:create_app()"],
        cwd=Path(__file__).resolve().parents[1],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "Refusing to start" in finished.stderr
    assert "2 workers on SQLite" in finished.stderr and "LIVE_BROKER=postgres" in finished.stderr
