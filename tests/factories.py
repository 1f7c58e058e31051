"""Synthetic patients, cases, meetings, agenda items and plans, made through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from app.cases.models import Case
from app.cases.services import open_case
from app.clinical.catalogue import load_catalogue
from app.decisions.forms import PLAN_ACTIONS, PLAN_DISSENTS, PLAN_STEPS
from app.decisions.models import Plan
from app.decisions.services import save_plan
from app.extensions import db
from app.meetings.models import AgendaItem, Meeting
from app.meetings.services import add_to_agenda, record_present, schedule_meeting
from app.patients.models import Patient
from app.patients.services import find_by_mrn, register_patient
from app.timestamps import board_today, utcnow

OPTION_NAMES = {option.code: option.name for option in load_catalogue()}


def next_mrn() -> str:
    """The first free MRN of the series SYN-0001, SYN-0002, … (each test starts with none)."""
    number = db.session.scalar(select(func.count(Patient.id))) + 1
    while find_by_mrn(f"SYN-{number:04d}") is not None:
        number += 1
    return f"SYN-{number:04d}"


def make_patient(
    members,
    *,
    mrn: str | None = None,
    family_name: str = "Testperson",
    given_name: str = "Alex",
    birth_date: date = date(1960, 1, 15),
    sex: str = "female",
    author: str = "surgeon",
) -> Patient:
    """Register a patient, by the member named `author`; the MRN is the next free one."""
    return register_patient(
        mrn=mrn or next_mrn(),
        family_name=family_name,
        given_name=given_name,
        birth_date=birth_date,
        sex=sex,
        author=members[author],
    )


def make_case(
    members,
    *,
    patient: Patient | None = None,
    status: str = "draft",
    question: str = "Radiotherapy alone, or surgery first?",
    primary_site: str = "lung",
    histology: str = "Adenocarcinoma",
    levels=("T4",),
    is_urgent: bool = False,
    suspected_mscc: bool = False,
    referring_clinician: str = "Dr Referrer",
    author: str = "surgeon",
    **patient_fields,
) -> Case:
    """Open a case for `patient`, or for a new one made with `patient_fields`.

    Any other status than draft is set on the row: the board has no service for some of them.
    """
    if patient is None:
        patient = make_patient(members, author=author, **patient_fields)
    case = open_case(
        patient=patient,
        question=question,
        primary_site=primary_site,
        histology=histology,
        levels=list(levels),
        is_urgent=is_urgent,
        suspected_mscc=suspected_mscc,
        referring_clinician=referring_clinician,
        author=members[author],
    )
    if status != "draft":
        case.status = status
        db.session.commit()
    return case


def future(days: int = 7, hour: int = 14) -> datetime:
    """A whole hour `days` from now, aware UTC."""
    moment = utcnow() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# One member of each specialty the board's default quorum needs.
QUORUM = ("oncologist", "radiation", "radiologist", "surgeon")


def make_meeting(
    members,
    *,
    title: str = "Spine tumour board",
    starts_at: datetime | None = None,
    chair: str = "surgeon",
    location: str = "Seminar room 2",
    video_url: str = "",
    present: tuple[str, ...] = QUORUM,
) -> Meeting:
    """Schedule a meeting (a week ahead unless `starts_at` is given), as the coordinator.

    The members named in `present` are recorded present, so by default the meeting is quorate
    and plans on it are signed without a reason; `present=()` leaves its attendance empty.
    """
    meeting = schedule_meeting(
        title=title,
        starts_at=starts_at or future(),
        location=location,
        video_url=video_url,
        chair=members[chair],
        author=members["coordinator"],
    )
    if present:
        record_present(
            meeting=meeting,
            members=[members[name] for name in present],
            author=members["coordinator"],
        )
    return meeting


def add_item(
    members, meeting: Meeting | None = None, case: Case | None = None, *, minutes: int = 10
) -> AgendaItem:
    """Put `case` on `meeting`'s agenda as the coordinator; a new meeting or case if not given."""
    return add_to_agenda(
        meeting=meeting or make_meeting(members),
        case=case or make_case(members),
        planned_minutes=minutes,
        author=members["coordinator"],
    )


def close_meeting(meeting: Meeting) -> None:
    """Close the meeting as its chair does: unfinished cases are freed for the next meeting."""
    from app.meetings.services import close_meeting as close

    close(meeting=meeting, author=meeting.chair)


def agenda_order(meeting_id: int) -> list[int]:
    """Case ids on the agenda, in agenda order, read fresh from the database."""
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting_id)
    return [item.case_id for item in meeting.items]


def make_plan(members, item: AgendaItem, *, author: str = "surgeon", **values) -> Plan:
    """The item's first draft plan, saved through the service; `values` replace the defaults."""
    plan = {
        "intent": "palliative",
        "rationale": "Agreed at the board.",
        "steps": [("separation_surgery", "Posterior approach"), ("sbrt", "24 Gy in 2 fractions")],
        "dissents": [],
        "actions": [],
    }
    return save_plan(item=item, author=members[author], base_lock_version=None, **(plan | values))


def in_days(days: int) -> str:
    """A date `days` from today in the board's time zone, as the date input sends it."""
    return (board_today() + timedelta(days=days)).isoformat()


def plan_data(
    *,
    lock_version="",
    intent="palliative",
    rationale="Radioresistant primary with high-grade compression.",
    steps=(("separation_surgery", "Posterior approach"), ("sbrt", "24 Gy in 2 fractions")),
    dissents=(),
    actions=(),
) -> dict:
    """The plan form as a browser would post it; rows left out are posted empty."""
    data = {
        "lock_version": str(lock_version),
        "intent": intent,
        "rationale": rationale,
    }
    for index in range(PLAN_STEPS):
        code, details = steps[index] if index < len(steps) else ("", "")
        data[f"steps-{index}-option"] = code
        data[f"steps-{index}-details"] = details
    for index in range(PLAN_DISSENTS):
        member, reason = dissents[index] if index < len(dissents) else ("", "")
        data[f"dissents-{index}-member"] = str(member)
        data[f"dissents-{index}-reason"] = reason
    for index in range(PLAN_ACTIONS):
        row = actions[index] if index < len(actions) else {}
        data[f"actions-{index}-action_id"] = str(row.get("action_id", ""))
        data[f"actions-{index}-description"] = row.get("description", "")
        data[f"actions-{index}-owner_member"] = str(row.get("owner_member", ""))
        data[f"actions-{index}-owner_specialty"] = row.get("owner_specialty", "")
        data[f"actions-{index}-due_date"] = row.get("due_date", "")
    return data
