"""A case's clinical assessment from the database, and recording the board's choices."""

from __future__ import annotations

import importlib.util
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.assessment.choices import store_choice
from app.assessment.fitness import latest_fitness
from app.assessment.models import CHOICE_KINDS, BoardChoice, FitnessAssessment
from app.cases.models import Case, Presentation
from app.cases.services import current_presentations
from app.clinical.assessment import (
    FITNESS_FIELDS,
    NOT_IN_TABLE,
    Assessment,
    CaseFacts,
    ChoiceNeeded,
    LesionFacts,
    assess,
)
from app.extensions import db

# The patient-level inputs the scores read from the presentations.
SCORED_FIELDS = (
    "kps",
    "ecog",
    "extraspinal_bone_mets",
    "vertebral_mets",
    "tokuhashi_visceral",
    "tomita_visceral",
    "frankel",
    "asia",
)
LESION_INPUTS = (
    "location",
    "pain",
    "lesion_quality",
    "alignment",
    "collapse",
    "collapse_percent",
    "posterolateral",
    "escc_grade",
    "cauda_equina",
    "is_index",
)


class ChoiceRefused(ValueError):
    """A choice the board cannot record as given; `message` says why, for the form."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def board_choices(case: Case) -> list[BoardChoice]:
    """Every choice recorded on the case, oldest first, with who chose (one query)."""
    return list(
        db.session.scalars(
            select(BoardChoice)
            .where(BoardChoice.case_id == case.id)
            .options(joinedload(BoardChoice.chosen_by))
            .order_by(BoardChoice.chosen_at, BoardChoice.id)
        )
    )


def choice_history(choices: list[BoardChoice]) -> dict[tuple[str, str], list[BoardChoice]]:
    """The choices of each (kind, subject), newest first: the first one is in force."""
    history: dict[tuple[str, str], list[BoardChoice]] = defaultdict(list)
    for choice in reversed(choices):
        history[(choice.kind, choice.subject)].append(choice)
    return dict(history)


def current_choices(choices: list[BoardChoice]) -> dict[tuple[str, str], str]:
    """(kind, subject) → value of the latest choice of each (rows are oldest first)."""
    return {(choice.kind, choice.subject): choice.value for choice in choices}


def radiosensitivity(case: Case) -> tuple[bool | None, str]:
    """The tumour's radiosensitivity and where it comes from (the site table or the board)."""
    # The table and its per-case override live in their own module; until a site has one,
    # the board chooses (REFERENCE §4, R8).
    if importlib.util.find_spec("app.assessment.radiosensitivity") is None:
        return None, NOT_IN_TABLE
    from app.assessment.radiosensitivity import classify

    return classify(case)


def _newest_first(presentations: list[Presentation]) -> list[Presentation]:
    return sorted(presentations, key=lambda p: (p.created_at, p.id), reverse=True)


def case_facts(
    case: Case,
    presentations: list[Presentation],
    choices: list[BoardChoice],
    *,
    fitness: FitnessAssessment | None = None,
    radiosensitive: bool | None = None,
    radiosensitivity_source: str = NOT_IN_TABLE,
) -> CaseFacts:
    """The facts of a case from each role's latest presentation.

    [I] An input two roles enter (the number of vertebral metastases; the lesions) is taken
    from the newer of their current entries that gives it, and the page says whose it is.
    """
    newest = _newest_first(presentations)
    values: dict = {}
    sources: dict[str, str] = {}
    for name in SCORED_FIELDS:
        giver = next((p for p in newest if getattr(p, name) is not None), None)
        if giver is not None:
            values[name] = getattr(giver, name)
            sources[name] = giver.specialty
    with_lesions = next((p for p in newest if p.lesions), None)
    lesions: tuple[LesionFacts, ...] = ()
    if with_lesions is not None:
        sources["lesions"] = with_lesions.specialty
        lesions = tuple(
            LesionFacts(
                level=lesion.level,
                **{name: getattr(lesion, name) for name in LESION_INPUTS},
            )
            for lesion in with_lesions.lesions
        )
    return CaseFacts(
        primary_site=case.primary_site,
        levels=tuple(case.levels or ()),
        lesions=lesions,
        choices=current_choices(choices),
        radiosensitive=radiosensitive,
        radiosensitivity_source=radiosensitivity_source,
        fitness=(
            {name: getattr(fitness, name) for name in FITNESS_FIELDS}
            if fitness is not None
            else None
        ),
        sources=sources,
        **values,
    )


def case_assessment(
    case: Case,
    *,
    item=None,
    presentations: list[Presentation] | None = None,
    choices: list[BoardChoice] | None = None,
) -> Assessment:
    """Assess `case` from each role's latest presentation, the board's choices, the
    radiosensitivity table or override and (with `item`) the item's latest fitness judgement.

    A handful of queries whatever the number of entries; pass `presentations` and `choices`
    when the page has loaded them already.
    """
    if presentations is None:
        presentations = current_presentations(case)
    if choices is None:
        choices = board_choices(case)
    sensitive, source = radiosensitivity(case)
    facts = case_facts(
        case,
        presentations,
        choices,
        fitness=latest_fitness(item) if item is not None else None,
        radiosensitive=sensitive,
        radiosensitivity_source=source,
    )
    return assess(facts)


def record_choice(
    *, case: Case, choice: ChoiceNeeded, value: str, reason: str, author
) -> BoardChoice:
    """Record the board's choice for an open question of the case's assessment.

    `choice` is the question as the current assessment asks it; the value must be one of its
    options. Moving away from the tool's suggestion needs a reason. A later choice of the same
    kind and subject supersedes this one; every choice is kept.
    """
    if choice.kind not in CHOICE_KINDS:
        raise ChoiceRefused("kind", f"{choice.kind!r} is not a choice the board records.")
    if value not in choice.options:
        raise ChoiceRefused("value", "Choose one of the options offered.")
    reason = (reason or "").strip()
    if choice.suggested is not None and value != choice.suggested and not reason:
        raise ChoiceRefused(
            "reason",
            f"Give the reason for choosing {choice.options[value]} over the suggested "
            f"{choice.options[choice.suggested]}.",
        )
    return store_choice(
        case=case,
        kind=choice.kind,
        subject=choice.subject,
        value=value,
        reason=reason,
        author=author,
    )
