"""Recording a case's urgency-pathway times, and the pathway as the case page shows it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.audit.services import record
from app.cases.models import Case
from app.clinical import urgency
from app.clinical.scores import ClinicalInputError
from app.editing import apply_changes, check_version, commit_edit
from app.meetings.services import publish_case_change
from app.timestamps import utcnow

URGENCY_FIELDS: tuple[str, ...] = ("has_neurological_signs", *urgency.STEP_FIELDS)


@dataclass(frozen=True)
class CaseUrgency:
    """The pathway of a case now, or why its recorded times cannot be assessed."""

    pathway: urgency.Pathway | None
    problem: str | None = None


def shows_pathway(case: Case) -> bool:
    """Urgent and suspected-MSCC cases show the pathway, as does any case with a time recorded."""
    return bool(
        case.is_urgent
        or case.suspected_mscc
        or case.has_neurological_signs
        or any(getattr(case, field) is not None for field in urgency.STEP_FIELDS)
    )


def _moments(case: Case) -> dict[str, datetime | None]:
    return {field: getattr(case, field) for field in urgency.STEP_FIELDS}


def problem_text(error: ClinicalInputError) -> str:
    """ "MRI done cannot be before MRI requested." for an error naming a pathway field."""
    return f"{urgency.STEP_LABELS.get(error.field, error.field)} {error.problem}."


def case_pathway(case: Case, *, now: datetime | None = None) -> CaseUrgency | None:
    """The case's pathway at `now` (default: the current time); None when it has none."""
    if not shows_pathway(case):
        return None
    try:
        pathway = urgency.pathway(
            suspected_mscc=case.suspected_mscc,
            has_neurological_signs=case.has_neurological_signs,
            now=now or utcnow(),
            **_moments(case),
        )
    except ClinicalInputError as error:
        return CaseUrgency(pathway=None, problem=problem_text(error))
    return CaseUrgency(pathway=pathway)


def record_timeline(
    *,
    case: Case,
    base_lock_version: int,
    author,
    has_neurological_signs: bool,
    moments: dict[str, datetime | None],
) -> list[str]:
    """Store the pathway's times and the neurological flag; return the names of what changed.

    Any member may record them. Raises ClinicalInputError (naming the field) for a time out of
    order or in the future, and StaleEdit when the case changed since `base_lock_version`.
    """
    unknown = set(moments) - set(urgency.STEP_FIELDS)
    if unknown:
        raise ClinicalInputError(sorted(unknown)[0], "is not a step of the urgency pathway")
    values = {field: moments.get(field) for field in urgency.STEP_FIELDS}
    urgency.check_timeline(**values)
    now = utcnow()
    for field, moment in values.items():
        if moment is not None and moment > now:
            raise ClinicalInputError(field, "cannot be in the future")
    check_version(case, base_lock_version)
    values["has_neurological_signs"] = bool(has_neurological_signs)
    fields = URGENCY_FIELDS
    if has_neurological_signs:
        # R17: cancer with neurological symptoms or signs is suspected MSCC, an emergency; the
        # case is flagged so, and sorts with the urgent cases everywhere.
        values.update(suspected_mscc=True, is_urgent=True)
        fields = (*URGENCY_FIELDS, "suspected_mscc", "is_urgent")
    changed = apply_changes(case, values, fields)
    if not changed:
        return []
    record(
        "changed", "case", case.id, patient_id=case.patient_id, user_id=author.id, fields=changed
    )
    publish_case_change(case.id)
    commit_edit(case)
    return changed
