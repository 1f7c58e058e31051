"""Administration: changing members and reading the audit trail.

Each change commits together with its audit event, whose detail names the changed fields only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import ceil

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.accounts import sessions
from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.accounts.services import register_member, username_taken
from app.audit.models import AuditEvent, AuditEventPatient
from app.audit.services import record, record_view
from app.extensions import db
from app.timestamps import board_zone

# The member fields an admin edits, in the order the form shows them.
MEMBER_FIELDS = ("username", "full_name", "email", "specialty", "is_admin", "is_coordinator")


class MemberRefused(Exception):
    """A change to a member that is not made; `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def username_taken_message(username: str) -> str:
    return f"A member with the username “{username}” already exists. Choose another username."


def _taken(username: str) -> MemberRefused:
    return MemberRefused(username_taken_message(username), "username")


def add_member(fields: dict, password: str) -> User:
    """Create a member with an initial password; refuse a username already in use."""
    if username_taken(fields["username"]):
        raise _taken(fields["username"])
    try:
        return register_member(password=password, **fields)
    except IntegrityError:
        # Another admin took the username between the check and the insert.
        db.session.rollback()
        raise _taken(fields["username"]) from None


def update_member(member: User, fields: dict, *, acting: User) -> list[str]:
    """Apply an admin's edit; return the names of the fields that changed (none: no event)."""
    if member.id == acting.id and member.is_admin and not fields["is_admin"]:
        raise MemberRefused(
            "You cannot remove your own admin permission: ask another administrator to do it.",
            "is_admin",
        )
    if username_taken(fields["username"], except_member=member):
        raise _taken(fields["username"])
    changed = [name for name in MEMBER_FIELDS if getattr(member, name) != fields[name]]
    if not changed:
        return []
    for name in changed:
        setattr(member, name, fields[name])
    record("changed", "user", member.id, fields=changed)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _taken(fields["username"]) from None
    return changed


def deactivate_member(member: User, *, acting: User) -> bool:
    """Stop a member from logging in (their open sessions end too); False if already so."""
    if member.id == acting.id:
        raise MemberRefused(
            "You cannot deactivate your own account: ask another administrator to do it."
        )
    return _set_active(member, False)


def reactivate_member(member: User) -> bool:
    """Let a deactivated member log in again; False if they were active already."""
    return _set_active(member, True)


def _set_active(member: User, active: bool) -> bool:
    if member.is_active == active:
        return False
    member.is_active = active
    if not active:
        sessions.end_all(member, "deactivated")
    record("changed", "user", member.id, fields=["is_active"])
    db.session.commit()
    return True


def reset_password(member: User, password: str) -> None:
    """Give a member a new password chosen by an admin; the event names the field only.

    Every session the member has open ends: whoever knew the old password is out."""
    member.password_hash = hash_password(password)
    member.must_change_password = True  # known to the admin: the member picks their own
    sessions.end_all(member, "password_reset")
    record("changed", "user", member.id, fields=["password"])
    db.session.commit()


@dataclass
class AuditPage:
    """One page of audit events, newest first, and where it sits among all pages."""

    events: list[AuditEvent]
    page: int
    pages: int
    total: int
    per_page: int


def audit_events(filters: dict, page: int, per_page: int) -> AuditPage:
    """The events matching `filters` (see AuditFilterForm.filters), one page of them."""
    conditions = _audit_conditions(filters)
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(*conditions)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, page), pages)
    events = db.session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .options(joinedload(AuditEvent.user), selectinload(AuditEvent.patients))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return AuditPage(list(events), page, pages, total, per_page)


def _audit_conditions(filters: dict) -> list:
    conditions = []
    for name in ("user_id", "action", "entity_type"):
        if name in filters:
            conditions.append(getattr(AuditEvent, name) == filters[name])
    if "patient_id" in filters:
        # Every event that named the patient: its subject, or one of many on a list page.
        patient_id = filters["patient_id"]
        conditions.append(
            or_(
                AuditEvent.patient_id == patient_id,
                AuditEvent.id.in_(
                    select(AuditEventPatient.event_id).where(
                        AuditEventPatient.patient_id == patient_id
                    )
                ),
            )
        )
    if "date_from" in filters:
        conditions.append(AuditEvent.created_at >= _start_of_day(filters["date_from"]))
    if "date_to" in filters:
        conditions.append(
            AuditEvent.created_at < _start_of_day(filters["date_to"] + timedelta(days=1))
        )
    return conditions


def _start_of_day(day: date) -> datetime:
    """Midnight of `day` in the board's time zone (the zone the page shows), in UTC."""
    return datetime.combine(day, time.min, tzinfo=board_zone()).astimezone(UTC)


def audit_filter_choices() -> tuple[list[User], list[str]]:
    """The members and the entity types the audit filters offer."""
    members = list(db.session.scalars(select(User).order_by(func.lower(User.full_name))))
    entity_types = list(
        db.session.scalars(
            select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
        )
    )
    return members, entity_types


def record_audit_view(filters: dict, page: int) -> None:
    """Record that the audit trail was read: which filters (names only) and which page."""
    detail = {"filters": sorted(filters)} if filters else {}
    record_view("audit_log", None, page=page, **detail)


CSV_COLUMNS = (
    "id", "created_at", "user", "action", "entity_type", "entity_id", "patient_ids", "detail",
    "remote_addr", "chain_seq", "prev_hash", "hash",
)  # fmt: skip


def audit_csv_rows(filters: dict, batch: int = 500):
    """The header, then every event matching `filters` oldest first, as CSV rows (streamed)."""
    yield CSV_COLUMNS
    conditions = _audit_conditions(filters)
    last = 0
    while True:
        events = db.session.scalars(
            select(AuditEvent)
            .where(*conditions, AuditEvent.id > last)
            .options(joinedload(AuditEvent.user), selectinload(AuditEvent.patients))
            .order_by(AuditEvent.id)
            .limit(batch)
        ).all()
        if not events:
            return
        for event in events:
            yield (
                event.id,
                event.created_at.isoformat(),
                event.user.username if event.user else "",
                event.action,
                event.entity_type,
                "" if event.entity_id is None else event.entity_id,
                " ".join(str(link.patient_id) for link in event.patients),
                json.dumps(event.detail or {}, sort_keys=True),
                event.remote_addr or "",
                "" if event.chain_seq is None else event.chain_seq,
                event.prev_hash or "",
                event.hash or "",
            )
        last = events[-1].id
