"""What an agenda item's live parts show: its opinions, who has given one, and its plan.

Shared by the item page and the meeting's live view, so both render the same parts.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.accounts.models import User
from app.accounts.permissions import may_give_opinion, may_record_plan
from app.decisions import services
from app.decisions.forms import AmendPlanForm, OpinionForm, SignPlanForm, opinion_form_data
from app.extensions import db
from app.meetings.models import AgendaItem, Attendance
from app.meetings.services import is_quorate


def item_parts(item: AgendaItem, *, sign_form: SignPlanForm | None = None) -> dict:
    """The template context of the item's opinions and plan parts."""
    opinions = services.current_opinions(item)
    plans = services.plan_versions(item)
    plan = plans[0] if plans else None
    if sign_form is None:
        # A reason kept from the version this one amends is offered again.
        sign_form = SignPlanForm(
            formdata=None, data={"departure_reason": plan.departure_reason if plan else ""}
        )
    return {
        "item": item,
        "opinions": opinions,
        "missing": services.missing_specialties(opinions),
        "present_members": present_members(item, opinions),
        "can_give_opinion": may_give_opinion(current_user),
        "plan": plan,
        "earlier_plans": plans[1:],
        "can_record_plan": may_record_plan(current_user, item.meeting),
        "sign_form": sign_form,
        "amend_form": AmendPlanForm(formdata=None),
        "quorate": is_quorate(item.meeting_id),
    }


def opinion_prefix(item_id: int) -> str:
    """The field prefix of an item's inline opinion form: its fields keep their own ids when
    the live view moves to another case, so a half-typed opinion is never carried over."""
    return f"opinion-{int(item_id)}"


def inline_opinion_form(item: AgendaItem, options: list[tuple[str, str]]) -> OpinionForm | None:
    """The member's opinion form for the live view, filled with their current opinion."""
    if not may_give_opinion(current_user) or not item.is_active:
        return None
    mine = services.current_opinion(item, current_user._get_current_object())
    return OpinionForm(
        formdata=None,
        options=options,
        data=opinion_form_data(mine),
        prefix=opinion_prefix(item.id),
    )


def present_members(item: AgendaItem, opinions) -> list[tuple[User, bool]]:
    """The members present at the item's meeting, each with whether they gave an opinion."""
    given = {opinion.author_id for opinion in opinions}
    rows = db.session.scalars(
        select(Attendance)
        .join(Attendance.member)
        .options(contains_eager(Attendance.member))
        .where(Attendance.meeting_id == item.meeting_id, Attendance.is_present)
        .order_by(User.full_name)
    )
    return [(row.member, row.member_id in given) for row in rows]
