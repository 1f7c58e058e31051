"""Members' opinions and the agreed plan: saved, signed and amended, each with its audit event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.assessment.services import case_assessment
from app.audit.services import record
from app.cases.models import Case
from app.catalogue.models import TreatmentOption, TreatmentOptionVersion
from app.clinical.assessment import Assessment
from app.clinical.concordance import Concordance, check_plan, stored_departures
from app.clinical.indications import PlanContext
from app.clinical.vocabulary import PLAN_INTENTS, SPECIALTIES
from app.decisions.models import Action, Opinion, OpinionChoice, Plan, PlanDissent, PlanStep
from app.editing import StaleEdit, check_version
from app.extensions import db
from app.live import fragments
from app.meetings.models import AgendaItem, Meeting
from app.meetings.services import bump_live_version, is_quorate
from app.timestamps import utcnow


class OpinionConflict(Exception):
    """Another version of the same member's opinion was saved at the same moment."""


class PlanLocked(Exception):
    """A signed plan is never changed; an amendment makes a new version."""

    def __init__(self, plan: Plan):
        super().__init__(f"plan {plan.id} is signed and locked")
        self.plan = plan


class DepartureReasonNeeded(Exception):
    """A plan that departs from the documented indications is signed only with a reason."""

    def __init__(self, plan: Plan):
        super().__init__(f"plan {plan.id} departs from the documented indications: give a reason")
        self.plan = plan


class QuorumNotMet(ValueError):
    """The meeting is not quorate: a plan is signed then only with the board's reason."""


class DeparturesChanged(Exception):
    """Checked again at signing, the plan departs differently from what the signer was shown.

    The case's inputs changed after the plan was saved. The new result is stored with the plan
    (its lock version moves), so the page can show it and the signer decide again.
    """

    def __init__(self, plan: Plan):
        super().__init__(f"plan {plan.id}: the departures changed since it was saved")
        self.plan = plan


# Loading what the pages show, eagerly, so their query count does not grow with rows.

_PLAN_DETAIL = (
    selectinload(Plan.steps).joinedload(PlanStep.option_version),
    selectinload(Plan.dissents).joinedload(PlanDissent.member),
    selectinload(Plan.actions).options(joinedload(Action.owner_member), joinedload(Action.done_by)),
    joinedload(Plan.created_by),
    joinedload(Plan.updated_by),
    joinedload(Plan.signed_by),
)


def plan_detail_loading() -> tuple:
    """Loader options that fetch everything the plan detail shows (for other areas' pages)."""
    return _PLAN_DETAIL


def load_item(item_id: int) -> AgendaItem | None:
    """The agenda item with its meeting, chair, case and patient."""
    return db.session.scalar(
        select(AgendaItem)
        .where(AgendaItem.id == item_id)
        .options(
            joinedload(AgendaItem.meeting).joinedload(Meeting.chair),
            joinedload(AgendaItem.case).joinedload(Case.patient),
        )
    )


def load_plan(plan_id: int) -> Plan | None:
    """One plan version with its steps, dissent, actions, and its item's context."""
    return db.session.scalar(
        select(Plan)
        .where(Plan.id == plan_id)
        .options(
            *_PLAN_DETAIL,
            joinedload(Plan.item).joinedload(AgendaItem.meeting).joinedload(Meeting.chair),
            joinedload(Plan.item).joinedload(AgendaItem.case).joinedload(Case.patient),
        )
    )


def plan_versions(item: AgendaItem) -> list[Plan]:
    """Every version of the item's plan, newest first, with everything a page shows."""
    return list(
        db.session.scalars(
            select(Plan)
            .where(Plan.agenda_item_id == item.id)
            .order_by(Plan.version.desc())
            .options(*_PLAN_DETAIL)
        )
    )


def current_plan(item: AgendaItem) -> Plan | None:
    """The item's latest plan version (draft, signed or an amendment), or None."""
    return db.session.scalar(
        select(Plan)
        .where(Plan.agenda_item_id == item.id)
        .order_by(Plan.version.desc())
        .limit(1)
        .options(*_PLAN_DETAIL)
    )


_OPINION_DETAIL = (
    joinedload(Opinion.author),
    selectinload(Opinion.choices).joinedload(OpinionChoice.option_version),
)


def current_opinions(item: AgendaItem) -> list[Opinion]:
    """Each member's current opinion on the item, in specialty order, then by name."""
    opinions = db.session.scalars(
        select(Opinion)
        .where(Opinion.agenda_item_id == item.id, Opinion.is_current.is_(True))
        .options(*_OPINION_DETAIL)
    ).all()
    order = {code: index for index, code in enumerate(SPECIALTIES)}
    return sorted(opinions, key=lambda o: (order.get(o.specialty, len(order)), o.author.full_name))


def current_opinion(item: AgendaItem, member: User) -> Opinion | None:
    return db.session.scalar(
        select(Opinion)
        .where(
            Opinion.agenda_item_id == item.id,
            Opinion.author_id == member.id,
            Opinion.is_current.is_(True),
        )
        .options(*_OPINION_DETAIL)
    )


def opinion_versions(item: AgendaItem, member: User) -> list[Opinion]:
    """Every version of one member's opinion on the item, newest first."""
    return list(
        db.session.scalars(
            select(Opinion)
            .where(Opinion.agenda_item_id == item.id, Opinion.author_id == member.id)
            .order_by(Opinion.version.desc())
            .options(*_OPINION_DETAIL)
        )
    )


def missing_specialties(opinions: Iterable[Opinion]) -> list[str]:
    """The specialty codes that have not given an opinion yet, in contract order."""
    given = {opinion.specialty for opinion in opinions}
    return [code for code in SPECIALTIES if code not in given]


def _record(
    action: str, entity_type: str, row: Opinion | Plan, item: AgendaItem, author: User, **detail
) -> None:
    """Audit a version of an opinion or a plan: codes, ids and field names only."""
    record(
        action,
        entity_type,
        row.id,
        patient_id=item.case.patient_id,
        user_id=author.id,
        agenda_item_id=item.id,
        version=row.version,
        **detail,
    )


# Opinions


def save_opinion(
    *,
    item: AgendaItem,
    author: User,
    option_codes: list[str],
    reasoning: str,
    agrees_with_consensus: bool,
) -> Opinion:
    """Record the author's opinion on the item; an edit adds a version and keeps the old one.

    Raises PermissionError for a member without a specialty, ValueError for no option, a
    repeated option or a code the catalogue does not have.
    """
    if not author.specialty:
        raise PermissionError("author: a clinical opinion needs a member with a specialty")
    codes = list(option_codes)
    if not codes:
        raise ValueError("option_codes: choose at least one option")
    repeated = next((code for index, code in enumerate(codes) if code in codes[:index]), None)
    if repeated is not None:
        raise ValueError(f"option_codes: {repeated!r} is chosen more than once")
    versions = _current_option_versions(codes)
    reasoning = (reasoning or "").strip()
    agrees = bool(agrees_with_consensus)

    previous = current_opinion(item, author)
    if previous is not None and (
        [choice.option_version_id for choice in previous.choices]
        == [versions[code].id for code in codes]
        and previous.reasoning == reasoning
        and previous.agrees_with_consensus == agrees
        and previous.specialty == author.specialty
    ):
        return previous

    try:
        if previous is not None:
            previous.is_current = False
            # The partial unique index allows one current version: retire the old one first.
            db.session.flush()
        opinion = Opinion(
            agenda_item_id=item.id,
            author_id=author.id,
            specialty=author.specialty,
            version=previous.version + 1 if previous else 1,
            is_current=True,
            reasoning=reasoning,
            agrees_with_consensus=agrees,
            choices=[
                OpinionChoice(position=position, option_version_id=versions[code].id)
                for position, code in enumerate(codes, start=1)
            ],
        )
        db.session.add(opinion)
        db.session.flush()
        changed = (
            _changed_opinion_fields(previous, opinion)
            if previous
            else ["options", "reasoning", "agrees_with_consensus"]
        )
        _record(
            "changed" if previous else "created",
            "opinion",
            opinion,
            item,
            author,
            specialty=opinion.specialty,
            options=codes,
            fields=changed,
        )
        bump_live_version(item.meeting_id, (fragments.opinions(item.id),))
        db.session.commit()
    except IntegrityError as error:
        # The same member saved twice at once (two windows): one current version only.
        db.session.rollback()
        raise OpinionConflict() from error
    return opinion


def _changed_opinion_fields(previous: Opinion, opinion: Opinion) -> list[str]:
    changed = []
    if [c.option_version_id for c in previous.choices] != [
        c.option_version_id for c in opinion.choices
    ]:
        changed.append("options")
    if previous.reasoning != opinion.reasoning:
        changed.append("reasoning")
    if previous.agrees_with_consensus != opinion.agrees_with_consensus:
        changed.append("agrees_with_consensus")
    return changed


def _current_option_versions(codes: Iterable[str]) -> dict[str, TreatmentOptionVersion]:
    """The current catalogue version of each code (one query); ValueError names an unknown code."""
    wanted = list(dict.fromkeys(codes))
    found = {
        version.option.code: version
        for version in db.session.scalars(
            select(TreatmentOptionVersion)
            .join(TreatmentOption)
            .where(
                TreatmentOption.code.in_(wanted),
                TreatmentOptionVersion.version == TreatmentOption.current_version,
            )
            .options(joinedload(TreatmentOptionVersion.option))
        )
    }
    for code in wanted:
        if code not in found:
            raise ValueError(f"option: {code!r} is not an option in the catalogue")
    return found


# Concordance of the plan with the documented indications and the NOMS suggestion


def plan_context(item: AgendaItem) -> PlanContext:
    """The case's facts a plan on `item` is checked against: its assessment as it stands now,
    with the item's fitness judgement."""
    return context_of(case_assessment(item.case, item=item))


def context_of(assessment: Assessment) -> PlanContext:
    """The facts the concordance check reads, taken from a case's assessment."""
    index = assessment.index_lesion
    sins = index.sins if index is not None else None
    grades = [lesion.escc_grade for lesion in assessment.lesions]
    # A second compression site can be ruled out only when every lesion has its grade.
    compression = (
        tuple(lesion.level for lesion in assessment.lesions if lesion.escc_grade in ("2", "3"))
        if grades and None not in grades
        else None
    )
    suggestion = assessment.noms
    return PlanContext(
        escc_grade=assessment.escc_grade,
        escc_group=assessment.escc_group,
        compression_levels=compression,
        sins_total=sins.total if sins is not None else None,
        sins_category=sins.category if sins is not None else None,
        radiosensitive=assessment.radiosensitive,
        mechanical=assessment.mechanical,
        fitness=dict(assessment.fitness) if assessment.fitness is not None else None,
        tokuhashi_total=assessment.tokuhashi.total if assessment.tokuhashi else None,
        tokuhashi_category=assessment.tokuhashi.category if assessment.tokuhashi else None,
        tomita_total=assessment.tomita.total if assessment.tomita else None,
        tomita_category=assessment.tomita.category if assessment.tomita else None,
        # ASIA read letter for letter when no Frankel grade is recorded (REFERENCE §6.5 [I]).
        frankel=assessment.tokuhashi_frankel,
        noms_options=suggestion.options if suggestion is not None else None,
        noms_rules=dict(suggestion.rules_by_option) if suggestion is not None else {},
        noms_missing=tuple(assessment.noms_missing),
    )


def check_concordance(item: AgendaItem, step_codes: Iterable[str]) -> Concordance:
    """Check plan steps (option codes in order) against the case of `item` as it stands now."""
    return check_plan(list(step_codes), plan_context(item))


# The agreed plan


def save_plan(
    *,
    item: AgendaItem,
    author: User,
    base_lock_version: int | None,
    intent: str,
    rationale: str,
    steps: list[tuple[str, str]],
    dissents: list[tuple[int, str]],
    actions: list[dict],
) -> Plan:
    """Create the item's draft plan (base_lock_version None) or update the current draft.

    Each step points at the option's current catalogue version, so a later catalogue change
    leaves the plan showing the text it was agreed against. Raises StaleEdit when the plan
    changed since `base_lock_version` (or a plan already exists when creating one), PlanLocked
    when it is signed, ValueError for a missing or unknown value.
    """
    if intent not in PLAN_INTENTS:
        raise ValueError(f"intent: {intent!r} is not one of {', '.join(PLAN_INTENTS)}")
    if not steps:
        raise ValueError("steps: a plan needs at least one step")
    versions = _current_option_versions(code for code, _ in steps)
    new_steps = [(versions[code].id, (details or "").strip()) for code, details in steps]
    new_dissents = _checked_dissents(dissents)
    new_actions = _checked_actions(actions)
    rationale = (rationale or "").strip()
    concordance = check_concordance(item, (code for code, _ in steps))
    departures = concordance.as_json()

    plan = current_plan(item)
    if plan is not None and plan.is_signed:
        raise PlanLocked(plan)
    if base_lock_version is None:
        if plan is not None:
            raise StaleEdit(plan)
        plan = Plan(
            agenda_item_id=item.id,
            version=1,
            status="draft",
            intent=intent,
            rationale=rationale,
            created_by_id=author.id,
            updated_by_id=author.id,
            departures=departures,
        )
        db.session.add(plan)
        changed = ["intent", "rationale", "steps", "dissents", "actions"]
    else:
        if plan is None:
            raise ValueError("base_lock_version: this item has no plan to update yet")
        check_version(plan, base_lock_version)
        changed = [
            name
            for name, before, after in (
                ("intent", plan.intent, intent),
                ("rationale", plan.rationale, rationale),
                ("steps", [(s.option_version_id, s.details) for s in plan.steps], new_steps),
                ("dissents", [(d.member_id, d.reason) for d in plan.dissents], new_dissents),
                ("actions", [_action_key(a) for a in plan.actions], new_actions),
            )
            if before != after
        ]
        if not changed:
            if plan.departures == departures:
                return plan
            # Nothing typed changed, but the case did: saving again stores the new check.
            changed = ["departures"]
        plan.departures = departures
        plan.intent = intent
        plan.rationale = rationale
        plan.updated_by_id = author.id
        # Always write the plan row, even when only its steps changed, so the lock version moves.
        plan.updated_at = utcnow()

    if "steps" in changed:
        plan.steps = [
            PlanStep(position=position, option_version_id=version_id, details=details)
            for position, (version_id, details) in enumerate(new_steps, start=1)
        ]
    if "dissents" in changed:
        plan.dissents = [
            PlanDissent(member_id=member_id, reason=reason) for member_id, reason in new_dissents
        ]
    if "actions" in changed:
        plan.actions = _merged_actions(plan.actions, actions, new_actions)

    creating = base_lock_version is None
    try:
        db.session.flush()
        _record(
            "created" if creating else "changed",
            "plan",
            plan,
            item,
            author,
            lock_version=plan.lock_version,
            options=[code for code, _ in steps],
            fields=changed,
            concordant=concordance.is_concordant,
        )
        bump_live_version(item.meeting_id, (fragments.plan(item.id),))
        db.session.commit()
    except (StaleDataError, IntegrityError) as error:
        # Another save won the race between our check and our write: show what it saved.
        db.session.rollback()
        winner = current_plan(item)
        if isinstance(error, IntegrityError) and not (creating and winner is not None):
            raise
        raise StaleEdit(winner) from error
    return plan


def _checked_dissents(dissents: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    rows = [(int(member_id), (reason or "").strip()) for member_id, reason in dissents]
    for member_id, reason in rows:
        if not reason:
            raise ValueError(f"dissents: member {member_id} needs a reason")
    ids = [member_id for member_id, _ in rows]
    if len(set(ids)) != len(ids):
        raise ValueError("dissents: a member is listed more than once")
    _check_members(ids, "dissents")
    return rows


def _checked_actions(actions: Iterable[dict]) -> list[tuple]:
    rows = []
    for action in actions:
        description = (action.get("description") or "").strip()
        member_id = action.get("owner_member_id")
        specialty = action.get("owner_specialty") or None
        due = action.get("due_date")
        if not description:
            raise ValueError("actions: description is missing")
        if (member_id is None) == (specialty is None):
            raise ValueError("actions: give exactly one owner, a member or a specialty")
        if specialty is not None and specialty not in SPECIALTIES:
            raise ValueError(f"actions: owner_specialty {specialty!r} is not a specialty")
        if due is not None and not isinstance(due, date):
            raise ValueError("actions: due_date must be a date")
        rows.append(
            (description, int(member_id) if member_id is not None else None, specialty, due)
        )
    _check_members([row[1] for row in rows if row[1] is not None], "actions")
    return rows


def _check_members(ids: list[int], field: str) -> None:
    if not ids:
        return
    known = set(db.session.scalars(select(User.id).where(User.id.in_(ids))))
    unknown = next((member_id for member_id in ids if member_id not in known), None)
    if unknown is not None:
        raise ValueError(f"{field}: member {unknown} does not exist")


def _action_key(action: Action) -> tuple:
    return (action.description, action.owner_member_id, action.owner_specialty, action.due_date)


def _merged_actions(existing: list[Action], given: list[dict], rows: list[tuple]) -> list[Action]:
    """The plan's new action list; an action given with its id keeps its row and done flag."""
    by_id = {action.id: action for action in existing}
    merged = []
    for source, (description, member_id, specialty, due) in zip(given, rows, strict=True):
        action = by_id.pop(source.get("id"), None) or Action()
        action.description = description
        action.owner_member_id = member_id
        action.owner_specialty = specialty
        action.due_date = due
        merged.append(action)
    return merged


def sign_plan(
    *,
    plan: Plan,
    author: User,
    base_lock_version: int,
    departure_reason: str | None = None,
    quorum_override_reason: str | None = None,
) -> Plan:
    """Sign the draft: it is locked from now on, and the item and case count as discussed.

    The plan is checked again against the case as it stands now. Raises DeparturesChanged
    (after storing the new result) when it departs differently from what was shown, and
    DepartureReasonNeeded when it departs and no reason is given, QuorumNotMet when the
    meeting is not quorate and no reason is given for signing all the same; nothing is signed
    then.
    """
    if plan.is_signed:
        raise PlanLocked(plan)
    check_version(plan, base_lock_version)
    if not plan.steps:
        raise ValueError("steps: a plan needs at least one step before it can be signed")
    item = plan.item
    concordance = check_concordance(item, (step.option_version.code for step in plan.steps))
    shown = stored_departures(plan.departures)
    if [entry.as_dict() for entry in concordance.departures] != shown:
        _store_departures(plan, item, author, concordance)
        raise DeparturesChanged(plan)
    reason = (departure_reason or "").strip()
    if concordance.departures and not reason:
        raise DepartureReasonNeeded(plan)
    quorate = is_quorate(item.meeting_id)
    override = (quorum_override_reason or "").strip()
    if not quorate and not override:
        raise QuorumNotMet(f"plan {plan.id}: the meeting is not quorate; give a reason to sign")
    if plan.amends_id is not None:
        _carry_action_states(plan)
    now = utcnow()
    # Notes of what could not be checked may have changed; they need no decision.
    plan.departures = concordance.as_json()
    plan.departure_reason = reason if concordance.departures else None
    plan.quorum_override_reason = None if quorate else override
    plan.status = "signed"
    plan.signed_by_id = author.id
    plan.signed_at = now
    plan.updated_by_id = author.id
    plan.updated_at = now
    item.status = "discussed"
    item.is_active = False
    item.case.status = "discussed"
    try:
        db.session.flush()
        bump_live_version(item.meeting_id, _decided(item))
        _record(
            "signed",
            "plan",
            plan,
            item,
            author,
            lock_version=plan.lock_version,
            options=[step.option_version.code for step in plan.steps],
            concordant=concordance.is_concordant,
            has_departure_reason=bool(plan.departure_reason),
            quorate=quorate,
        )
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleEdit(current_plan(item)) from error
    return plan


def _carry_action_states(amendment: Plan) -> None:
    """Sign over the state of the amended version's actions, which stayed in force (and could
    be marked done) while the amendment was drafted: an action the amendment leaves unchanged
    takes that version's state as it is now.

    The amended version's row is locked first; marking one of its actions done takes the same
    lock (app.followup.services.set_done), so neither can slip in between.
    """
    db.session.execute(select(Plan.id).where(Plan.id == amendment.amends_id).with_for_update())
    sources = db.session.scalars(
        select(Action)
        .where(Action.plan_id == amendment.amends_id)
        .order_by(Action.id)
        .execution_options(populate_existing=True)
    ).all()
    unchanged: dict[tuple, list[Action]] = {}
    for source in sources:
        unchanged.setdefault(_action_key(source), []).append(source)
    for action in amendment.actions:
        same = unchanged.get(_action_key(action))
        if same:
            source = same.pop(0)
            action.is_done, action.done_at = source.is_done, source.done_at
            action.done_by_id = source.done_by_id


def _decided(item: AgendaItem) -> tuple[str, ...]:
    """The parts of live pages a signed or amended plan changes: the plan and the item's status."""
    return (fragments.plan(item.id), fragments.CURRENT, fragments.AGENDA)


def _store_departures(plan: Plan, item: AgendaItem, author: User, result: Concordance) -> None:
    """Store a new concordance result on a draft, as a change of the plan by `author`."""
    plan.departures = result.as_json()
    plan.updated_by_id = author.id
    plan.updated_at = utcnow()
    try:
        db.session.flush()
        _record(
            "changed",
            "plan",
            plan,
            item,
            author,
            lock_version=plan.lock_version,
            fields=["departures"],
            concordant=result.is_concordant,
        )
        bump_live_version(item.meeting_id, (fragments.plan(item.id),))
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleEdit(current_plan(item)) from error


def amend_plan(*, plan: Plan, author: User, reason: str) -> Plan:
    """Start an amendment of a signed plan: a new draft version copying it; the old one stays.

    Raises ValueError without a reason or for a draft, StaleEdit when the plan was already
    amended (it is no longer the item's latest version).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("reason: say why the plan is amended")
    if plan.status == "draft":
        raise ValueError("plan: a draft is edited directly, not amended")
    item = plan.item
    latest = current_plan(item)
    if plan.status != "signed" or latest is None or latest.id != plan.id:
        raise StaleEdit(latest)

    plan.status = "superseded"
    amendment = Plan(
        agenda_item_id=item.id,
        version=plan.version + 1,
        status="draft",
        intent=plan.intent,
        rationale=plan.rationale,
        amendment_reason=reason,
        amends_id=plan.id,
        created_by_id=author.id,
        updated_by_id=author.id,
        # The reason for departing stays with the plan; the check runs again on today's case.
        departure_reason=plan.departure_reason,
        departures=check_concordance(
            item, (step.option_version.code for step in plan.steps)
        ).as_json(),
        # The same option versions: the amendment starts from exactly what was signed.
        steps=[
            PlanStep(position=s.position, option_version_id=s.option_version_id, details=s.details)
            for s in plan.steps
        ],
        dissents=[PlanDissent(member_id=d.member_id, reason=d.reason) for d in plan.dissents],
        actions=[
            Action(
                description=a.description,
                owner_member_id=a.owner_member_id,
                owner_specialty=a.owner_specialty,
                due_date=a.due_date,
                is_done=a.is_done,
                done_at=a.done_at,
                done_by_id=a.done_by_id,
            )
            for a in plan.actions
        ],
    )
    db.session.add(amendment)
    try:
        db.session.flush()
        _record(
            "created",
            "plan",
            amendment,
            item,
            author,
            amends_id=plan.id,
            amends_version=plan.version,
            fields=["amendment_reason"],
        )
        bump_live_version(item.meeting_id, _decided(item))
        db.session.commit()
    except (StaleDataError, IntegrityError) as error:
        db.session.rollback()
        raise StaleEdit(current_plan(item)) from error
    return amendment
