"""What the consensus summary and the minutes contain, loaded for the templates.

Both documents are built from the records the pages show (the same services), so a document
never says something the app does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.assessment.services import board_choices, case_assessment
from app.assessment.spine_map import spine_map_of
from app.cases.models import Case
from app.cases.services import current_presentations
from app.clinical.assessment import CAVEAT, SOURCES
from app.decisions import services as decisions
from app.decisions.models import Action, Plan, PlanDissent, PlanStep
from app.extensions import db
from app.meetings import services as meetings
from app.meetings.models import AgendaItem, Attendance, Meeting

CONFIDENTIAL = (
    "Confidential: contains identifiable patient information. For the patient record and the "
    "clinicians caring for the patient only."
)


@dataclass(frozen=True)
class Header:
    """The board and meeting lines every document starts with."""

    institution: str
    board: str
    meeting: Meeting
    attendees: list[Attendance]
    quorum: meetings.Quorum


def header_of(meeting: Meeting) -> Header:
    attendees = list(
        db.session.scalars(
            select(Attendance)
            .options(joinedload(Attendance.member))
            .where(Attendance.meeting_id == meeting.id, Attendance.is_present)
            .order_by(Attendance.id)
        )
    )
    return Header(
        institution=current_app.config.get("INSTITUTION_NAME", ""),
        board=current_app.config.get("BOARD_NAME", "Spine Tumor Board"),
        meeting=meeting,
        attendees=attendees,
        quorum=meetings.quorum_of(meeting),
    )


def case_summary(item: AgendaItem) -> dict:
    """The consensus summary of one agenda item: the case, the opinions, the agreed plan."""
    case = item.case
    presentations = current_presentations(case)
    assessment = case_assessment(
        case, item=item, presentations=presentations, choices=board_choices(case)
    )
    plans = decisions.plan_versions(item)
    plan = plans[0] if plans else None
    return {
        "header": header_of(item.meeting),
        "item": item,
        "case": case,
        "patient": case.patient,
        "presentations": presentations,
        "assessment": assessment,
        "score_sources": SOURCES,
        "caveat": CAVEAT,
        "spine_map": spine_map_of(case.levels or [], assessment),
        "opinions": decisions.current_opinions(item),
        "plan": plan,
        "is_draft": plan is None or not plan.is_signed,
        "confidential": CONFIDENTIAL,
    }


@dataclass(frozen=True)
class Outcome:
    """One agenda item in the minutes: what became of it."""

    item: AgendaItem
    plan: Plan | None  # the signed plan, if the board decided


def meeting_minutes(meeting: Meeting) -> dict:
    """The minutes: header, attendance and quorum, each item's outcome, all follow-up actions."""
    items = list(
        db.session.scalars(
            select(AgendaItem)
            .options(
                joinedload(AgendaItem.case).joinedload(Case.patient),
                joinedload(AgendaItem.deferred_to),
            )
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position, AgendaItem.id)
        ).unique()
    )
    signed = _signed_plans([item.id for item in items])
    outcomes = [Outcome(item=item, plan=signed.get(item.id)) for item in items]
    actions = [
        (outcome.item, action)
        for outcome in outcomes
        if outcome.plan is not None
        for action in outcome.plan.actions
    ]
    return {
        "header": header_of(meeting),
        "meeting": meeting,
        "outcomes": outcomes,
        "actions": actions,
        "confidential": CONFIDENTIAL,
    }


def _signed_plans(item_ids: list[int]) -> dict[int, Plan]:
    """The latest signed version of each item's plan, with what the minutes show (few queries)."""
    if not item_ids:
        return {}
    plans = db.session.scalars(
        select(Plan)
        .where(Plan.agenda_item_id.in_(item_ids), Plan.status.in_(("signed", "superseded")))
        .options(
            joinedload(Plan.signed_by),
            selectinload(Plan.steps).joinedload(PlanStep.option_version),
            selectinload(Plan.dissents).joinedload(PlanDissent.member),
            selectinload(Plan.actions).joinedload(Action.owner_member),
        )
        .order_by(Plan.agenda_item_id, Plan.version)
    )
    latest: dict[int, Plan] = {}
    for plan in plans:
        latest[plan.agenda_item_id] = plan  # ordered by version: the last one wins
    return latest


def patient_ids_of(minutes: dict) -> list[int]:
    return [outcome.item.case.patient_id for outcome in minutes["outcomes"]]


def summary_html(context: dict, *, preview: bool) -> str:
    """The consensus summary from `case_summary`'s context: the browser preview or the PDF's
    source (marked draft until the plan is signed)."""
    return render_template(
        "exports/summary.html", preview=preview, draft=context["is_draft"], **context
    )


def minutes_html(context: dict, *, preview: bool) -> str:
    """The minutes from `meeting_minutes`' context: the browser preview or the PDF's source."""
    return render_template("exports/minutes.html", preview=preview, draft=False, **context)
