"""Reading a period's closed meetings into the rows app.figures.calc counts: three queries,
however many meetings, items and plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from app.clinical.concordance import stored_departures
from app.clinical.vocabulary import SPECIALTIES
from app.decisions.models import Plan
from app.extensions import db
from app.figures.calc import Figures, ItemRow, MeetingRow, board_figures
from app.meetings.models import AgendaItem, Attendance, Meeting
from app.timestamps import board_zone


def figures_between(first_day: date, last_day: date) -> Figures:
    """The figures of the meetings closed that started on `first_day` … `last_day` (board time)."""
    start, end = _midnight(first_day), _midnight(last_day + timedelta(days=1))
    meetings = db.session.execute(
        select(Meeting.id, Meeting.title, Meeting.starts_at, Meeting.required_specialties)
        .where(Meeting.status == "closed", Meeting.starts_at >= start, Meeting.starts_at < end)
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()
    ids = [meeting.id for meeting in meetings]
    present: dict[int, set[str]] = {meeting_id: set() for meeting_id in ids}
    for meeting_id, specialty in db.session.execute(
        select(Attendance.meeting_id, Attendance.specialty).where(
            Attendance.meeting_id.in_(ids), Attendance.is_present, Attendance.specialty.is_not(None)
        )
    ):
        present[meeting_id].add(specialty)
    items: dict[int, list[ItemRow]] = {meeting_id: [] for meeting_id in ids}
    for meeting_id, item in _item_rows(ids):
        items[meeting_id].append(item)
    return board_figures(
        [
            MeetingRow(
                meeting_id=meeting.id,
                title=meeting.title,
                starts_at=meeting.starts_at,
                required=tuple(meeting.required_specialties or ()),
                present=frozenset(present[meeting.id]),
                items=tuple(items[meeting.id]),
            )
            for meeting in meetings
        ],
        list(SPECIALTIES),
    )


def _midnight(day: date) -> datetime:
    """The start of `day` in the board's zone, in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=board_zone()).astimezone(UTC)


def _item_rows(meeting_ids: list[int]) -> list[tuple[int, ItemRow]]:
    """Each item of the meetings with its time and, if signed, its first signed plan's result."""
    rows = db.session.execute(
        select(AgendaItem, Plan.version, Plan.departures)
        .outerjoin(Plan, (Plan.agenda_item_id == AgendaItem.id) & Plan.signed_at.is_not(None))
        .where(AgendaItem.meeting_id.in_(meeting_ids))
        .order_by(AgendaItem.meeting_id, AgendaItem.position, Plan.version)
    ).all()
    placed: dict[int, tuple[int, ItemRow]] = {}
    for item, version, departures in rows:
        if item.id in placed:
            continue  # a later signed version: the meeting's decision is the first
        minutes = None
        if item.started_at is not None and item.ended_at is not None:
            minutes = (item.ended_at - item.started_at).total_seconds() / 60
        placed[item.id] = (
            item.meeting_id,
            ItemRow(
                status=item.status,
                planned_minutes=item.planned_minutes,
                minutes=minutes,
                signed=version is not None,
                concordant=None if version is None else not stored_departures(departures),
            ),
        )
    return list(placed.values())
