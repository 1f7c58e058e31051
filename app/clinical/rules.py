"""The numbered decision rules of the clinical reference (R1–R26) with their confidence tags."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.clinical.vocabulary import CONFIDENCE_TAGS


@dataclass(frozen=True)
class Rule:
    """One rule of REFERENCE §7, worded shortly, with the tag the reference gives it."""

    number: str
    summary: str
    tag: str
    # Where the reference tags parts of a rule differently: what the tag above stands for.
    note: str = ""

    @property
    def tag_label(self) -> str:
        return CONFIDENCE_TAGS[self.tag]


# REFERENCE §7. A rule whose parts carry different tags is given the weakest tag of the parts
# the tool relies on, and the note says which part is stronger or weaker.
RULES: dict[str, Rule] = {
    rule.number: rule
    for rule in (
        Rule("R1", "SINS total = sum of the six component points (0–18)", "C2"),
        Rule("R2", "SINS 0–6 stable; 7–12 potentially unstable; 13–18 unstable", "C2"),
        Rule("R3", "SINS ≥ 7: surgical consultation recommended", "C2"),
        Rule(
            "R4",
            "SINS location from the vertebral level; coccyx and lesions across two classes "
            "need a manual choice",
            "C2",
            "the manual choice for coccyx and lesions across classes is [I]",
        ),
        Rule("R5", "Never score SINS with a missing component", "I"),
        Rule("R6", "ESCC grade 0, 1a, 1b, 1c, 2 or 3, at the worst level on axial T2", "C2"),
        Rule(
            "R7",
            "High-grade ESCC = 2, 3; low-grade = 0, 1a, 1b; 1c: the board chooses",
            "C2",
            "the board's choice for 1c is [I]",
        ),
        Rule("R8", "Radiosensitivity from the site's table, with a per-case override", "I"),
        Rule("R9", "Radiosensitive: cEBRT, whatever the ESCC grade", "C2"),
        Rule("R10", "Radioresistant + low-grade ESCC: SRS/SBRT", "C2"),
        Rule(
            "R11",
            "Radioresistant + high-grade ESCC + fit for surgery: separation surgery, then SBRT",
            "C2",
        ),
        Rule(
            "R12",
            "Radioresistant + high-grade ESCC + not fit for surgery: palliative cEBRT ± steroids",
            "R",
            "ASTRO 2024's statement on RT for non-surgical MSCC is [C]",
        ),
        Rule("R13", "Gross mechanical instability: stabilisation, open or MIS", "C2"),
        Rule(
            "R14",
            "Mechanical pain from a vertebral body fracture without gross instability: "
            "cement augmentation",
            "C",
        ),
        Rule("R15", "S overrides: drop what the patient cannot tolerate, record why", "C2"),
        Rule(
            "R16",
            "Direct decompressive surgery + RT (Patchell) only when all the trial's criteria hold",
            "C2",
        ),
        Rule(
            "R17",
            "Suspected MSCC is an emergency: coordinator now, dexamethasone 16 mg, MRI within 24 h",
            "S",
            "contacting the MSCC coordinator is [C]; dexamethasone and the 24-hour MRI are [S]",
        ),
        Rule("R18", "Spinal pain without neurological signs: MRI whole spine within 1 week", "S"),
        Rule(
            "R19",
            "Definitive treatment (surgery or RT) as soon as possible, within 24 h",
            "R",
            "the CG75 wording is [R]; Patchell's ≤ 24 h timing is [C]",
        ),
        Rule(
            "R20",
            "Stop dexamethasone if MSCC is ruled out; reduce after surgery or at the start of RT",
            "S",
            "the taper schedule is [R]",
        ),
        Rule("R21", "Paraplegia > 48 h predicts a low chance of neurological recovery", "C"),
        Rule("R22", "Revised Tokuhashi 0–8 / 9–11 / 12–15 and the approach for each", "C2"),
        Rule("R23", "Tomita 2–3 / 4–5 / 6–7 / 8–10 and the surgical strategy for each", "C"),
        Rule("R24", "Modified Bauer 0–1 / 2 / 3–4 and the treatment for each", "C"),
        Rule(
            "R25",
            "NESMS = 2·[modified Bauer ≥ 3] + [independent ambulation] + [albumin ≥ 3.5 g/dL]",
            "R",
            "the weights are [C]; the cut-offs are [R]",
        ),
        Rule("R26", "Show every score side by side; never auto-select a plan", "I"),
    )
}

# From the least to the most certain: when a statement rests on several tagged parts, it is
# only as certain as its weakest part. [I] is the tool's own choice, between [S] and [C].
_CERTAINTY = ("R", "S", "I", "C", "C2")


def tag_of(number: str) -> str:
    """The confidence tag of a rule number ("R12" → "R"); KeyError for an unknown rule."""
    return RULES[number].tag


def weakest(tags: Iterable[str]) -> str:
    """The least certain of the given tags; ValueError when there are none."""
    given = list(tags)
    if not given:
        raise ValueError("tags: none given")
    return min(given, key=_CERTAINTY.index)
