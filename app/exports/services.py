"""Recording an export in the audit trail, and listing a case's exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.audit.models import AuditEvent, AuditEventPatient
from app.audit.services import record
from app.exports.pdf import Rendered
from app.extensions import db

SUMMARY = "consensus_summary"
MINUTES = "meeting_minutes"


def record_export(
    kind: str, entity_id: int, rendered: Rendered, *, patient_ids: list[int], **detail
) -> None:
    """One audit event per exported PDF: who, what, and the file's SHA-256; committed at once."""
    record(
        "exported",
        kind,
        entity_id,
        patient_id=patient_ids[0] if len(patient_ids) == 1 else None,
        patient_ids=patient_ids,
        sha256=rendered.sha256,
        pages=rendered.pages,
        variant=rendered.variant,
        size=len(rendered.pdf),
        **detail,
    )
    db.session.commit()


@dataclass(frozen=True)
class Export:
    at: datetime
    by: str
    kind: str
    entity_id: int
    detail: dict

    @property
    def label(self) -> str:
        return "Consensus summary" if self.kind == SUMMARY else "Meeting minutes"


def exports_of(patient_id: int, *, item_ids: list[int], meeting_ids: list[int]) -> list[Export]:
    """The summaries of these agenda items and the minutes of these meetings that named the
    patient, newest first."""
    if not item_ids:
        return []
    events = db.session.scalars(
        select(AuditEvent)
        .join(AuditEventPatient, AuditEventPatient.event_id == AuditEvent.id)
        .options(joinedload(AuditEvent.user))
        .where(
            AuditEvent.action == "exported",
            AuditEventPatient.patient_id == patient_id,
            or_(
                (AuditEvent.entity_type == SUMMARY) & AuditEvent.entity_id.in_(item_ids),
                (AuditEvent.entity_type == MINUTES) & AuditEvent.entity_id.in_(meeting_ids),
            ),
        )
        .order_by(AuditEvent.id.desc())
    )
    return [
        Export(
            at=event.created_at,
            by=event.user.full_name if event.user else "—",
            kind=event.entity_type,
            entity_id=event.entity_id,
            detail=event.detail or {},
        )
        for event in events
    ]
