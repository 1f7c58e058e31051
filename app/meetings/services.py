"""Scheduling meetings and building their agendas; every change is audited and committed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case as sql_case
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.audit.services import record
from app.cases.models import Case
from app.decisions.models import Opinion, Plan
from app.editing import check_version, commit_edit
from app.extensions import db
from app.meetings.models import ITEM_STATUSES, AgendaItem, Meeting

MIN_PLANNED_MINUTES = 1
MAX_PLANNED_MINUTES = 120
DEFAULT_PLANNED_MINUTES = 10
# A case can be put on an agenda from these statuses (and only when no open agenda holds it).
ADDABLE_CASE_STATUSES = ("draft", "ready")
MEETING_FIELDS = ("title", "starts_at", "location", "video_url", "chair")
DIRECTIONS = ("up", "down")
CLOSED_AGENDA = "This meeting is closed; its agenda can no longer be changed."


class ChangeRefused(Exception):
    """A change the agenda's rules do not allow; the message says why, for the user."""


class CaseAlreadyOnAgenda(ChangeRefused):
    """The case is held by an active agenda item (`item`), on this meeting or another."""

    def __init__(self, item: AgendaItem):
        super().__init__(f"The case is already on the agenda of meeting {item.meeting_id}.")
        self.item = item


# Meetings -----------------------------------------------------------------------------------


def schedule_meeting(
    *,
    title: str,
    starts_at: datetime,
    location: str,
    video_url: str,
    chair: User,
    author: User,
) -> Meeting:
    """Create a scheduled meeting. `starts_at` is aware; a past date is the form's concern."""
    meeting = Meeting(
        title=title.strip(),
        starts_at=starts_at,
        location=(location or "").strip(),
        video_url=(video_url or "").strip(),
        chair=chair,
        status="scheduled",
        created_by_id=author.id,
    )
    db.session.add(meeting)
    db.session.flush()
    record(
        "created",
        "meeting",
        meeting.id,
        user_id=author.id,
        fields=[name for name in MEETING_FIELDS if name != "chair"] + ["chair_id"],
        chair_id=chair.id,
    )
    db.session.commit()
    return meeting


def update_meeting(
    *, meeting: Meeting, base_lock_version: int, author: User, **fields
) -> list[str]:
    """Change the meeting's details; return the names of the fields that changed.

    Refused with StaleEdit when the meeting is no longer at `base_lock_version`.
    """
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"update_meeting: unknown fields {sorted(unknown)}")
    if meeting.is_closed:
        raise ChangeRefused("This meeting is closed; its details can no longer be changed.")
    check_version(meeting, int(base_lock_version))
    changed = []
    for name, value in fields.items():
        if name in ("title", "location", "video_url"):
            value = (value or "").strip()
        if getattr(meeting, name) != value:
            setattr(meeting, name, value)
            changed.append("chair_id" if name == "chair" else name)
    if not changed:
        return []
    record("changed", "meeting", meeting.id, user_id=author.id, fields=changed)
    commit_edit(meeting)
    return changed


# Agenda changes -----------------------------------------------------------------------------


def add_to_agenda(
    *, meeting: Meeting, case: Case, planned_minutes: int, author: User
) -> AgendaItem:
    """Put a case on the agenda: urgent cases after the last urgent one, others at the end.

    Refused when the meeting or the case is closed, and with CaseAlreadyOnAgenda when an
    active agenda item (on any meeting) already holds the case.
    """
    _check_minutes(planned_minutes)
    case_id = case.id
    _lock_open_meeting(meeting)
    if case.status == "closed":
        raise ChangeRefused("This case is closed; it cannot be put on an agenda.")
    holder = active_item_for_case(case_id)
    if holder is not None:
        raise CaseAlreadyOnAgenda(holder)

    items = _agenda_items(meeting.id)
    position = _insert_position(items, case.is_urgent)
    for later in items[position - 1 :]:
        later.position += 1
    item = AgendaItem(
        meeting=meeting,
        case=case,
        position=position,
        planned_minutes=planned_minutes,
        status="pending",
        is_active=True,
    )
    db.session.add(item)
    case.status = "on_agenda"
    try:
        db.session.flush()
        _record_item(
            "created",
            item.id,
            case,
            meeting.id,
            author,
            case_id=case_id,
            fields=["position", "planned_minutes"],
        )
        db.session.commit()
    except (IntegrityError, StaleDataError):
        # Two coordinators added the same case at the same moment: the partial unique index
        # (or the case's lock version) let only one through. Say who holds it now.
        db.session.rollback()
        holder = active_item_for_case(case_id)
        if holder is not None:
            raise CaseAlreadyOnAgenda(holder) from None
        raise ChangeRefused(
            "Someone else changed this case or agenda at the same moment; try again."
        ) from None
    return item


def remove_from_agenda(*, item: AgendaItem, author: User) -> None:
    """Take a waiting case off the agenda; the case is ready again for another meeting.

    The row is deleted (not kept inactive), so the case may later return to this meeting.
    """
    meeting = item.meeting
    _lock_open_meeting(meeting)
    if item.status != "pending":
        raise ChangeRefused(
            "Only a case that is still waiting can be taken off the agenda; this one is "
            f"“{ITEM_STATUSES.get(item.status, item.status)}”."
        )
    if _has_decisions(item.id):
        raise ChangeRefused(
            "Members have already recorded opinions or a plan for this case at this meeting, "
            "so it stays on the agenda."
        )
    case = item.case
    item_id, case_id = item.id, case.id
    remaining = [other for other in _agenda_items(meeting.id) if other.id != item_id]
    db.session.delete(item)
    _renumber(remaining)
    case.status = "ready"
    _record_item(
        "changed", item_id, case, meeting.id, author, case_id=case_id, change="removed_from_agenda"
    )
    _commit_agenda_change()


def order_urgent_first(*, meeting: Meeting, author: User) -> bool:
    """Put urgent cases first, keeping the current order within each group; True if it moved."""
    _lock_open_meeting(meeting)
    items = _agenda_items(meeting.id)
    ordered = sorted(items, key=lambda item: not item.case.is_urgent)  # sorted() is stable
    if not _renumber(ordered):
        return False
    record("changed", "meeting", meeting.id, user_id=author.id, fields=["agenda_order"])
    _commit_agenda_change()
    return True


def move_item(*, item: AgendaItem, direction: str, author: User) -> bool:
    """Swap an item with its neighbour above or below; False when it is already at that end."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: {direction!r} is not one of up, down")
    meeting = item.meeting
    _lock_open_meeting(meeting)
    items = _agenda_items(meeting.id)
    index = next(i for i, other in enumerate(items) if other.id == item.id)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(items):
        return False
    items[index], items[other_index] = items[other_index], items[index]
    _renumber(items)
    _record_item(
        "changed", item.id, item.case, meeting.id, author, fields=["position"], direction=direction
    )
    _commit_agenda_change()
    return True


def set_planned_minutes(*, item: AgendaItem, minutes: int, author: User) -> None:
    """Change how long the board plans to spend on one case."""
    _check_minutes(minutes)
    _lock_open_meeting(item.meeting)
    if item.planned_minutes == minutes:
        return
    item.planned_minutes = minutes
    _record_item("changed", item.id, item.case, item.meeting_id, author, fields=["planned_minutes"])
    _commit_agenda_change()


# Reading ------------------------------------------------------------------------------------


def close_meeting(*, meeting: Meeting, author: User) -> int:
    """Close the meeting and free every case it still holds; return how many were not reached.

    A case whose plan was not signed goes back to "ready", so it can go on the next agenda.
    """
    _lock_open_meeting(meeting)
    not_reached = 0
    for item in _agenda_items(meeting.id):
        if item.is_active:
            item.is_active = False
            item.status = "not_reached"
            item.case.status = "ready"
            not_reached += 1
            _record_item("changed", item.id, item.case, meeting.id, author, fields=["status"])
    meeting.status = "closed"
    record("changed", "meeting", meeting.id, user_id=author.id, fields=["status"])
    _commit_agenda_change()
    return not_reached


def load_agenda(meeting_id: int) -> Meeting | None:
    """The meeting with its chair and every item's case and patient, in a fixed few queries."""
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.chair),
            selectinload(Meeting.items).joinedload(AgendaItem.case).joinedload(Case.patient),
        )
        .execution_options(populate_existing=True)
    )


def addable_cases() -> list[Case]:
    """Cases that may go on an agenda: draft or ready, held by no active item; urgent first."""
    held = exists().where(AgendaItem.case_id == Case.id, AgendaItem.is_active)
    return list(
        db.session.scalars(
            select(Case)
            .join(Case.patient)
            .options(contains_eager(Case.patient))
            .where(Case.status.in_(ADDABLE_CASE_STATUSES), ~held)
            .order_by(Case.is_urgent.desc(), Case.created_at, Case.id)
        )
    )


def active_item_for_case(case_id: int) -> AgendaItem | None:
    """The agenda item that holds the case now, with its meeting, or None."""
    return db.session.scalar(
        select(AgendaItem)
        .where(AgendaItem.case_id == case_id, AgendaItem.is_active)
        .options(joinedload(AgendaItem.meeting))
    )


def upcoming_meetings(now: datetime) -> list[Meeting]:
    """Meetings still to come (or running now), soonest first."""
    return list(
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.chair))
            .where(_is_upcoming(now))
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def past_meetings(now: datetime, *, limit: int, offset: int = 0) -> list[Meeting]:
    """Meetings that have taken place, most recent first."""
    return list(
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.chair))
            .where(~_is_upcoming(now))
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def agenda_counts(meetings: Sequence[Meeting]) -> dict[int, tuple[int, int]]:
    """Number of cases and of urgent cases per meeting, in one query."""
    ids = [meeting.id for meeting in meetings]
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            AgendaItem.meeting_id,
            func.count(AgendaItem.id),
            func.sum(sql_case((Case.is_urgent, 1), else_=0)),
        )
        .join(Case, AgendaItem.case_id == Case.id)
        .where(AgendaItem.meeting_id.in_(ids))
        .group_by(AgendaItem.meeting_id)
    )
    return {meeting_id: (cases, urgent) for meeting_id, cases, urgent in rows}


# Internals ----------------------------------------------------------------------------------


def _is_upcoming(now: datetime):
    # A meeting that is running stays among the upcoming ones until it is closed.
    return or_(Meeting.starts_at >= now, Meeting.status == "open")


def _check_minutes(minutes: int) -> None:
    if not MIN_PLANNED_MINUTES <= minutes <= MAX_PLANNED_MINUTES:
        raise ChangeRefused(
            f"Planned minutes must be between {MIN_PLANNED_MINUTES} and {MAX_PLANNED_MINUTES}."
        )


def _lock_open_meeting(meeting: Meeting) -> None:
    """Refuse a closed meeting; lock its row so agenda changes to it happen one at a time.

    PostgreSQL holds the row lock until commit; SQLite lets one writer in at a time anyway.
    """
    status = db.session.scalar(
        select(Meeting.status).where(Meeting.id == meeting.id).with_for_update()
    )
    if status == "closed":
        raise ChangeRefused(CLOSED_AGENDA)


def _agenda_items(meeting_id: int) -> list[AgendaItem]:
    """The meeting's items with their cases, in agenda order."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .join(AgendaItem.case)
            .options(contains_eager(AgendaItem.case))
            .where(AgendaItem.meeting_id == meeting_id)
            .order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def _insert_position(items: list[AgendaItem], urgent: bool) -> int:
    """Where a new case goes (1-based) in `items`, renumbered 1..n first."""
    _renumber(items)
    if not urgent:
        return len(items) + 1
    # After the last urgent case, and never above a case the board has already taken up.
    last = 0
    for item in items:
        if item.case.is_urgent or item.status != "pending":
            last = item.position
    return last + 1


def _renumber(items: list[AgendaItem]) -> bool:
    """Give `items` the positions 1..n in list order; True if any position changed."""
    moved = False
    for number, item in enumerate(items, start=1):
        if item.position != number:
            item.position = number
            moved = True
    return moved


def _has_decisions(item_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(Opinion.agenda_item_id == item_id)
                | exists().where(Plan.agenda_item_id == item_id)
            )
        )
    )


def _record_item(
    action: str, item_id: int, case: Case, meeting_id: int, author: User, **detail
) -> None:
    """Audit a change to one agenda item: ids and field names only."""
    record(
        action,
        "agenda_item",
        item_id,
        patient_id=case.patient_id,
        user_id=author.id,
        meeting_id=meeting_id,
        **detail,
    )


def _commit_agenda_change() -> None:
    try:
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise ChangeRefused(
            "Someone else changed this agenda at the same moment; nothing was saved. Try again."
        ) from None
