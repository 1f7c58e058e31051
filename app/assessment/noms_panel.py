"""What the NOMS panel of the item and case pages shows: N, O, M, S and the documented options."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.permissions import may_record_choice, may_record_plan
from app.assessment import fitness as fitness_services
from app.assessment import radiosensitivity
from app.assessment.models import BoardChoice, FitnessAssessment
from app.clinical import inputs
from app.clinical.catalogue import load_catalogue
from app.clinical.rules import RULES, Rule
from app.clinical.vocabulary import ESCC_GRADES, SPECIALTIES, label
from app.extensions import db
from app.meetings.models import AgendaItem, Meeting

CAVEAT = "documented options for discussion — the board decides"

MECHANICAL_LABELS = {
    "stable": "Stable",
    "unstable": "Gross instability",
    "mechanical_pain": "Mechanical pain without gross instability",
}
ESCC_GROUP_LABELS = {"low": "low grade", "high": "high grade"}


@dataclass(frozen=True)
class ShownOption:
    """One documented option of the suggestion, with the rules that produced it."""

    code: str
    name: str
    rules: tuple[Rule, ...]


@dataclass
class NomsPanel:
    """Everything the NOMS partial shows for one case (and the item whose fitness counts)."""

    case: object
    item: AgendaItem | None
    assessment: object
    fitness: FitnessAssessment | None
    override: BoardChoice | None
    options: tuple[ShownOption, ...] = ()
    dropped: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    can_record_fitness: bool = False
    can_record_override: bool = False
    fitness_on_other_item: bool = False
    judgements: tuple[tuple[str, bool], ...] = field(default_factory=tuple)
    # The form the chair or a coordinator records the judgement with, on the item page.
    fitness_form: object = None

    caveat: str = CAVEAT

    @property
    def escc_text(self) -> str:
        grade = getattr(self.assessment, "escc_grade", None)
        group = getattr(self.assessment, "escc_group", None)
        if grade is None:
            return "ESCC grade not entered yet"
        grade_text = f"ESCC {label(ESCC_GRADES, grade)}"
        if group is None:
            return f"{grade_text}; the board has not grouped it yet"
        return f"{grade_text}; {ESCC_GROUP_LABELS[group]}"

    @property
    def radiosensitivity_text(self) -> str:
        value = getattr(self.assessment, "radiosensitive", None)
        if value is None:
            return "Not classified"
        return "Radiosensitive" if value else "Radioresistant"

    @property
    def mechanical_text(self) -> str:
        value = getattr(self.assessment, "mechanical", None)
        return label(MECHANICAL_LABELS, value) if value else "Not known yet"


def _roles(field_name: str) -> str:
    names = [label(SPECIALTIES, code).lower() for code in inputs.owners(field_name)]
    return " or ".join(names) or "the board"


def cited(number: str) -> Rule:
    """The rule of REFERENCE §7 an option rests on, with its tag."""
    return RULES.get(number) or Rule(number, "see REFERENCE §7", "")


def latest_item_of(case) -> AgendaItem | None:
    """The case's agenda item at its latest meeting: the one whose fitness judgement counts."""
    return db.session.scalar(
        select(AgendaItem)
        .join(Meeting, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.case_id == case.id)
        .options(joinedload(AgendaItem.meeting).joinedload(Meeting.chair))
        .order_by(Meeting.starts_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )


def _needs(assessment, *, item) -> tuple[str, ...]:
    needs = []
    if getattr(assessment, "escc_group", None) is None:
        if getattr(assessment, "escc_grade", None) is None:
            needs.append(f"ESCC grade of the index lesion ({_roles('escc_grade')})")
        else:
            needs.append("ESCC 1c grouping for NOMS (the board chooses low or high grade)")
    if getattr(assessment, "radiosensitive", None) is None:
        needs.append("radiosensitivity (not in the table: the board classifies this tumour)")
    if getattr(assessment, "mechanical", None) is None:
        needs.append(
            "mechanical status (the board chooses, or SINS of the index lesion"
            f" from {_roles('alignment')})"
        )
    if getattr(assessment, "fitness", None) is None:
        where = "" if item is not None else ", on an agenda item"
        needs.append(f"fitness judgement (chair or coordinator{where})")
    return tuple(needs)


def _dropped_text(text: str, names: dict[str, str]) -> str:
    """ "sbrt: not fit for SBRT" → "SBRT / spine SRS: not fit for SBRT" (R15)."""
    code, _, why = text.partition(": ")
    return f"{names[code]}: {why}" if code in names and why else text[:1].upper() + text[1:]


def noms_panel(case, item=None, *, user) -> NomsPanel:
    """The NOMS panel for `case`; on the case page (no `item`) the latest agenda item's fitness."""
    from app.assessment.services import case_assessment

    on_item_page = item is not None
    if item is None:
        item = latest_item_of(case)
    assessment = case_assessment(case, item=item)
    fitness = fitness_services.latest_fitness(item) if item is not None else None
    panel = NomsPanel(
        case=case,
        item=item,
        assessment=assessment,
        fitness=fitness,
        override=radiosensitivity.latest_override(case),
        can_record_fitness=bool(on_item_page and may_record_plan(user, item.meeting)),
        can_record_override=may_record_choice(user),
        fitness_on_other_item=bool(not on_item_page and fitness is not None),
        needs=_needs(assessment, item=item),
    )
    if fitness is not None:
        panel.judgements = tuple(
            (fitness_services.JUDGEMENT_LABELS[name], getattr(fitness, name))
            for name in fitness_services.JUDGEMENTS
        )
    suggestion = getattr(assessment, "noms", None)
    if suggestion is not None:
        names = {option.code: option.name for option in load_catalogue()}
        panel.options = tuple(
            ShownOption(
                code=code,
                name=names.get(code, code),
                rules=tuple(cited(rule) for rule in suggestion.rules_by_option.get(code, ())),
            )
            for code in suggestion.options
        )
        panel.dropped = tuple(_dropped_text(text, names) for text in suggestion.dropped)
    return panel
