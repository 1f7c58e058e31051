"""Follow-up actions across meetings: which are in force, whose they are, marking them done.

An action is in force while its plan version is the one last signed (see IN_FORCE). Marking
done is a conditional UPDATE, so two members marking the same action at once cannot both
succeed unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased, contains_eager, joinedload

from app.accounts.models import User
from app.audit.services import record
from app.cases.models import Case
from app.decisions.models import Action, Plan
from app.extensions import db
from app.live import fragments
from app.meetings.models import AgendaItem, Meeting
from app.meetings.services import bump_live_version
from app.timestamps import utcnow

# The lists a member can choose, in the order of the page's tabs.
VIEWS = {
    "mine": "Mine",
    "open": "All open",
    "overdue": "Overdue",
    "done": "Done",
}

# The plan version whose actions are the board's agreed ones: the signed version, and while an
# amendment is being drafted, still the version it amends (its actions become the amendment's
# when that is signed, app.decisions.services._carry_action_states).
_AMENDMENT = aliased(Plan)
IN_FORCE = or_(
    Plan.status == "signed",
    and_(
        Plan.status == "superseded",
        exists().where(_AMENDMENT.amends_id == Plan.id, _AMENDMENT.status == "draft"),
    ),
)


def in_force(plan: Plan) -> bool:
    return db.session.scalar(select(Plan.id).where(Plan.id == plan.id, IN_FORCE)) is not None


class StaleAction(Exception):
    """The action changed (or its plan was amended) after the page showing it was loaded."""


def default_view(member: User) -> str:
    return "mine" if member.specialty else "open"


def actions_query(view: str, member: User, today: date):
    """The actions of `view` for `member`, with their plan, item, meeting, case and patient."""
    query = (
        select(Action)
        .join(Action.plan)
        .join(Plan.item)
        .join(AgendaItem.meeting)
        .join(AgendaItem.case)
        .join(Case.patient)
        .options(
            contains_eager(Action.plan)
            .contains_eager(Plan.item)
            .options(
                contains_eager(AgendaItem.meeting),
                contains_eager(AgendaItem.case).contains_eager(Case.patient),
            ),
            joinedload(Action.owner_member),
            joinedload(Action.done_by),
        )
        .where(IN_FORCE)
    )
    if view == "done":
        done_first = Action.done_at.desc().nulls_last()
        return query.where(Action.is_done).order_by(done_first, Action.id.desc())
    query = query.where(~Action.is_done)
    if view == "mine":
        owned = Action.owner_member_id == member.id
        if member.specialty:
            owned = or_(owned, Action.owner_specialty == member.specialty)
        query = query.where(owned)
    elif view == "overdue":
        query = query.where(Action.due_date < today)
    # Soonest due first; undated after the dated ones, oldest meeting first.
    undated_last = Action.due_date.is_(None)
    return query.order_by(
        undated_last, Action.due_date, Meeting.starts_at, AgendaItem.position, Action.id
    )


@dataclass(frozen=True)
class Change:
    action: Action
    done: bool


def set_done(*, action_id: int, done: bool, was_done: bool, author: User) -> Change:
    """Mark the action done (or open again) if it still is as the member saw it.

    Raises LookupError for no such action, StaleAction when it changed meanwhile or its plan is
    no longer in force (both checked in the UPDATE itself, so a concurrent change or amendment
    cannot slip in between).
    """
    action = db.session.scalars(
        select(Action)
        .options(joinedload(Action.plan).joinedload(Plan.item).joinedload(AgendaItem.case))
        .where(Action.id == action_id)
    ).one_or_none()
    if action is None:
        raise LookupError(action_id)
    # Signing an amendment takes this lock before carrying these actions' states over.
    db.session.execute(select(Plan.id).where(Plan.id == action.plan_id).with_for_update())
    changed = db.session.execute(
        update(Action)
        .where(
            Action.id == action.id,
            Action.is_done == was_done,
            Action.plan_id.in_(select(Plan.id).where(IN_FORCE)),
        )
        .values(
            is_done=done,
            done_at=utcnow() if done else None,
            done_by_id=author.id if done else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise StaleAction(_why_refused(action_id))
    item = action.plan.item
    record(
        "changed",
        "action",
        action.id,
        patient_id=item.case.patient_id,
        user_id=author.id,
        agenda_item_id=item.id,
        plan_id=action.plan_id,
        fields=["is_done"],
        is_done=done,
    )
    bump_live_version(item.meeting_id, (fragments.plan(item.id),))
    db.session.commit()
    return Change(action=action, done=done)


def _why_refused(action_id: int) -> str:
    db.session.expire_all()
    action = db.session.get(Action, action_id)
    if action is None:
        return "This action is no longer on the plan. Nothing was changed."
    plan = action.plan
    if not in_force(plan):
        return (
            f"The plan of this action (version {plan.version}) has been amended since the page "
            "was loaded; the action is now on the amended plan. Nothing was changed."
        )
    if action.is_done:
        who = action.done_by.full_name if action.done_by else "Another member"
        return f"{who} marked this action done since the page was loaded. Nothing was changed."
    return "This action was reopened since the page was loaded. Nothing was changed."
