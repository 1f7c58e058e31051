"""The catalogue options' documented indications and contraindications, as checkable conditions.

Each condition restates one fact of the catalogue (REFERENCE §8.1) or one rule (§7) as a test
on the case's facts (`PlanContext`), and carries that fact's rule, source and confidence tag
into the departure it reports. A condition whose input the case lacks reports "not checked:
needs …" instead of passing silently; a missing value never counts as a pass.

Facts of §8.1 the tool cannot test, because the case has no input for them or the reference
gives no threshold, are left to the board and not listed as conditions: cEBRT "cumulative cord
dose after prior RT" (no cord-dose input) and "life expectancy ≥ 4 weeks"; SBRT "poor PS / short
survival" (no threshold), "cannot lie still", "planning resources", oligometastatic disease;
separation surgery "diffuse multilevel disease" (no definition of diffuse); Patchell's
tissue-proven non-CNS cancer and "not cauda-equina or root compression only"; open
stabilisation "modified Bauer 0–1" (the tool does not compute Bauer) and "poor bone stock";
MIS "need for a wide open decompression", "very poor bone quality"; cement "infection,
coagulopathy, cement allergy", "posterior-wall disruption"; ablation "too close to cord or
nerves"; MRgFUS "acoustic window"; embolisation "Adamkiewicz feeder", "renal impairment";
bone-modifying agents, systemic therapy, corticosteroids (tissue diagnosis before steroids),
radiopharmaceutical "marrow reserve"; en bloc "high morbidity", "multiple mets".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.clinical.vocabulary import CONFIDENCE_TAGS, LEVELS

# What a departure is; only "not_checked" is a note rather than a departure from the plan.
KINDS: dict[str, str] = {
    "contraindication": "Contraindication",
    "caution": "Caution",
    "noms": "Departs from the NOMS suggestion",
    "not_checked": "Not checked",
}

# Short names for messages; the catalogue's names are the long, cited ones.
SHORT_NAMES: dict[str, str] = {
    "cebrt": "cEBRT",
    "sbrt": "SBRT",
    "separation_surgery": "Separation surgery",
    "decompression_surgery": "Direct decompressive surgery (Patchell)",
    "open_stabilization": "Open stabilisation",
    "mis_stabilization": "MIS / percutaneous stabilisation",
    "cement_augmentation": "Cement augmentation (vertebroplasty / kyphoplasty)",
    "thermal_ablation": "Thermal ablation",
    "mrgfus": "MRgFUS",
    "embolization": "Preoperative embolisation",
    "systemic_therapy": "Systemic anticancer therapy",
    "bone_modifying_agent": "Bone-modifying agent",
    "radiopharmaceutical": "Radiopharmaceutical",
    "corticosteroids": "Corticosteroids",
    "analgesia": "Analgesia",
    "bracing": "Bracing",
    "spinal_precautions": "Spinal precautions",
    "rehabilitation": "Rehabilitation",
    "en_bloc_resection": "En bloc resection",
    "best_supportive_care": "Best supportive care",
}

OPEN_SURGERY = (
    "separation_surgery",
    "decompression_surgery",
    "open_stabilization",
    "en_bloc_resection",
)
# §2 [C2]: "high-grade ESCC needs decompression before radiation".
DECOMPRESSION = ("separation_surgery", "decompression_surgery")
# Separation surgery includes posterior stabilisation (CONTRACT, noms.suggest).
STABILISATION = ("separation_surgery", "open_stabilization", "mis_stabilization")
# R19: the definitive treatment of cord compression is surgery or radiotherapy. MIS screws and
# cement do not decompress the cord (§8.1 row 6: "no direct decompression needed").
CORD_COMPRESSION_TREATMENTS = ("cebrt", "sbrt", *OPEN_SURGERY)

FITNESS_INPUT = "the board's fitness assessment on this agenda item (NOMS S)"
ESCC_INPUT = "the ESCC grade of the index lesion"


@dataclass(frozen=True)
class PlanContext:
    """The facts of a case that the conditions test; None means the case does not have it."""

    escc_grade: str | None = None
    # The board's grouping for NOMS: "low" or "high"; for grade 1c, None until the board chooses.
    escc_group: str | None = None
    # Levels of every lesion with cord compression (ESCC 2 or 3); None when a lesion's grade
    # is missing, so that a second compression site cannot be ruled out.
    compression_levels: tuple[str, ...] | None = None
    sins_total: int | None = None
    sins_category: str | None = None
    radiosensitive: bool | None = None
    mechanical: str | None = None
    # fit_for_open_surgery, fit_for_mis, fit_for_sbrt, fit_for_radiotherapy.
    fitness: Mapping[str, bool] | None = None
    tokuhashi_total: int | None = None
    tokuhashi_category: str | None = None
    tomita_total: int | None = None
    tomita_category: str | None = None
    frankel: str | None = None
    # The case has no input for how long paraplegia has lasted: None unless one is given.
    paraplegia_over_48h: bool | None = None
    noms_options: tuple[str, ...] | None = None
    noms_rules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # What the NOMS helper still needs when there is no suggestion.
    noms_missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Departure:
    """One way a plan departs from the documented indications or the NOMS suggestion.

    `step_position` is the plan step it is about (1-based), None for the plan as a whole;
    kind "not_checked" is a note: a condition the case lacked the input to check.
    """

    step_position: int | None
    option_code: str | None
    kind: str
    message: str
    source: str
    rule: str
    tag: str

    @property
    def needs_reason(self) -> bool:
        return self.kind != "not_checked"

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def tag_label(self) -> str:
        return CONFIDENCE_TAGS.get(self.tag, self.tag)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step_position": self.step_position,
            "option_code": self.option_code,
            "kind": self.kind,
            "message": self.message,
            "source": self.source,
            "rule": self.rule,
            "tag": self.tag,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Departure:
        return cls(
            step_position=data.get("step_position"),
            option_code=data.get("option_code"),
            kind=data["kind"],
            message=data["message"],
            source=data.get("source", ""),
            rule=data.get("rule", ""),
            tag=data.get("tag", ""),
        )


@dataclass(frozen=True)
class NotChecked:
    """The outcome of a condition whose input the case lacks."""

    needs: str


# A test gets the step's position (1-based), every step's option code in plan order, and the
# facts; it returns None when the condition holds, a message when the plan departs from it,
# or NotChecked.
Outcome = str | NotChecked | None
Test = Callable[[int, tuple[str, ...], PlanContext], Outcome]


@dataclass(frozen=True)
class Condition:
    """One documented indication or contraindication of one option, as a test."""

    name: str
    option: str
    kind: str
    # The fact as the catalogue states it, quoted in "not checked" notes.
    statement: str
    rule: str
    tag: str
    source: str
    test: Test

    def check(self, position: int, steps: tuple[str, ...], context: PlanContext):
        """The departure this condition finds for the step at `position`, or None."""
        outcome = self.test(position, steps, context)
        if outcome is None:
            return None
        if isinstance(outcome, NotChecked):
            kind = "not_checked"
            message = (
                f"{SHORT_NAMES[self.option]}: “{self.statement}” not checked: "
                f"needs {outcome.needs}."
            )
        else:
            kind, message = self.kind, outcome
        return Departure(position, self.option, kind, message, self.source, self.rule, self.tag)


# --- facts derived from the context -----------------------------------------------------------


def _high_grade(context: PlanContext) -> bool | NotChecked:
    """High-grade ESCC per R7: 2 and 3; 1c as the board grouped it."""
    grade = context.escc_grade
    if grade is None:
        return NotChecked(ESCC_INPUT)
    if grade in ("2", "3"):
        return True
    if grade == "1c":
        if context.escc_group is None:
            return NotChecked("the board's grouping of ESCC 1c as low or high grade (R7)")
        return context.escc_group == "high"
    return False


def _grade(context: PlanContext) -> str:
    """The index lesion's grade as messages name it, with the board's grouping of 1c."""
    if context.escc_grade == "1c" and context.escc_group is not None:
        return f"grade 1c, grouped as {context.escc_group} grade by the board"
    return f"grade {context.escc_grade}"


def _cord_compressed(context: PlanContext) -> bool | NotChecked:
    """Cord compression itself: grades 2 and 3 only (1c abuts the cord without compressing it)."""
    if context.escc_grade is None:
        return NotChecked(ESCC_INPUT)
    return context.escc_grade in ("2", "3")


def _fit(context: PlanContext, judgement: str) -> bool | NotChecked:
    if context.fitness is None or context.fitness.get(judgement) is None:
        return NotChecked(FITNESS_INPUT)
    return bool(context.fitness[judgement])


def _before(position: int, steps: tuple[str, ...], codes: tuple[str, ...]) -> bool:
    return any(code in codes for code in steps[: position - 1])


def _after(position: int, steps: tuple[str, ...], codes: tuple[str, ...]) -> bool:
    return any(code in codes for code in steps[position:])


def _compression_sites(levels: tuple[str, ...]) -> list[list[str]]:
    """Compressed levels grouped into runs of contiguous levels (one run = one area)."""
    order = {level: index for index, level in enumerate(LEVELS)}
    runs: list[list[str]] = []
    for level in sorted(set(levels), key=order.__getitem__):
        if runs and order[level] - order[runs[-1][-1]] == 1:
            runs[-1].append(level)
        else:
            runs.append([level])
    return runs


# --- the tests --------------------------------------------------------------------------------


def _cement_with_cord_compression(position, steps, context) -> Outcome:
    compressed = _cord_compressed(context)
    if isinstance(compressed, NotChecked):
        return compressed
    if not compressed:
        return None
    return (
        f"Cement augmentation with ESCC grade {context.escc_grade} (cord compression): cord "
        "compression from retropulsed bone or epidural tumour with deficit is a commonly cited "
        "contraindication to vertebroplasty / kyphoplasty."
    )


def _cement_with_gross_instability(position, steps, context) -> Outcome:
    if context.mechanical is None:
        return NotChecked("the board's mechanical assessment (NOMS M)")
    if context.mechanical != "unstable":
        return None
    return (
        "Cement augmentation is documented for mechanical pain without gross instability; "
        "the spine is judged unstable, for which stabilisation is documented (R13)."
    )


def _sbrt_without_prior_separation(position, steps, context) -> Outcome:
    high = _high_grade(context)
    if isinstance(high, NotChecked):
        return high
    if not high or _before(position, steps, DECOMPRESSION):
        return None
    return (
        f"SBRT with high-grade ESCC ({_grade(context)}) and no separation surgery "
        "before it: the cord dose limits SBRT until the tumour is separated from the cord."
    )


def _sbrt_on_unstable_lesion(position, steps, context) -> Outcome:
    if context.sins_total is None:
        return NotChecked("the SINS of the index lesion")
    # R2: 13–18 is "unstable"; 7–12 is left to the board's judgement of the M assessment.
    if context.sins_total < 13 or _before(position, steps, STABILISATION):
        return None
    return (
        f"SBRT for an unstable lesion (SINS {context.sins_total}) with no stabilisation before "
        "it: risk of vertebral fracture after SBRT."
    )


def _not_fit(judgement: str, what: str) -> Test:
    def test(position, steps, context) -> Outcome:
        fit = _fit(context, judgement)
        if isinstance(fit, NotChecked):
            return fit
        if fit:
            return None
        return (
            f"{SHORT_NAMES[steps[position - 1]]}, but the board judged the patient not fit for "
            f"{what}: a component the patient cannot tolerate is dropped (R15)."
        )

    return test


def _radiosensitive(position, steps, context) -> Outcome:
    if context.radiosensitive is None:
        return NotChecked("the radiosensitivity of the histology (NOMS O)")
    if not context.radiosensitive:
        return None
    return (
        f"{SHORT_NAMES[steps[position - 1]]} for a radiosensitive histology: radiosensitive "
        "tumours are treated with cEBRT whatever the ESCC grade (R9)."
    )


def _separation_needs_high_grade(position, steps, context) -> Outcome:
    high = _high_grade(context)
    if isinstance(high, NotChecked):
        return high
    if high:
        return None
    return (
        "Separation surgery is documented for high-grade ESCC (2–3); the index lesion is "
        f"ESCC {_grade(context)}."
    )


def _patchell_needs_compression(position, steps, context) -> Outcome:
    high = _high_grade(context)
    if isinstance(high, NotChecked):
        return high
    if high:
        return None
    return (
        "Direct decompressive surgery is documented for MRI-confirmed cord compression meeting "
        f"the Patchell criteria; the index lesion is ESCC {_grade(context)}."
    )


def _paraplegia_over_48h(position, steps, context) -> Outcome:
    if context.paraplegia_over_48h is None:
        if context.frankel is None:
            return NotChecked("the Frankel grade")
        if context.frankel not in ("A", "B"):
            return None  # motor function below the lesion: not paraplegic
        return NotChecked(
            f"how long the patient has been paraplegic (Frankel {context.frankel}); "
            "the case has no input for it"
        )
    if not context.paraplegia_over_48h:
        return None
    return (
        f"{SHORT_NAMES[steps[position - 1]]} after paraplegia of more than 48 hours: the chance "
        "of neurological recovery is low (R21)."
    )


def _single_compression_site(position, steps, context) -> Outcome:
    if context.compression_levels is None:
        return NotChecked("the ESCC grade of every lesion")
    sites = _compression_sites(context.compression_levels)
    if len(sites) <= 1:
        return None
    named = ", ".join("–".join((run[0], run[-1])) if len(run) > 1 else run[0] for run in sites)
    return (
        f"Direct decompressive surgery with cord compression at separate sites ({named}): the "
        "Patchell criteria require a single area of compression."
    )


def _expected_survival_3_months(position, steps, context) -> Outcome:
    return NotChecked(
        "an estimate of expected survival; no score in the tool gives the 3-month threshold"
    )


def _tokuhashi_short_survival(position, steps, context) -> Outcome:
    if context.tokuhashi_category is None:
        return NotChecked("the revised Tokuhashi score")
    if context.tokuhashi_category != "lt_6_months":
        return None
    return (
        f"{SHORT_NAMES[steps[position - 1]]} with revised Tokuhashi {context.tokuhashi_total} "
        "(< 6 months): short expected survival suggests non-operative care."
    )


def _tomita_short_survival(position, steps, context) -> Outcome:
    if context.tomita_category is None:
        return NotChecked("the Tomita score")
    if context.tomita_category != "supportive_care":
        return None
    return (
        f"{SHORT_NAMES[steps[position - 1]]} with Tomita {context.tomita_total} (8–10): "
        "short expected survival suggests non-operative supportive care."
    )


def _en_bloc_favourable(position, steps, context) -> Outcome:
    tomita, tokuhashi = context.tomita_category, context.tokuhashi_category
    if tomita == "wide_marginal_excision" or tokuhashi == "gte_1_year":
        return None
    lacking = [
        name
        for name, value in (
            ("the Tomita score", tomita),
            ("the revised Tokuhashi score", tokuhashi),
        )
        if value is None
    ]
    if lacking:
        return NotChecked(" and ".join(lacking))
    return (
        "En bloc resection is documented for Tomita 2–3 or revised Tokuhashi 12–15; this case "
        f"has Tomita {context.tomita_total} and Tokuhashi {context.tokuhashi_total}."
    )


def _radiopharmaceutical_for_compression(position, steps, context) -> Outcome:
    compressed = _cord_compressed(context)
    if isinstance(compressed, NotChecked):
        return compressed
    if not compressed or any(code in CORD_COMPRESSION_TREATMENTS for code in steps):
        return None
    return (
        f"Radiopharmaceutical with cord compression (ESCC grade {context.escc_grade}) and no "
        "radiotherapy or surgery in the plan: a radiopharmaceutical is not a treatment for cord "
        "compression."
    )


def _embolisation_before_open_surgery(position, steps, context) -> Outcome:
    if _after(position, steps, OPEN_SURGERY):
        return None
    return (
        "Preoperative embolisation is documented before open surgery; no open surgery follows "
        "it in the plan."
    )


# --- the conditions, by option ----------------------------------------------------------------


def _conditions() -> tuple[Condition, ...]:
    rows = [
        Condition(
            "cord_compression",
            "cement_augmentation",
            "contraindication",
            "Cord compression from retropulsed bone or epidural tumour with deficit",
            "§8.1 row 7",
            "R",
            "Catalogue row 7 (vertebroplasty / kyphoplasty), contraindications: commonly cited",
            _cement_with_cord_compression,
        ),
        Condition(
            "without_gross_instability",
            "cement_augmentation",
            "caution",
            "Mechanical axial-load pain without gross instability",
            "R14",
            "C",
            "Catalogue row 7, indications; NOMS (MSKCC review)",
            _cement_with_gross_instability,
        ),
        Condition(
            "high_grade_without_separation",
            "sbrt",
            "contraindication",
            "High-grade ESCC without prior separation (cord dose)",
            "R11",
            "C2",
            "Catalogue row 2 (SBRT), contraindications; REFERENCE §2",
            _sbrt_without_prior_separation,
        ),
        Condition(
            "instability",
            "sbrt",
            "caution",
            "Instability (SINS; risk of fracture after SBRT)",
            "R2",
            "C",
            "Catalogue row 2 (SBRT), contraindications (Huo 2017)",
            _sbrt_on_unstable_lesion,
        ),
        Condition(
            "not_fit_for_sbrt",
            "sbrt",
            "contraindication",
            "Unfit for SBRT",
            "R15",
            "C2",
            "NOMS S (REFERENCE §3.3: not fit for SBRT, replace SRS with cEBRT)",
            _not_fit("fit_for_sbrt", "SBRT"),
        ),
        Condition(
            "radiosensitive",
            "separation_surgery",
            "contraindication",
            "Radiosensitive histology (use cEBRT)",
            "R9",
            "C2",
            "Catalogue row 3 (separation surgery), contraindications",
            _radiosensitive,
        ),
        Condition(
            "high_grade",
            "separation_surgery",
            "caution",
            "Radioresistant tumour with high-grade ESCC (2–3) in a patient fit for surgery",
            "R11",
            "C2",
            "Catalogue row 3 (separation surgery), indications; NOMS",
            _separation_needs_high_grade,
        ),
        Condition(
            "long_standing_paraplegia",
            "separation_surgery",
            "contraindication",
            "Long-standing paraplegia",
            "R21",
            "C",
            "Catalogue row 3 (separation surgery), contraindications",
            _paraplegia_over_48h,
        ),
        Condition(
            "radiosensitive",
            "decompression_surgery",
            "contraindication",
            "Radiosensitive tumours",
            "R16",
            "C2",
            "Catalogue row 4 (Patchell), contraindications; Patchell Lancet 2005",
            _radiosensitive,
        ),
        Condition(
            "cord_compression",
            "decompression_surgery",
            "caution",
            "MSCC meeting the Patchell criteria (MRI-confirmed cord displacement)",
            "R16",
            "C2",
            "Catalogue row 4 (Patchell), indications; Patchell Lancet 2005",
            _patchell_needs_compression,
        ),
        Condition(
            "paraplegia_over_48h",
            "decompression_surgery",
            "contraindication",
            "Paraplegia > 48 h",
            "R16",
            "C2",
            "Catalogue row 4 (Patchell), contraindications; Patchell Lancet 2005",
            _paraplegia_over_48h,
        ),
        Condition(
            "single_compression_site",
            "decompression_surgery",
            "contraindication",
            "Multiple separate compression sites",
            "R16",
            "C2",
            "Catalogue row 4 (Patchell), contraindications; Patchell Lancet 2005",
            _single_compression_site,
        ),
        Condition(
            "survival_3_months",
            "decompression_surgery",
            "contraindication",
            "Survival < 3 months",
            "R16",
            "C2",
            "Catalogue row 4 (Patchell), contraindications; Patchell Lancet 2005",
            _expected_survival_3_months,
        ),
        Condition(
            "favourable_prognosis",
            "en_bloc_resection",
            "caution",
            "Tomita 2–3 “wide/marginal excision”; Tokuhashi 12–15 “excisional”",
            "R22, R23",
            "C2",
            "Catalogue row 19 (en bloc resection), indications; Tomita 2001; Tokuhashi 2005",
            _en_bloc_favourable,
        ),
        Condition(
            "cord_compression",
            "radiopharmaceutical",
            "contraindication",
            "Not a treatment for cord compression",
            "§8.1 row 13",
            "R",
            "Catalogue row 13 (radiopharmaceuticals), contraindications",
            _radiopharmaceutical_for_compression,
        ),
        Condition(
            "before_open_surgery",
            "embolization",
            "caution",
            "Hypervascular mets before open surgery, to reduce blood loss",
            "§8.1 row 10",
            "C2",
            "Catalogue row 10 (preoperative embolisation), indications",
            _embolisation_before_open_surgery,
        ),
    ]
    # R15 [C2]: what the patient cannot tolerate is dropped; §8.1 lists "Unfit" for each of these.
    for option, row in (
        ("separation_surgery", 3),
        ("decompression_surgery", 4),
        ("open_stabilization", 5),
        ("en_bloc_resection", 19),
    ):
        rows.append(
            Condition(
                "not_fit_for_open_surgery",
                option,
                "contraindication",
                "Unfit for open surgery",
                "R15",
                "C2",
                f"Catalogue row {row}, contraindications; NOMS S",
                _not_fit("fit_for_open_surgery", "open surgery"),
            )
        )
    rows.append(
        Condition(
            "not_fit_for_mis",
            "mis_stabilization",
            "contraindication",
            "Unfit for MIS",
            "R15",
            "C2",
            "NOMS S (REFERENCE §3.1: fit for MIS?)",
            _not_fit("fit_for_mis", "minimally invasive surgery"),
        )
    )
    for option in ("cebrt", "sbrt"):
        rows.append(
            Condition(
                "not_fit_for_radiotherapy",
                option,
                "contraindication",
                "Unfit for radiotherapy",
                "R15",
                "C2",
                "NOMS S (REFERENCE §3.2 path 6: everything is limited by S)",
                _not_fit("fit_for_radiotherapy", "radiotherapy"),
            )
        )
    # §8.1 row 5: "short expected survival (Tokuhashi 0–8, Tomita 8–10 … suggest non-operative
    # care)". En bloc resection is open surgery with a longer recovery, so it is held to the same
    # caution [I], besides its own indication (row 19: Tomita 2–3 or Tokuhashi 12–15).
    for option, row in (("open_stabilization", 5), ("en_bloc_resection", 19)):
        rows.append(
            Condition(
                "tokuhashi_short_survival",
                option,
                "caution",
                "Short expected survival (Tokuhashi 0–8)",
                "R22",
                "C2",
                f"Catalogue row {row}; revised Tokuhashi (Tokuhashi 2005)",
                _tokuhashi_short_survival,
            )
        )
        rows.append(
            Condition(
                "tomita_short_survival",
                option,
                "caution",
                "Short expected survival (Tomita 8–10)",
                "R23",
                "C",
                f"Catalogue row {row}; Tomita 2001",
                _tomita_short_survival,
            )
        )
    return tuple(rows)


CONDITIONS: tuple[Condition, ...] = _conditions()


def conditions_for(option: str) -> tuple[Condition, ...]:
    """The conditions of one option, in a stable order (contraindications first)."""
    order = {"contraindication": 0, "caution": 1}
    return tuple(
        sorted(
            (condition for condition in CONDITIONS if condition.option == option),
            key=lambda condition: order[condition.kind],
        )
    )
