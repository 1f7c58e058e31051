"""Storing a board choice: one row, one audit event, whatever the kind of choice."""

from __future__ import annotations

from app.assessment.models import BoardChoice
from app.audit.services import record
from app.cases.models import Case
from app.extensions import db
from app.meetings.services import publish_case_change
from app.timestamps import utcnow


def store_choice(
    *, case: Case, kind: str, subject: str, value: str, reason: str, author
) -> BoardChoice:
    """Add the choice (a later one of the same kind and subject supersedes it) and commit.

    The audit event names the kind, subject and value codes, never the reason's text.
    """
    row = BoardChoice(
        case_id=case.id,
        kind=kind,
        subject=subject,
        value=value,
        reason=reason,
        chosen_by_id=author.id,
        chosen_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        "changed",
        "case",
        case.id,
        patient_id=case.patient_id,
        user_id=author.id,
        fields=["board_choice"],
        board_choice_id=row.id,
        kind=kind,
        subject=subject,
        value=value,
        has_reason=bool(reason),
    )
    publish_case_change(case.id)
    db.session.commit()
    return row
