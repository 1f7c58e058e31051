"""The audit trail is append-only, hash-chained, verifiable, and exportable as CSV."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.audit import chain
from app.audit.models import AuditEvent
from app.audit.services import record
from app.extensions import db
from tests.factories import add_item, make_meeting, make_patient
from tests.support import login


def events(members, count=3):
    patient = make_patient(members)  # records a "created" event
    for number in range(count):
        record("viewed", "patient", patient.id, patient_id=patient.id, page=number)
    db.session.commit()
    return patient


def verify_output(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_every_committed_event_is_chained_in_order(app, members):
    events(members)
    db.session.expire_all()
    rows = db.session.query(AuditEvent).order_by(AuditEvent.chain_seq).all()
    assert [row.chain_seq for row in rows] == list(range(1, len(rows) + 1))
    assert rows[0].prev_hash == ""
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    assert chain.verify(db.session) == []
    result = verify_output(app)
    assert result.exit_code == 0 and f"intact: {len(rows)} chained events" in result.output


def test_a_rolled_back_event_leaves_no_trace_in_the_chain(app, members):
    patient = events(members, count=1)
    record("viewed", "patient", patient.id, patient_id=patient.id)
    db.session.rollback()
    # Nor one recorded inside a savepoint that is rolled back, in a transaction that commits.
    savepoint = db.session.begin_nested()
    record("viewed", "patient", patient.id, patient_id=patient.id, page="gone")
    db.session.flush()
    savepoint.rollback()
    record("viewed", "patient", patient.id, patient_id=patient.id, page="kept")
    db.session.commit()
    events(members, count=1)
    assert chain.verify(db.session) == []
    db.session.expire_all()
    pages = [e.detail.get("page") for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert "gone" not in pages and "kept" in pages


REFUSED_STATEMENTS = (
    "UPDATE audit_event SET action = 'changed'",
    "DELETE FROM audit_event",
    "UPDATE audit_event SET hash = 'x' WHERE hash IS NOT NULL",
    "DELETE FROM audit_event_patient",
    "UPDATE audit_event_patient SET patient_id = patient_id",
)


@pytest.mark.parametrize("statement", REFUSED_STATEMENTS)
def test_the_database_refuses_to_change_or_delete_events(app, members, statement):
    events(members, count=1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()


def _maintenance(statement: str) -> None:
    """Tamper as someone with the database's own privileges would: triggers switched off."""
    db.session.execute(text("INSERT INTO audit_maintenance (id, reason) VALUES (7, 'tamper')"))
    db.session.execute(text(statement))
    db.session.execute(text("DELETE FROM audit_maintenance"))
    db.session.commit()


def test_verify_finds_a_deleted_event(app, members):
    events(members, count=4)
    _maintenance(
        "DELETE FROM audit_event_patient "
        "WHERE event_id = (SELECT id FROM audit_event WHERE chain_seq = 3)"
    )
    _maintenance("DELETE FROM audit_event WHERE chain_seq = 3")
    problems = chain.verify(db.session)
    assert any("missing (deleted)" in p.what for p in problems)
    result = verify_output(app)
    assert result.exit_code != 0 and "tampered with" in result.output


def test_verify_finds_an_edited_event(app, members, backend):
    events(members, count=2)
    target = db.session.scalar(text("SELECT id FROM audit_event WHERE chain_seq = 2"))
    # Editing needs the triggers out of the way: drop and restore them as an intruder might.
    if backend == "postgresql":
        db.session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        db.session.execute(text(f"UPDATE audit_event SET entity_id = 999 WHERE id = {target}"))
        db.session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
        db.session.commit()
    else:
        trigger = db.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = 'audit_event_append_only'")
        )
        db.session.execute(text("DROP TRIGGER audit_event_append_only"))
        db.session.execute(text(f"UPDATE audit_event SET entity_id = 999 WHERE id = {target}"))
        db.session.execute(text(trigger))
        db.session.commit()
    problems = chain.verify(db.session)
    assert [(p.event_id, p.what) for p in problems] == [
        (target, "was changed after it was recorded")
    ]


def test_the_admin_exports_the_audit_trail_as_csv(app, client, members):
    add_item(members, make_meeting(members))
    login(client, "admin")
    response = client.get("/admin/audit.csv?action=created")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "created_at", "user", "action"]
    assert len(rows) > 2 and {row[3] for row in rows[1:]} == {"created"}
    assert all(row[11] for row in rows[1:])  # each with its hash
    # The download is itself in the trail.
    db.session.expire_all()
    last = db.session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert (last.action, last.entity_type) == ("exported", "audit_log")
