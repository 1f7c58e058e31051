"""A backup taken while the board is writing restores to a consistent database."""

from __future__ import annotations

import secrets
import threading
import time

import pytest
from sqlalchemy import create_engine, insert, select, text

from app.backup import services
from app.extensions import db
from app.patients.models import Patient
from tests.factories import add_item, make_meeting
from tests.support import postgres_admin_url

BOUND = 30.0  # seconds to wait for the writer; a bound, not a timing assertion


class Writer(threading.Thread):
    """Registers synthetic patients, one per transaction, until stopped."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.stop = threading.Event()
        self.written = 0

    def run(self):
        while not self.stop.is_set():
            with self.engine.begin() as conn:
                conn.execute(
                    insert(Patient.__table__).values(
                        mrn=f"BK-{self.written:06d}",
                        family_name="Backupperson",
                        given_name=f"Number {self.written}",
                        birth_date=text("CURRENT_DATE"),
                        sex="female",
                        lock_version=1,
                    )
                )
            self.written += 1
        self.engine.dispose()

    def wait_for(self, count):
        deadline = time.monotonic() + BOUND
        while self.written < count:
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.01)


def rows(url) -> dict[str, list[tuple]]:
    """Every row of every table, in key order."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in db.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def scratch_database(backend, tmp_path):
    """A new empty database of the same kind, and a function that drops it."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    name = f"tumorboard_restore_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def test_a_backup_taken_during_writes_restores_the_same_rows(app, members, backend, tmp_path):
    add_item(members, make_meeting(members))  # a board with a meeting, a case, audit events
    url = db.engine.url.render_as_string(hide_password=False)
    db.session.remove()
    writer = Writer(url)
    writer.start()
    try:
        writer.wait_for(20)
        target = services.backup(url, tmp_path / f"board.{backend}.backup")
        at_backup = writer.written
        writer.wait_for(at_backup + 20)  # and the writes go on afterwards
    finally:
        writer.stop.set()
        writer.join(BOUND)
    source = rows(url)

    restored_url, drop = scratch_database(backend, tmp_path)
    try:
        services.restore(target, restored_url)
        restored = rows(restored_url)
    finally:
        drop()

    # Every table but the one being written is exactly as it was.
    for name, table_rows in source.items():
        if name != "patient":
            assert restored[name] == table_rows, name
    # The patients are a consistent snapshot: the first k rows, unchanged, none missing.
    kept = restored["patient"]
    assert 20 <= len([r for r in kept if r[1].startswith("BK-")]) <= at_backup + 1
    assert kept == source["patient"][: len(kept)]
    assert len(kept) < len(source["patient"])


def test_the_backup_command_names_the_file_it_wrote(app, backend, tmp_path):
    target = tmp_path / "by-command.backup"
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Backup written to {target}" in result.output
    assert target.stat().st_size > 0
    again = app.test_cli_runner().invoke(args=["backup", "--to", str(target)])
    assert again.exit_code != 0 and "exists already" in again.output


@pytest.mark.only_on("sqlite")
def test_restore_asks_before_replacing_the_database(app, tmp_path):
    target = tmp_path / "ask.backup"
    services.backup(db.engine.url, target)
    refused = app.test_cli_runner().invoke(args=["restore", str(target)], input="n\n")
    assert refused.exit_code != 0 and "Replace everything" in refused.output
