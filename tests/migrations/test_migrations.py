"""The Alembic migrations build exactly the models' schema, and undo it, on both databases."""

from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from tests.conftest import IN_CI
from tests.support import postgres_admin_url, postgres_available


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    problem = postgres_available()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but {problem}")
        pytest.skip(f"PostgreSQL not available here: {problem}")
    import psycopg

    name = f"tumorboard_migrations_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_matches_models_then_downgrade_to_base(empty_database):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        assert _tables() == set()

        upgrade()
        assert {t.name for t in db.metadata.sorted_tables} <= _tables()
        # The equivalent of `flask db check`: autogenerate finds nothing to add or change.
        assert _schema_differences() == []

        downgrade(revision="base")
        assert _tables() <= {"alembic_version"}

        # And the way back up still works after a full downgrade.
        upgrade()
        assert _schema_differences() == []
        db.engine.dispose()


def test_flask_db_check_command_reports_no_changes(empty_database):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()


def test_the_audit_chain_migration_keeps_a_used_databases_trail(empty_database):
    """A database with audit events and their patient links, from before the chain, upgrades:
    its events stay (outside the chain), new ones are chained, and the trail is append-only."""
    from sqlalchemy import text

    from app.audit import chain
    from app.audit.services import record

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="855eba3281bf")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO user_account (id, username, full_name, is_admin, is_coordinator, "
                    "is_active, password_hash, created_at, updated_at) VALUES (1, 'olga', 'Olga', "
                    "false, false, true, 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO patient (id, mrn, family_name, given_name, birth_date, sex, "
                    "created_at, lock_version) VALUES (1, 'SYN-0001', 'Old', 'Row', '1960-01-01', "
                    "'female', CURRENT_TIMESTAMP, 1)"
                )
            )
            for event_id in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO audit_event (id, created_at, user_id, action, entity_type, "
                        "entity_id, patient_id, detail) VALUES (:id, CURRENT_TIMESTAMP, 1, "
                        "'viewed', 'patient', 1, 1, '{}')"
                    ),
                    {"id": event_id},
                )
                conn.execute(
                    text("INSERT INTO audit_event_patient (event_id, patient_id) VALUES (:id, 1)"),
                    {"id": event_id},
                )
            if db.engine.dialect.name == "postgresql":
                # Rows inserted with their ids: the sequence moves on past them.
                conn.execute(text("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), 2)"))
        upgrade()
        old = db.session.execute(text("SELECT id, chain_seq FROM audit_event ORDER BY id")).all()
        assert [tuple(row) for row in old] == [(1, None), (2, None)]
        record("viewed", "patient", 1, patient_id=1, user_id=1)
        db.session.commit()
        assert db.session.scalar(text("SELECT chain_seq FROM audit_event WHERE id = 3")) == 1
        assert chain.verify(db.session) == []
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text("DELETE FROM audit_event WHERE id = 1"))
        db.session.rollback()
        db.session.remove()
        downgrade(revision="base")
        assert _tables() <= {"alembic_version"}
        db.engine.dispose()
