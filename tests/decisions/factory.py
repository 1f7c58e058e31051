"""Agenda items to decide on, built straight from rows, and the plan form's field names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from app.cases.models import Case
from app.clinical.catalogue import load_catalogue
from app.extensions import db
from app.meetings.models import AgendaItem, Meeting
from app.patients.models import Patient

OPTION_NAMES = {option.code: option.name for option in load_catalogue()}


def make_item(members, *, mrn: str = "SYN-0101", chair: str = "surgeon") -> AgendaItem:
    """A synthetic patient's case on a meeting chaired by `chair`, as agenda item 1."""
    patient = Patient(
        mrn=mrn,
        family_name="Testperson",
        given_name="Alex",
        birth_date=date(1960, 3, 14),
        sex="female",
    )
    case = Case(
        patient=patient,
        question="Radiotherapy alone or separation surgery first?",
        primary_site="kidney",
        histology="Clear cell renal carcinoma",
        levels=["T7"],
        referring_clinician="Dr Quinn Referrer",
        status="on_agenda",
    )
    meeting = Meeting(
        title=f"Spine board {mrn}",
        starts_at=datetime(2030, 1, 7, 8, 0, tzinfo=UTC),
        chair=members[chair],
        location="Room 1",
    )
    item = AgendaItem(meeting=meeting, case=case, position=1, planned_minutes=10)
    db.session.add(item)
    db.session.commit()
    return item


def in_days(days: int) -> str:
    """A date `days` from today in the board's time zone, as the date input sends it."""
    today = datetime.now(ZoneInfo(current_app.config["BOARD_TIMEZONE"])).date()
    return (today + timedelta(days=days)).isoformat()


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
    for index in range(6):
        code, details = steps[index] if index < len(steps) else ("", "")
        data[f"steps-{index}-option"] = code
        data[f"steps-{index}-details"] = details
    for index in range(4):
        member, reason = dissents[index] if index < len(dissents) else ("", "")
        data[f"dissents-{index}-member"] = str(member)
        data[f"dissents-{index}-reason"] = reason
    for index in range(4):
        row = actions[index] if index < len(actions) else {}
        data[f"actions-{index}-action_id"] = str(row.get("action_id", ""))
        data[f"actions-{index}-description"] = row.get("description", "")
        data[f"actions-{index}-owner_member"] = str(row.get("owner_member", ""))
        data[f"actions-{index}-owner_specialty"] = row.get("owner_specialty", "")
        data[f"actions-{index}-due_date"] = row.get("due_date", "")
    return data
