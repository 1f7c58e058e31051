"""Recording audit events. The event joins the caller's transaction: no change without its event."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from app.audit import chain
from app.audit.models import AUDIT_ACTIONS, AuditEvent, AuditEventPatient
from app.extensions import db
from app.timestamps import utcnow


def record(
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    patient_id: int | None = None,
    patient_ids: list[int] | tuple[int, ...] = (),
    user_id: int | None = None,
    **detail,
) -> AuditEvent:
    """Add an audit event to the session; the caller commits it with the change it describes.

    `patient_id` is the patient the event is about; `patient_ids` names every other patient
    whose data it showed (a list page). `detail` must hold codes, ids and field names only:
    never names, MRNs or clinical text.
    """
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"action: {action!r} is not an audit action")
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    event = AuditEvent(
        created_at=utcnow(),  # set now, not at flush: it is part of the event's hash
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        patient_id=patient_id,
        user_id=user_id,
        detail=detail,
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    named = {patient_id, *patient_ids} - {None}
    event.patients = [AuditEventPatient(patient_id=pid) for pid in sorted(named)]
    db.session.add(event)
    chain.remember(db.session(), event)
    return event


def record_view(
    entity_type: str,
    entity_id: int | None,
    *,
    patient_id: int | None = None,
    patient_ids: list[int] | tuple[int, ...] = (),
    **detail,
) -> None:
    """Record that the current member viewed a page (of patient data), and commit at once.

    Record it after rendering: the commit expires what the page has loaded.
    """
    record(
        "viewed", entity_type, entity_id, patient_id=patient_id, patient_ids=patient_ids, **detail
    )
    db.session.commit()
