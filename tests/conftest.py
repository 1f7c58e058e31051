"""Fixtures: the app on a real SQLite file and (where available) a real PostgreSQL database.

Every test that takes `app` runs once per backend. The schema is built by the Alembic
migrations, never by create_all, so the tests exercise exactly what production runs.
"""

from __future__ import annotations

import os
import secrets

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.extensions import db
from tests.support import make_members, postgres_admin_url, postgres_available

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Run a test marked `only_on(backend)` on that database alone: the others are deselected."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("only_on")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if marker and params.get("database_url", marker.args[0]) != marker.args[0]:
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    reason = postgres_available()
    return f"PostgreSQL tests: {'enabled' if reason is None else 'unavailable: ' + reason}"


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, dropped at the end."""
    problem = postgres_available()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but {problem}")
        pytest.skip(f"PostgreSQL not available here: {problem}")
    import psycopg

    name = f"tumorboard_test_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'board.sqlite3'}"
    return request.getfixturevalue("postgres_url")


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty `g`, as each does in production.

    The `app` fixture keeps one app context pushed for the whole test and Flask reuses it for
    every request, so without this `g` (Flask-Login's current member, Flask-WTF's CSRF token)
    would carry over from one request, or one client, to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for name in list(g):
                g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def migrated_app(database_url):
    """The application with its database migrated to head (once per backend)."""
    from flask_migrate import upgrade

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    app.test_client_class = FreshRequestClient
    with app.app_context():
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app(migrated_app):
    """The application with empty tables and the catalogue loaded."""
    from app.catalogue.services import sync_catalogue

    with migrated_app.app_context():
        _empty_tables()
        sync_catalogue()
        db.session.commit()
        yield migrated_app
        db.session.rollback()
        db.session.remove()


def _empty_tables() -> None:
    """Every table emptied; the audit trail's triggers allow it in maintenance mode only."""
    tables = [t for t in db.metadata.sorted_tables if t.name != "audit_maintenance"]
    db.session.execute(text("INSERT INTO audit_maintenance (id, reason) VALUES (1, 'tests')"))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.execute(text("DELETE FROM audit_maintenance"))
    db.session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')"))
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def members(app):
    """One member per role (see tests.support.MEMBERS), keyed by username."""
    return make_members()


@pytest.fixture
def backend(app) -> str:
    return db.engine.dialect.name
