"""Synthetic patients, cases and meetings for the meeting tests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

from app.cases.models import Case
from app.extensions import db
from app.meetings import services
from app.meetings.models import AgendaItem, Meeting
from app.patients.models import Patient
from app.timestamps import utcnow

_numbers = itertools.count(1)


def make_case(
    *,
    urgent: bool = False,
    status: str = "ready",
    family_name: str | None = None,
    question: str = "Is separation surgery before SBRT appropriate?",
    levels: list[str] | None = None,
) -> Case:
    """A committed case for a new synthetic patient."""
    number = next(_numbers)
    patient = Patient(
        mrn=f"SYN-{number:04d}",
        family_name=family_name or f"Testperson{number}",
        given_name="Alex",
        birth_date=date(1960, 1, 1),
        sex="unknown",
    )
    case = Case(
        patient=patient,
        question=question,
        primary_site="breast",
        levels=levels if levels is not None else ["T7"],
        referring_clinician="Dr Synthetic",
        status=status,
        is_urgent=urgent,
    )
    db.session.add(case)
    db.session.commit()
    return case


def future(days: int = 7, hour: int = 14) -> datetime:
    """A whole hour `days` from now, aware UTC."""
    moment = utcnow() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def make_meeting(
    members: dict,
    *,
    title: str = "Spine tumour board",
    starts_at: datetime | None = None,
    chair: str = "surgeon",
    location: str = "Seminar room 2",
    video_url: str = "",
) -> Meeting:
    return services.schedule_meeting(
        title=title,
        starts_at=starts_at or future(),
        location=location,
        video_url=video_url,
        chair=members[chair],
        author=members["coordinator"],
    )


def put_on_agenda(meeting: Meeting, case: Case, members: dict, minutes: int = 10) -> AgendaItem:
    return services.add_to_agenda(
        meeting=meeting, case=case, planned_minutes=minutes, author=members["coordinator"]
    )


def close_meeting(meeting: Meeting) -> None:
    """What closing a meeting will do: the meeting is closed and frees its cases."""
    meeting.status = "closed"
    for item in meeting.items:
        item.is_active = False
        item.status = "discussed"
        item.case.status = "discussed"
    db.session.commit()


def agenda_order(meeting_id: int) -> list[int]:
    """Case ids on the agenda, in agenda order, read fresh from the database."""
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    return [item.case_id for item in meeting.items]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
