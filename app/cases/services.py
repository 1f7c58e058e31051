"""Opening and changing cases, and recording each role's presentation; every change is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import record
from app.cases.models import CASE_STATUSES, Case, Lesion, Presentation, sort_levels
from app.clinical import inputs
from app.clinical.vocabulary import LEVELS, PRIMARY_SITES, SPECIALTIES
from app.editing import apply_changes, check_version, commit_edit
from app.extensions import db
from app.meetings.services import publish_case_change
from app.patients.models import Patient
from app.timestamps import board_today

CASE_FIELDS = (
    "question",
    "primary_site",
    "histology",
    "levels",
    "is_urgent",
    "suspected_mscc",
    "referring_clinician",
)


class CaseNotDraft(Exception):
    """Only a draft case can be marked ready for the board."""

    def __init__(self, case: Case):
        super().__init__(f"case {case.id} is {case.status}, not draft")
        self.case = case


def _clean_case_fields(fields: dict) -> dict:
    unknown = set(fields) - set(CASE_FIELDS)
    if unknown:
        raise ValueError(f"not case fields: {', '.join(sorted(unknown))}")
    cleaned = dict(fields)
    if "question" in cleaned:
        cleaned["question"] = cleaned["question"].strip()
        if not cleaned["question"]:
            raise ValueError("question: the clinical question is empty")
    if "referring_clinician" in cleaned:
        cleaned["referring_clinician"] = cleaned["referring_clinician"].strip()
        if not cleaned["referring_clinician"]:
            raise ValueError("referring_clinician: the referring clinician is empty")
    if "histology" in cleaned:
        cleaned["histology"] = (cleaned["histology"] or "").strip()
    if "primary_site" in cleaned and cleaned["primary_site"] not in PRIMARY_SITES:
        raise ValueError(
            f"primary_site: {cleaned['primary_site']!r} is not one of {', '.join(PRIMARY_SITES)}"
        )
    if "levels" in cleaned:
        levels = list(cleaned["levels"] or [])
        wrong = [level for level in levels if level not in LEVELS]
        if wrong:
            raise ValueError(f"levels: {', '.join(map(repr, wrong))} not among C1…S5, coccyx")
        if not levels:
            raise ValueError("levels: at least one affected level is needed")
        cleaned["levels"] = sort_levels(levels)
    for flag in ("is_urgent", "suspected_mscc"):
        if flag in cleaned:
            cleaned[flag] = bool(cleaned[flag])
    return cleaned


def open_case(
    *,
    patient: Patient,
    question: str,
    primary_site: str,
    histology: str,
    levels: list[str],
    is_urgent: bool,
    suspected_mscc: bool,
    referring_clinician: str,
    author,
) -> Case:
    """Refer a patient to the board. Suspected cord compression makes the case urgent."""
    fields = _clean_case_fields(
        {
            "question": question,
            "primary_site": primary_site,
            "histology": histology,
            "levels": levels,
            "is_urgent": is_urgent,
            "suspected_mscc": suspected_mscc,
            "referring_clinician": referring_clinician,
        }
    )
    # Suspected MSCC is an emergency (REFERENCE §9.5): never a routine case.
    fields["is_urgent"] = fields["is_urgent"] or fields["suspected_mscc"]
    case = Case(patient=patient, status="draft", created_by_id=author.id, **fields)
    db.session.add(case)
    db.session.flush()
    record(
        "created",
        "case",
        case.id,
        patient_id=patient.id,
        user_id=author.id,
        primary_site=case.primary_site,
        levels=case.levels,
        is_urgent=case.is_urgent,
        suspected_mscc=case.suspected_mscc,
    )
    db.session.commit()
    return case


def update_case(*, case: Case, base_lock_version: int, author, **fields) -> Case:
    """Change a case if nobody changed it since `base_lock_version`; else raise StaleEdit."""
    fields = _clean_case_fields(fields)
    check_version(case, base_lock_version)
    if fields.get("suspected_mscc", case.suspected_mscc):
        fields["is_urgent"] = True
    changed = apply_changes(case, fields, CASE_FIELDS)
    if not changed:
        return case
    record(
        "changed", "case", case.id, patient_id=case.patient_id, user_id=author.id, fields=changed
    )
    publish_case_change(case.id)
    commit_edit(case)
    return case


def mark_ready(*, case: Case, author) -> Case:
    """Move a draft case to "ready for the board"."""
    if case.status != "draft":
        raise CaseNotDraft(case)
    case.status = "ready"
    record(
        "changed",
        "case",
        case.id,
        patient_id=case.patient_id,
        user_id=author.id,
        fields=["status"],
        status="ready",
    )
    commit_edit(case)
    return case


def _given(value) -> bool:
    return value is not None and value != "" and value != []


def add_presentation(
    *, case: Case, author, specialty: str, summary: str, fields: dict, lesions: list[dict]
) -> Presentation:
    """Record one role's presentation of a case; it supersedes that role's earlier entry.

    Raises PermissionError when `specialty` is not the author's own, and ValueError when an
    input is not one that specialty enters or its value is not allowed.
    """
    if not specialty or specialty != author.specialty:
        raise PermissionError("a member presents only under their own specialty")
    if specialty not in SPECIALTIES:
        raise ValueError(f"specialty: {specialty!r} is not one of {', '.join(SPECIALTIES)}")
    today = board_today()
    values = {name: value for name, value in fields.items() if _given(value)}
    for name, value in values.items():
        if name not in inputs.PRESENTATION_FIELDS or not inputs.owns(specialty, name):
            raise ValueError(f"{name}: not an input that {SPECIALTIES[specialty]} enters")
        inputs.check(name, value, today=today)
    if "prior_rt_levels" in values:
        values["prior_rt_levels"] = sort_levels(values["prior_rt_levels"])
    rows = [lesion for lesion in lesions if not inputs.lesion_is_blank(lesion)]
    if rows and not inputs.owns(specialty, "lesions"):
        raise ValueError(f"lesions: not an input that {SPECIALTIES[specialty]} enters")
    for row in rows:
        problems = inputs.lesion_problems(row, today=today)
        if problems:
            name, message = next(iter(problems.items()))
            raise ValueError(f"{name}: {message}")
    if (problem := inputs.index_problem(rows)) is not None:
        raise ValueError(f"is_index: {problem}")
    summary = (summary or "").strip()
    if not summary and not values and not rows:
        raise ValueError("a presentation needs a summary or at least one finding")

    presentation = Presentation(
        case_id=case.id, author_id=author.id, specialty=specialty, summary=summary, **values
    )
    for position, row in enumerate(rows, start=1):
        presentation.lesions.append(
            Lesion(
                position=position,
                **{name: row.get(name) for name in inputs.LESION_FIELDS if _given(row.get(name))},
            )
        )
    db.session.add(presentation)
    db.session.flush()
    record(
        "created",
        "presentation",
        presentation.id,
        patient_id=case.patient_id,
        user_id=author.id,
        case_id=case.id,
        specialty=specialty,
        fields=sorted(values) + (["lesions"] if rows else []),
        lesions=len(rows),
        has_summary=bool(summary),
    )
    publish_case_change(case.id)
    db.session.commit()
    return presentation


def _with_author_and_lesions(query):
    return query.options(joinedload(Presentation.author), selectinload(Presentation.lesions))


def current_presentations(case: Case) -> list[Presentation]:
    """The latest entry of each role, in the order of SPECIALTIES (two queries in all)."""
    latest_ids = (
        select(func.max(Presentation.id))
        .where(Presentation.case_id == case.id)
        .group_by(Presentation.specialty)
    )
    found = db.session.scalars(
        _with_author_and_lesions(select(Presentation).where(Presentation.id.in_(latest_ids)))
    ).all()
    order = {code: index for index, code in enumerate(SPECIALTIES)}
    return sorted(found, key=lambda p: order.get(p.specialty, len(order)))


def presentation_history(case: Case, *, specialty: str | None = None) -> list[Presentation]:
    """Every entry on the case (or of one role), newest first."""
    query = select(Presentation).where(Presentation.case_id == case.id)
    if specialty is not None:
        query = query.where(Presentation.specialty == specialty)
    query = query.order_by(Presentation.created_at.desc(), Presentation.id.desc())
    return list(db.session.scalars(_with_author_and_lesions(query)).unique())


def entry_counts(case_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each case, how many entries each role has logged (one query)."""
    counts: dict[int, dict[str, int]] = {case_id: {} for case_id in case_ids}
    if not case_ids:
        return counts
    rows = db.session.execute(
        select(Presentation.case_id, Presentation.specialty, func.count())
        .where(Presentation.case_id.in_(case_ids))
        .group_by(Presentation.case_id, Presentation.specialty)
    )
    for case_id, specialty, count in rows:
        counts[case_id][specialty] = count
    return counts


@dataclass
class CaseSearch:
    """What the case list is asked for: free text, a status, urgent only."""

    q: str = ""
    status: str = ""
    urgent_only: bool = False


def search_cases(search: CaseSearch):
    """The query for the case list: urgent first, then newest, with the patient loaded."""
    query = select(Case).join(Case.patient).options(joinedload(Case.patient))
    text = search.q.strip()
    if text:
        by_mrn = func.lower(Patient.mrn).startswith(text.lower(), autoescape=True)
        words = [word for word in text.replace(",", " ").split() if word]
        by_name = [
            or_(
                Patient.family_name.icontains(word, autoescape=True),
                Patient.given_name.icontains(word, autoescape=True),
            )
            for word in words
        ]
        query = query.where(or_(by_mrn, *([and_(*by_name)] if by_name else [])))
    if search.status in CASE_STATUSES:
        query = query.where(Case.status == search.status)
    if search.urgent_only:
        query = query.where(Case.is_urgent.is_(True))
    return query.order_by(Case.is_urgent.desc(), Case.created_at.desc(), Case.id.desc())


def cases_of(patient: Patient) -> list[Case]:
    """A patient's cases: urgent first, then newest first."""
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.patient_id == patient.id)
            .order_by(Case.is_urgent.desc(), Case.created_at.desc(), Case.id.desc())
        )
    )


def board_history(case: Case) -> list[tuple]:
    """The agenda places the case has had, oldest meeting first, each with its latest plan."""
    from app.decisions.models import Plan
    from app.decisions.services import plan_detail_loading
    from app.meetings.models import AgendaItem, Meeting

    items = db.session.scalars(
        select(AgendaItem)
        .join(AgendaItem.meeting)
        .where(AgendaItem.case_id == case.id)
        .options(joinedload(AgendaItem.meeting))
        .order_by(Meeting.starts_at, AgendaItem.id)
    ).all()
    plans: dict[int, Plan] = {}
    if items:
        for plan in db.session.scalars(
            select(Plan)
            .where(Plan.agenda_item_id.in_([item.id for item in items]))
            .options(*plan_detail_loading())
            .order_by(Plan.version)
        ):
            plans[plan.agenda_item_id] = plan  # the highest version wins
    return [(item, plans.get(item.id)) for item in items]
