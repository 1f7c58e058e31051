"""Scheduling meetings, building their agendas and running them live.

Every change is audited, counted in the meeting's live version and committed in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps

from flask import current_app
from sqlalchemy import case as sql_case
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.audit.services import record
from app.cases.models import Case
from app.clinical.vocabulary import SPECIALTIES
from app.decisions.models import Opinion, Plan
from app.editing import check_version, commit_edit
from app.extensions import db
from app.live.broker import publish
from app.live.fragments import AGENDA, ALL, ATTENDANCE, CURRENT, MEETING, OPINIONS
from app.meetings.models import ITEM_STATUSES, AgendaItem, Attendance, Meeting
from app.timestamps import board_zone, utcnow

MIN_PLANNED_MINUTES = 1
MAX_PLANNED_MINUTES = 120
DEFAULT_PLANNED_MINUTES = 10
# A case can be put on an agenda from these statuses (and only when no open agenda holds it).
ADDABLE_CASE_STATUSES = ("draft", "ready")
MEETING_FIELDS = ("title", "starts_at", "location", "video_url", "chair", "required_specialties")
DIRECTIONS = ("up", "down")
CLOSED_AGENDA = "This meeting is closed; its agenda can no longer be changed."
CLOSED_ATTENDANCE = "This meeting is closed; its attendance can no longer be changed."
NOT_OPEN = "The meeting is not open. Open it first, then bring a case into discussion."


MOVED_ON = (
    "The meeting had already moved to another case (from another window or tab), so nothing "
    "was moved again. This page now shows where the meeting is."
)
# A move from no particular page (a script, a test): no check of what the page showed.
ANY_CURRENT = object()


class ChangeRefused(Exception):
    """A change the agenda's rules do not allow; the message says why, for the user."""


class UnsignedDiscussion(ChangeRefused):
    """Closing would leave the case under discussion (`item`) without a signed plan."""

    def __init__(self, item: AgendaItem):
        super().__init__(
            "The case under discussion has no signed plan. Confirm that the meeting should "
            "close anyway; the case then carries over like the others not reached."
        )
        self.item = item


class CaseAlreadyOnAgenda(ChangeRefused):
    """The case is held by an active agenda item (`item`), on this meeting or another."""

    def __init__(self, item: AgendaItem):
        super().__init__(f"The case is already on the agenda of meeting {item.meeting_id}.")
        self.item = item


def _in_one_transaction(service: Callable) -> Callable:
    """Run a service as one transaction: any refusal or failure rolls back all it changed.

    A write that lost a race with another member's (a unique index, a lock version) becomes
    a ChangeRefused that says so.
    """

    @wraps(service)
    def wrapped(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except (IntegrityError, StaleDataError) as error:
            db.session.rollback()
            raise ChangeRefused(
                "Someone else changed this meeting at the same moment; nothing was saved. "
                "Try again."
            ) from error
        except BaseException:
            db.session.rollback()
            raise

    return wrapped


# Meetings -----------------------------------------------------------------------------------


def schedule_meeting(
    *,
    title: str,
    starts_at: datetime,
    location: str,
    video_url: str,
    chair: User,
    author: User,
    required_specialties: Sequence[str] | None = None,
) -> Meeting:
    """Create a scheduled meeting. `starts_at` is aware; a past date is the form's concern.

    The quorum needs `required_specialties`, by default the board's (QUORUM_SPECIALTIES).
    """
    meeting = Meeting(
        title=title.strip(),
        starts_at=starts_at,
        location=(location or "").strip(),
        video_url=(video_url or "").strip(),
        chair=chair,
        status="scheduled",
        created_by_id=author.id,
        required_specialties=(
            _checked_specialties(required_specialties)
            if required_specialties is not None
            else board_quorum_specialties()
        ),
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
        required_specialties=list(meeting.required_specialties),
    )
    db.session.commit()
    return meeting


def board_quorum_specialties() -> list[str]:
    """The specialties a new meeting needs present (QUORUM_SPECIALTIES), in contract order."""
    codes = list(current_app.config["QUORUM_SPECIALTIES"])
    unknown = [code for code in codes if code not in SPECIALTIES]
    if unknown:
        raise ValueError(
            f"QUORUM_SPECIALTIES: {unknown[0]!r} is not one of {', '.join(SPECIALTIES)}"
        )
    return [code for code in SPECIALTIES if code in codes]


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
        if name == "required_specialties":
            value = _checked_specialties(value)
        if getattr(meeting, name) != value:
            setattr(meeting, name, value)
            changed.append("chair_id" if name == "chair" else name)
    if not changed:
        return []
    record("changed", "meeting", meeting.id, user_id=author.id, fields=changed)
    bump_live_version(meeting.id, ALL)
    commit_edit(meeting)
    return changed


def _checked_specialties(codes) -> list[str]:
    codes = list(codes)
    unknown = [code for code in codes if code not in SPECIALTIES]
    if unknown:
        raise ValueError(f"required_specialties: {unknown[0]!r} is not a specialty")
    if not codes:
        raise ValueError("required_specialties: a quorum needs at least one specialty")
    return [code for code in SPECIALTIES if code in codes]


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
    try:
        item = _place_on_agenda(
            meeting=meeting, case=case, planned_minutes=planned_minutes, author=author
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


def _place_on_agenda(
    *,
    meeting: Meeting,
    case: Case,
    planned_minutes: int,
    author: User,
    note: str | None = None,
) -> AgendaItem:
    """Add the agenda item in the caller's transaction (see add_to_agenda); flushes, no commit."""
    _lock_open_meeting(meeting)
    if case.status == "closed":
        raise ChangeRefused("This case is closed; it cannot be put on an agenda.")
    holder = active_item_for_case(case.id)
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
        note=note,
    )
    db.session.add(item)
    case.status = "on_agenda"
    db.session.flush()
    _record_item(
        "created",
        item.id,
        case,
        meeting.id,
        author,
        case_id=case.id,
        fields=["position", "planned_minutes"] + (["note"] if note else []),
    )
    bump_live_version(meeting.id, (AGENDA,))
    return item


def remove_from_agenda(*, item: AgendaItem, author: User) -> None:
    """Take a waiting case off the agenda; the case is ready again for another meeting.

    The row is deleted (not kept inactive), so the case may later return to this meeting.
    """
    meeting = item.meeting
    _lock_open_meeting(meeting)
    if item.status == "discussing" or meeting.current_item_id == item.id:
        raise ChangeRefused(
            "This case is under discussion, so it cannot be taken off the agenda. "
            "Move on to another case or defer it first."
        )
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
    bump_live_version(meeting.id, (AGENDA,))
    _commit_agenda_change()


def order_urgent_first(*, meeting: Meeting, author: User) -> bool:
    """Put urgent cases first, keeping the current order within each group; True if it moved."""
    _lock_open_meeting(meeting)
    items = _agenda_items(meeting.id)
    ordered = sorted(items, key=lambda item: not item.case.is_urgent)  # sorted() is stable
    if not _renumber(ordered):
        return False
    record("changed", "meeting", meeting.id, user_id=author.id, fields=["agenda_order"])
    bump_live_version(meeting.id, (AGENDA,))
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
    bump_live_version(meeting.id, (AGENDA,))
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
    bump_live_version(item.meeting_id, (AGENDA, CURRENT))
    _commit_agenda_change()


# Reading ------------------------------------------------------------------------------------


@dataclass
class Closure:
    """What closing a meeting did with the cases it had not reached."""

    not_reached: int = 0
    carried_to: Meeting | None = None


@_in_one_transaction
def close_meeting(*, meeting: Meeting, author: User, confirm_unsigned: bool = False) -> Closure:
    """Close the meeting; every case it has not finished carries over like a deferred one.

    Each case without a signed plan is marked "not reached" here and put on the next scheduled
    meeting's agenda with a note, or goes back to "ready" when no meeting is scheduled. Closing
    with a case under discussion that has no signed plan needs `confirm_unsigned`
    (UnsignedDiscussion otherwise). A meeting may be closed without having been opened: it was
    held without the app, or not at all.
    """
    if _lock_meeting(meeting) == "closed":
        raise ChangeRefused("This meeting is already closed.")
    items = _agenda_items(meeting.id)
    current = next((item for item in items if item.id == meeting.current_item_id), None)
    if current is not None and current.status == "discussing" and not confirm_unsigned:
        raise UnsignedDiscussion(current)
    now = utcnow()
    left = [item for item in items if item.is_active]
    for item in left:
        item.is_active = False
        item.status = "not_reached"
        if item.started_at is not None and item.ended_at is None:
            item.ended_at = now
    if current is not None and current.ended_at is None:
        current.ended_at = now
    meeting.status = "closed"
    meeting.closed_at = now
    meeting.current_item_id = None
    db.session.flush()  # the cases are free before another agenda takes them
    closure = Closure(not_reached=len(left))
    if left:
        closure.carried_to = next_scheduled_meeting(after=meeting)
    for item in left:
        _carry_over(item, meeting, closure.carried_to, author, _carry_note(meeting, None))
        _record_item(
            "changed",
            item.id,
            item.case,
            meeting.id,
            author,
            fields=["status", "is_active", "deferred_to_meeting_id"],
            status="not_reached",
            deferred_to_meeting_id=item.deferred_to_meeting_id,
        )
    record(
        "changed",
        "meeting",
        meeting.id,
        user_id=author.id,
        fields=["status", "closed_at", "current_item_id"],
        status="closed",
        not_reached=closure.not_reached,
    )
    bump_live_version(meeting.id, ALL)
    _commit_agenda_change()
    return closure


# Running the meeting ------------------------------------------------------------------------


@_in_one_transaction
def open_meeting(*, meeting: Meeting, author: User) -> None:
    """Open a scheduled meeting: from now its page is the live view for every member."""
    status = _lock_meeting(meeting)
    if status == "open":
        raise ChangeRefused("This meeting is already open.")
    if status == "closed":
        raise ChangeRefused("This meeting is closed; a closed meeting cannot be opened again.")
    meeting.status = "open"
    meeting.opened_at = utcnow()
    record(
        "changed",
        "meeting",
        meeting.id,
        user_id=author.id,
        fields=["status", "opened_at"],
        status="open",
    )
    bump_live_version(meeting.id, ALL)
    _commit_agenda_change()


@_in_one_transaction
def bring_up(*, item: AgendaItem, author: User) -> bool:
    """Bring `item` into discussion, ending the one discussed before; False if it already is.

    A case with a signed plan may be brought back to look at it again; it stays "discussed".
    """
    meeting = item.meeting
    _lock_live_meeting(meeting)
    if item.status in ("deferred", "not_reached"):
        raise ChangeRefused(
            f"This case is “{item.status_label}” here; discuss it at the meeting it went to."
        )
    if meeting.current_item_id == item.id:
        return False
    items = _agenda_items(meeting.id)
    _move_discussion(meeting, items, item, author)
    _commit_agenda_change()
    return True


@_in_one_transaction
def next_item(
    *, meeting: Meeting, author: User, seen_current: int | object | None = ANY_CURRENT
) -> AgendaItem | None:
    """Move on to the next waiting case in agenda order (then any skipped before it).

    Returns the case now under discussion, or None when no case is waiting: the one discussed
    until now is ended all the same. `seen_current` is the case the chair's page showed; if
    the meeting has moved since (another tab, a co-chair), nothing moves again.
    """
    _lock_live_meeting(meeting)
    _check_seen_current(meeting, seen_current)
    items = _agenda_items(meeting.id)
    index = _current_index(meeting, items)
    waiting = [i for i, item in enumerate(items) if item.status == "pending"]
    after = [i for i in waiting if i > index] or [i for i in waiting if i < index]
    target = items[after[0]] if after else None
    if target is None and index < 0:
        raise ChangeRefused("No case is waiting on this agenda.")
    _move_discussion(meeting, items, target, author)
    _commit_agenda_change()
    return target


@_in_one_transaction
def previous_item(
    *, meeting: Meeting, author: User, seen_current: int | object | None = ANY_CURRENT
) -> AgendaItem:
    """Go back to the case before the current one (waiting or already decided)."""
    _lock_live_meeting(meeting)
    _check_seen_current(meeting, seen_current)
    items = _agenda_items(meeting.id)
    index = _current_index(meeting, items)
    if index < 0:
        raise ChangeRefused("No case is under discussion, so there is no case before it.")
    earlier = [
        item for item in items[:index] if item.status in ("pending", "discussed", "discussing")
    ]
    if not earlier:
        raise ChangeRefused("This is the first case on the agenda.")
    target = earlier[-1]
    _move_discussion(meeting, items, target, author)
    _commit_agenda_change()
    return target


@_in_one_transaction
def defer_item(*, item: AgendaItem, note: str, author: User) -> Meeting | None:
    """Defer a case to the next scheduled meeting, where it goes on the agenda with a note.

    Returns that meeting, or None when none is scheduled (the case is then ready again).
    A case with a signed plan, or one already gone to another meeting, cannot be deferred.
    """
    meeting = item.meeting
    if _lock_meeting(meeting) == "closed":
        raise ChangeRefused(CLOSED_AGENDA)
    if not item.is_active:
        if item.status == "discussed":
            raise ChangeRefused("This case has a signed plan; it is not deferred.")
        raise ChangeRefused(f"This case is already “{item.status_label}”.")
    note = (note or "").strip()
    now = utcnow()
    fields = ["status", "is_active", "defer_note", "deferred_to_meeting_id"]
    if meeting.current_item_id == item.id:
        _set_current_item(meeting, None)
        record("changed", "meeting", meeting.id, user_id=author.id, fields=["current_item_id"])
    if item.started_at is not None and item.ended_at is None:
        item.ended_at = now
        fields.append("ended_at")
    item.status = "deferred"
    item.is_active = False
    item.defer_note = note or None
    db.session.flush()  # the case is free before the next meeting takes it
    target = next_scheduled_meeting(after=meeting)
    _carry_over(item, meeting, target, author, _carry_note(meeting, note))
    _record_item(
        "changed",
        item.id,
        item.case,
        meeting.id,
        author,
        fields=fields,
        status="deferred",
        deferred_to_meeting_id=item.deferred_to_meeting_id,
    )
    bump_live_version(meeting.id, (CURRENT, AGENDA, MEETING))
    _commit_agenda_change()
    return target


def next_scheduled_meeting(*, after: Meeting) -> Meeting | None:
    """The first meeting still to be held after `after` (and after now)."""
    since = max(utcnow(), after.starts_at)
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.status == "scheduled", Meeting.id != after.id, Meeting.starts_at > since)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )


def bump_live_version(meeting_id: int, fragments: tuple[str, ...]) -> int | None:
    """Count one more change of the meeting's live state and publish it, in the caller's
    transaction (so open pages hear of it at COMMIT, and never of a rolled-back change).

    An UPDATE of the counter itself: concurrent changes each get their own number, and the
    meeting's lock version (which guards edits of its details) is left alone. `fragments`
    names the parts of the page to refetch (app.live.fragments; ALL: every part).
    """
    version = db.session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id)
        .values(live_version=Meeting.live_version + 1)
        .returning(Meeting.live_version)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if version is not None:
        publish(meeting_id, version, fragments)
    return version


def publish_case_change(case_id: int) -> None:
    """A case's facts changed (a presentation, scores, a board choice, urgency): every open
    meeting discussing it tells its pages, in the caller's transaction."""
    meeting_ids = db.session.scalars(
        select(AgendaItem.meeting_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.case_id == case_id, AgendaItem.is_active, Meeting.status == "open")
    ).all()
    for meeting_id in meeting_ids:
        bump_live_version(meeting_id, (CURRENT, AGENDA))


# Attendance and quorum ----------------------------------------------------------------------


@dataclass
class Quorum:
    """Who is present for each specialty, and whether every required one is there."""

    required: list[str]
    present: dict[str, list[str]] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [code for code in self.required if code not in self.present]

    @property
    def is_quorate(self) -> bool:
        return not self.missing


def quorum_of(meeting: Meeting) -> Quorum:
    """The meeting's quorum from its attendance (load `attendance` and members with it)."""
    quorum = Quorum(required=list(meeting.required_specialties or []))
    order = {code: index for index, code in enumerate(SPECIALTIES)}
    rows = sorted(
        (row for row in meeting.attendance if row.is_present and row.specialty),
        key=lambda row: (order.get(row.specialty, len(order)), row.name),
    )
    for row in rows:
        quorum.present.setdefault(row.specialty, []).append(row.name)
    return quorum


def is_quorate(meeting_id: int) -> bool:
    """Whether every specialty the meeting requires is present, members and guests counted."""
    required = db.session.scalar(
        select(Meeting.required_specialties).where(Meeting.id == meeting_id)
    )
    present = set(
        db.session.scalars(
            select(Attendance.specialty).where(
                Attendance.meeting_id == meeting_id,
                Attendance.is_present.is_(True),
                Attendance.specialty.is_not(None),
            )
        )
    )
    return set(required or []) <= present


@_in_one_transaction
def mark_attendance(
    *, meeting: Meeting, member: User, is_present: bool, specialty: str | None, author: User
) -> bool:
    """Record a member as present (with the specialty they bring) or absent; True if changed."""
    if _lock_meeting(meeting) == "closed":
        raise ChangeRefused(CLOSED_ATTENDANCE)
    specialty = _checked_specialty(specialty)
    changed = _set_member_presence(meeting, member, is_present, specialty, author)
    _commit_agenda_change()
    return changed


@_in_one_transaction
def record_present(*, meeting: Meeting, members: Sequence[User], author: User) -> int:
    """Record several members present at once, each with their own specialty; how many changed."""
    if _lock_meeting(meeting) == "closed":
        raise ChangeRefused(CLOSED_ATTENDANCE)
    changed = sum(
        _set_member_presence(meeting, member, True, member.specialty, author) for member in members
    )
    _commit_agenda_change()
    return changed


@_in_one_transaction
def check_in(*, meeting: Meeting, member: User) -> bool:
    """The member says they are here, with their own specialty; False if already recorded."""
    if _lock_meeting(meeting) == "closed":
        raise ChangeRefused("This meeting is closed; there is nothing to check in to.")
    changed = _set_member_presence(meeting, member, True, member.specialty, member)
    _commit_agenda_change()
    return changed


@_in_one_transaction
def add_guest(*, meeting: Meeting, name: str, specialty: str | None, author: User) -> Attendance:
    """Add a guest, present, with the specialty they bring (or none)."""
    if _lock_meeting(meeting) == "closed":
        raise ChangeRefused(CLOSED_ATTENDANCE)
    name = (name or "").strip()
    if not name:
        raise ValueError("name: a guest needs a name")
    row = Attendance(
        meeting_id=meeting.id,
        guest_name=name,
        specialty=_checked_specialty(specialty),
        is_present=True,
        checked_in_at=utcnow(),
        recorded_by_id=author.id,
    )
    db.session.add(row)
    db.session.flush()
    record(
        "created",
        "attendance",
        row.id,
        user_id=author.id,
        meeting_id=meeting.id,
        guest=True,
        specialty=row.specialty,
        fields=["guest_name", "specialty", "is_present"],
    )
    bump_live_version(meeting.id, (ATTENDANCE, MEETING, OPINIONS))
    _commit_agenda_change()
    return row


@_in_one_transaction
def set_guest_presence(*, row: Attendance, is_present: bool, author: User) -> bool:
    """Mark a guest present or absent again; True if it changed."""
    if _lock_meeting(row.meeting) == "closed":
        raise ChangeRefused(CLOSED_ATTENDANCE)
    if row.is_present == is_present:
        return False
    row.is_present = is_present
    row.checked_in_at = utcnow() if is_present else None
    row.recorded_by_id = author.id
    record(
        "changed",
        "attendance",
        row.id,
        user_id=author.id,
        meeting_id=row.meeting_id,
        guest=True,
        fields=["is_present"],
        is_present=is_present,
    )
    bump_live_version(row.meeting_id, (ATTENDANCE, MEETING, OPINIONS))
    _commit_agenda_change()
    return True


def _set_member_presence(
    meeting: Meeting, member: User, is_present: bool, specialty: str | None, author: User
) -> bool:
    meeting_id, member_id, author_id = meeting.id, member.id, author.id
    row = db.session.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.member_id == member_id
        )
    )
    creating = row is None
    if creating:
        row = Attendance(meeting_id=meeting_id, member_id=member_id)
    elif row.is_present == is_present and (not is_present or row.specialty == specialty):
        return False
    row.is_present = is_present
    row.specialty = specialty
    row.checked_in_at = utcnow() if is_present else None
    row.recorded_by_id = author_id
    db.session.add(row)
    db.session.flush()
    record(
        "created" if creating else "changed",
        "attendance",
        row.id,
        user_id=author_id,
        meeting_id=meeting_id,
        member_id=member_id,
        specialty=specialty,
        is_present=is_present,
        self_check_in=author_id == member_id,
        fields=["is_present", "specialty"],
    )
    bump_live_version(meeting_id, (ATTENDANCE, MEETING, OPINIONS))
    return True


def _checked_specialty(code: str | None) -> str | None:
    if not code:
        return None
    if code not in SPECIALTIES:
        raise ValueError(f"specialty: {code!r} is not one of {', '.join(SPECIALTIES)}")
    return code


def load_agenda(meeting_id: int) -> Meeting | None:
    """The meeting with its chair and every item's case and patient, in a fixed few queries."""
    return db.session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .options(
            joinedload(Meeting.chair),
            selectinload(Meeting.items).joinedload(AgendaItem.case).joinedload(Case.patient),
            selectinload(Meeting.items).joinedload(AgendaItem.deferred_to),
            selectinload(Meeting.attendance).joinedload(Attendance.member),
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


def _lock_meeting(meeting: Meeting) -> str:
    """Lock the meeting's row until commit (changes to it happen one at a time); its status."""
    return db.session.scalar(
        select(Meeting.status).where(Meeting.id == meeting.id).with_for_update()
    )


def _lock_live_meeting(meeting: Meeting) -> None:
    """Lock the meeting's row; refuse unless the meeting is open."""
    status = _lock_meeting(meeting)
    if status == "closed":
        raise ChangeRefused("This meeting is closed.")
    if status != "open":
        raise ChangeRefused(NOT_OPEN)


def _check_seen_current(meeting: Meeting, seen_current: int | object | None) -> None:
    """Refuse a move made from a page that showed another case than the meeting's current one."""
    if seen_current is ANY_CURRENT:
        return
    db.session.refresh(meeting, ["current_item_id"])
    if meeting.current_item_id != seen_current:
        raise ChangeRefused(MOVED_ON)


def _current_index(meeting: Meeting, items: list[AgendaItem]) -> int:
    return next((i for i, item in enumerate(items) if item.id == meeting.current_item_id), -1)


def _move_discussion(
    meeting: Meeting, items: list[AgendaItem], target: AgendaItem | None, author: User
) -> None:
    """End the discussion of the current case and bring up `target` (or none).

    A case left without a signed plan goes back to waiting: it stays on the agenda and can be
    taken up again, and carries over if the meeting closes before it is decided. Its start
    and end times record the last time it was discussed.
    """
    now = utcnow()
    index = _current_index(meeting, items)
    if index >= 0:
        current = items[index]
        if current.status == "discussing":
            current.status = "pending"
        if current.ended_at is None:
            current.ended_at = now
        _record_item(
            "changed",
            current.id,
            current.case,
            meeting.id,
            author,
            fields=["status", "ended_at"],
            status=current.status,
        )
    _set_current_item(meeting, target.id if target is not None else None)
    if target is not None:
        if target.is_active:
            target.status = "discussing"
            target.started_at = now
            target.ended_at = None
        _record_item(
            "changed",
            target.id,
            target.case,
            meeting.id,
            author,
            fields=["status", "started_at"],
            status=target.status,
            change="brought_up",
        )
    record("changed", "meeting", meeting.id, user_id=author.id, fields=["current_item_id"])
    bump_live_version(meeting.id, (CURRENT, AGENDA, MEETING))


def _set_current_item(meeting: Meeting, item_id: int | None) -> None:
    """Point the meeting at the case under discussion without touching its lock version.

    Moving between cases is not an edit of the meeting's details: a coordinator editing the
    title or the quorum meanwhile must not be refused for it.
    """
    db.session.execute(
        update(Meeting)
        .where(Meeting.id == meeting.id)
        .values(current_item_id=item_id)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(meeting, "current_item_id", item_id)


def _carry_over(
    item: AgendaItem, meeting: Meeting, target: Meeting | None, author: User, note: str
) -> None:
    """Put the case of a deferred or not-reached `item` on `target`'s agenda, with a note.

    Without a target the case is ready again for whichever meeting takes it.
    """
    if target is None:
        item.case.status = "ready"
        return
    item.deferred_to_meeting_id = target.id
    _place_on_agenda(
        meeting=target,
        case=item.case,
        planned_minutes=item.planned_minutes,
        author=author,
        note=note,
    )


def _carry_note(meeting: Meeting, note: str | None) -> str:
    day = meeting.starts_at.astimezone(board_zone()).strftime("%d %b %Y")
    if note is None:
        return f"Not reached at {meeting.title} on {day}; carried over."
    return f"Deferred from {meeting.title} on {day}" + (f": {note}" if note else ".")


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
