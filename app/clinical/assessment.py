"""A case's clinical assessment: every score from the inputs at hand, what is missing, what to ask.

`assess(facts)` is pure: the caller gathers the facts (the latest presentation of each role, the
case, the board's current choices, radiosensitivity and fitness) and gets back each score with
its components, the inputs still missing and who owes them, and the choices the reference leaves
to the board (REFERENCE §1.3–1.4, §2, §5.1, §5.2, §6.3, §6.5). A missing value is never scored
as 0 (R5): a score is computed only when every input it needs is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from app.clinical import inputs, noms, scores
from app.clinical.scores import Score, SinsScore
from app.clinical.vocabulary import (
    ESCC_GRADES,
    FRANKEL_GRADES,
    LEVEL_LABELS,
    PRIMARY_SITES,
    SINS_ALIGNMENT,
    SINS_COLLAPSE,
    SINS_LESION,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    SPECIALTIES,
    TOKUHASHI_LITERAL_OTHERS,
    TOKUHASHI_VISCERAL,
    TOMITA_BONE,
    TOMITA_GROWTH,
    TOMITA_VISCERAL,
    label,
)

CAVEAT = (
    "These scores support the board's decision; they do not make it. Scores often disagree: "
    "all are shown side by side, and the tool never selects a plan (R26)."
)
NOT_IN_TABLE = "not in the table: the board must choose"

# The person each specialty stands for, as the completeness list names them.
ROLE_NAMES: dict[str, str] = {
    "medical_oncology": "medical oncologist",
    "radiation_oncology": "radiation oncologist",
    "interventional_radiology": "interventional radiologist",
    "spine_surgery": "spine surgeon",
    "physiotherapy": "physiotherapist",
}
if set(ROLE_NAMES) != set(SPECIALTIES):
    raise RuntimeError("every specialty needs a role name")

# Where each score comes from: citation, REFERENCE section, confidence tag.
SOURCES: dict[str, tuple[str, str, str]] = {
    "sins": (scores.SINS_SOURCE, "REFERENCE §1", "C2"),
    "escc": ("Bilsky 2010 J Neurosurg Spine 13:324", "REFERENCE §2", "C2"),
    "tokuhashi": (scores.TOKUHASHI_SOURCE, "REFERENCE §5.1", "C2"),
    # Tomita's table is confirmed only through secondary material (REFERENCE §5.2, §12 item 1).
    "tomita": (scores.TOMITA_SOURCE, "REFERENCE §5.2", "C"),
}

# What a missing input is called in the completeness list ("SINS needs: alignment (…)").
MISSING_LABELS: dict[str, str] = {
    "lesions": "the lesion findings",
    "location": "location (not defined by SINS here: record it, or the board chooses)",
    "pain": "pain",
    "lesion_quality": "bone lesion",
    "alignment": "alignment",
    "collapse": "collapse",
    "posterolateral": "posterolateral involvement",
    "escc_grade": "ESCC grade",
    "kps": "KPS",
    "extraspinal_bone_mets": "number of extraspinal bone metastases",
    "vertebral_mets": "number of vertebral body metastases",
    "tokuhashi_visceral": "visceral metastases: removable?",
    "tomita_visceral": "visceral metastases: treatable?",
    "frankel": "Frankel grade (or ASIA)",
}

SINS_FIELDS: tuple[tuple[str, str], ...] = (
    # (score component, lesion input)
    ("location", "location"),
    ("pain", "pain"),
    ("lesion", "lesion_quality"),
    ("alignment", "alignment"),
    ("collapse", "collapse"),
    ("posterolateral", "posterolateral"),
)
SINS_COMPONENT_LABELS: dict[str, str] = {
    "location": "Location",
    "pain": "Pain",
    "lesion": "Bone lesion",
    "alignment": "Alignment",
    "collapse": "Vertebral body collapse",
    "posterolateral": "Posterolateral involvement",
}
SINS_VALUE_LABELS: dict[str, dict[str, str]] = {
    "location": SINS_LOCATION,
    "pain": SINS_PAIN,
    "lesion": SINS_LESION,
    "alignment": SINS_ALIGNMENT,
    "collapse": SINS_COLLAPSE,
    "posterolateral": SINS_POSTEROLATERAL,
}

ESCC_GROUPS: dict[str, str] = {"low": "Low grade", "high": "High grade"}
MECHANICAL: dict[str, str] = {
    "stable": "Stable",
    "unstable": "Gross instability",
    "mechanical_pain": "Mechanical pain without gross instability",
}
RADIOSENSITIVITY: dict[str, str] = {"sensitive": "Radiosensitive", "resistant": "Radioresistant"}
FITNESS_FIELDS: tuple[str, ...] = (
    "fit_for_open_surgery",
    "fit_for_mis",
    "fit_for_sbrt",
    "fit_for_radiotherapy",
)

# What each choice is called, with the subject ("" or a level / primary / ECOG grade) filled in.
CHOICE_LABELS: dict[str, str] = {
    "escc_1c_group": "ESCC 1c: treat as low or high grade for NOMS",
    "tomita_growth": "Tomita growth class for {subject}",
    "tokuhashi_primary": "Tokuhashi primary-site category for {subject}",
    "kps_for_ecog": "KPS for Tokuhashi (only ECOG {subject} is recorded)",
    "sins_location": "SINS location of the lesion at {subject}",
    "radiosensitivity": "Radiosensitivity of this tumour",
    "mechanical": "Mechanical status for NOMS",
}


# --- the facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LesionFacts:
    """One lesion as presented (REFERENCE §11 lesion-level record)."""

    level: str
    location: str | None = None
    pain: str | None = None
    lesion_quality: str | None = None
    alignment: str | None = None
    collapse: str | None = None
    collapse_percent: int | None = None
    posterolateral: str | None = None
    escc_grade: str | None = None
    cauda_equina: bool = False
    is_index: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """Everything the assessment of one case rests on."""

    primary_site: str
    levels: tuple[str, ...] = ()
    lesions: tuple[LesionFacts, ...] = ()
    kps: int | None = None
    ecog: int | None = None
    extraspinal_bone_mets: int | None = None
    vertebral_mets: int | None = None
    tokuhashi_visceral: str | None = None
    tomita_visceral: str | None = None
    frankel: str | None = None
    asia: str | None = None
    # The board's current choices: (kind, subject) → value code.
    choices: Mapping[tuple[str, str], str] = field(default_factory=dict)
    radiosensitive: bool | None = None
    radiosensitivity_source: str = NOT_IN_TABLE
    # The four fit_for_* judgements of the agenda item, when there is one.
    fitness: Mapping[str, bool] | None = None
    # Which specialty gave each patient-level value (and "lesions"), for display.
    sources: Mapping[str, str] = field(default_factory=dict)


# --- the results ----------------------------------------------------------------------------


def role_names(specialties: tuple[str, ...]) -> str:
    """Name the roles as people ("… radiologist or spine surgeon"); "the board" for none."""
    names = [ROLE_NAMES[code] for code in specialties]
    if not names:
        return "the board"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True)
class MissingInput:
    """An input a score needs that no role has given yet."""

    score: str
    field: str
    label: str
    owners: tuple[str, ...]
    # The lesion's level when the case has several lesions, else "".
    subject: str = ""

    @property
    def text(self) -> str:
        where = f" at {self.subject}" if self.subject else ""
        return f"{self.score}{where} needs: {self.label} ({role_names(self.owners)})"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ChoiceNeeded:
    """A choice the reference leaves to the board, with its options and why the tool asks."""

    kind: str
    subject: str
    label: str
    options: dict[str, str]
    reason: str
    # False: the tool goes on with `suggested` (or the recorded value) until the board chooses.
    required: bool = True
    suggested: str | None = None
    # The board's current choice, if it has made one.
    chosen: str | None = None

    @property
    def is_open(self) -> bool:
        return self.chosen is None and self.required


@dataclass(frozen=True)
class Row:
    """One line of a score's component table."""

    component: str
    label: str
    value: str
    points: int


@dataclass(frozen=True)
class LesionAssessment:
    level: str
    position: int
    is_index: bool
    marked_index: bool
    sins: SinsScore | None
    missing: tuple[MissingInput, ...]
    escc_grade: str | None
    location: str | None
    location_source: str
    location_needs_choice: bool
    cauda_equina: bool = False
    rows: tuple[Row, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def level_label(self) -> str:
        return label(LEVEL_LABELS, self.level)


@dataclass(frozen=True)
class Assessment:
    lesions: tuple[LesionAssessment, ...]
    index_lesion: LesionAssessment | None
    index_rule: str
    escc_grade: str | None
    escc_group: str | None
    escc_high_grade: bool | None
    kps: int | None
    ecog: int | None
    # ECOG matched to the recorded KPS, and the KPS values a recorded ECOG stands for
    # (REFERENCE §6.3), for display beside the recorded values; neither overwrites the other.
    ecog_for_kps: int | None
    kps_band_for_ecog: tuple[int, ...]
    frankel: str | None
    asia: str | None
    # The palsy grade Tokuhashi uses, and whether it was read from ASIA (REFERENCE §6.5 [I]).
    tokuhashi_frankel: str | None
    frankel_from_asia: bool
    tokuhashi: Score | None
    tokuhashi_rows: tuple[Row, ...]
    tokuhashi_alternatives: tuple[Score, ...]
    tokuhashi_alternative_kps: tuple[int, ...]
    tokuhashi_ambiguous: bool
    tomita: Score | None
    tomita_rows: tuple[Row, ...]
    radiosensitive: bool | None
    radiosensitivity_source: str
    mechanical: str | None
    mechanical_source: str
    fitness: dict | None
    noms: noms.Suggestion | None
    noms_missing: tuple[str, ...]
    missing: tuple[MissingInput, ...]
    choices: tuple[ChoiceNeeded, ...]
    notes: tuple[str, ...] = ()
    sources: dict = field(default_factory=dict)

    @property
    def choices_needed(self) -> tuple[ChoiceNeeded, ...]:
        return tuple(choice for choice in self.choices if choice.is_open)

    @property
    def alternatives(self) -> tuple[tuple[int, Score], ...]:
        """(KPS, Tokuhashi) for each KPS an ambiguous ECOG stands for."""
        return tuple(zip(self.tokuhashi_alternative_kps, self.tokuhashi_alternatives, strict=True))

    def missing_for(self, score: str) -> tuple[MissingInput, ...]:
        return tuple(item for item in self.missing if item.score == score)

    def missing_by_role(self) -> dict[str, tuple[MissingInput, ...]]:
        """Missing inputs under each role that can give them, in the order of SPECIALTIES."""
        grouped = {
            code: tuple(item for item in self.missing if code in item.owners)
            for code in SPECIALTIES
        }
        return {code: items for code, items in grouped.items() if items}

    def choice(self, kind: str, subject: str = "") -> ChoiceNeeded | None:
        return next(
            (c for c in self.choices if c.kind == kind and c.subject == subject),
            None,
        )


# --- the assessment -------------------------------------------------------------------------


def _missing(score: str, name: str, subject: str = "") -> MissingInput:
    return MissingInput(score, name, MISSING_LABELS[name], inputs.owners(name), subject)


def _with_points(text: str, points: int) -> str:
    return f"{text}, {points} point{'' if points == 1 else 's'}"


def _location_options() -> dict[str, str]:
    return {
        code: _with_points(text, scores.SINS_POINTS["location"][code])
        for code, text in SINS_LOCATION.items()
    }


def _assess_lesion(
    lesion: LesionFacts, position: int, several: bool, choices: Mapping
) -> tuple[LesionAssessment, ChoiceNeeded | None]:
    subject = lesion.level if several else ""
    by_level = scores.sins_location(level=lesion.level)
    chosen = choices.get(("sins_location", lesion.level))
    if chosen not in SINS_LOCATION:
        chosen = None
    notes: list[str] = []
    choice = None
    needs_choice = False
    if lesion.level == "coccyx":
        # R4, §1.3 [I]: SINS does not define the coccyx; the user chooses, never auto-scored.
        choice = ChoiceNeeded(
            "sins_location",
            lesion.level,
            CHOICE_LABELS["sins_location"].format(subject=LEVEL_LABELS[lesion.level]),
            _location_options(),
            "SINS does not define a location for the coccyx (REFERENCE §1.3 [I], R4).",
            required=lesion.location is None,
            chosen=chosen,
        )
        needs_choice = choice.is_open
    elif lesion.location is not None and lesion.location != by_level:
        # A location recorded against the level's own class: the lesion spans two classes.
        # §1.4 [I]: use the recorded location, suggest the most conservative (highest).
        points = scores.SINS_POINTS["location"]
        highest = max((by_level, lesion.location), key=points.__getitem__)
        choice = ChoiceNeeded(
            "sins_location",
            lesion.level,
            CHOICE_LABELS["sins_location"].format(subject=LEVEL_LABELS[lesion.level]),
            _location_options(),
            f"The lesion at {lesion.level} is recorded as {label(SINS_LOCATION, lesion.location)}"
            f" although {lesion.level} is {label(SINS_LOCATION, by_level)}: it spans two location "
            "classes. REFERENCE §1.4 [I] suggests the most conservative (highest) location.",
            required=False,
            suggested=highest,
            chosen=chosen,
        )
        if chosen is None:
            notes.append(
                f"Location recorded by hand across two classes; the most conservative is "
                f"{label(SINS_LOCATION, highest)} (REFERENCE §1.4 [I])."
            )
    elif chosen is not None:
        choice = ChoiceNeeded(
            "sins_location",
            lesion.level,
            CHOICE_LABELS["sins_location"].format(subject=LEVEL_LABELS[lesion.level]),
            _location_options(),
            "The board has chosen this lesion's location.",
            required=False,
            chosen=chosen,
        )

    if chosen is not None:
        location, location_source = chosen, "the board's choice"
    elif lesion.location is not None:
        location, location_source = lesion.location, "recorded by hand"
    elif by_level is not None:
        location, location_source = by_level, f"from the level {lesion.level} (REFERENCE §1.3)"
    else:
        location, location_source = None, "not defined by SINS for the coccyx"

    given = {
        "location": location,
        "pain": lesion.pain,
        "lesion": lesion.lesion_quality,
        "alignment": lesion.alignment,
        "collapse": lesion.collapse,
        "posterolateral": lesion.posterolateral,
    }
    missing = tuple(
        _missing("SINS", name, subject)
        for component, name in SINS_FIELDS
        if given[component] is None
    )
    sins = None
    rows: tuple[Row, ...] = ()
    if not missing:
        sins = scores.sins(**given)
        rows = tuple(
            Row(
                component,
                SINS_COMPONENT_LABELS[component],
                label(SINS_VALUE_LABELS[component], given[component])
                + (f" ({location_source})" if component == "location" else ""),
                sins.points[component],
            )
            for component, _ in SINS_FIELDS
        )
        if notes:
            sins = replace(sins, notes=sins.notes + tuple(notes))
    if lesion.collapse_percent is not None and lesion.collapse_percent == 50:
        # §1.4 [I]: exactly 50% is neither; the category recorded is the presenter's choice.
        notes.append("Collapse measured at exactly 50%: the category is the presenter's choice.")
    assessed = LesionAssessment(
        level=lesion.level,
        position=position,
        is_index=False,
        marked_index=lesion.is_index,
        sins=sins,
        missing=missing,
        escc_grade=lesion.escc_grade,
        location=location,
        location_source=location_source,
        location_needs_choice=needs_choice,
        cauda_equina=lesion.cauda_equina,
        rows=rows,
        notes=tuple(notes),
    )
    return assessed, choice


def _pick_index(lesions: list[LesionAssessment]) -> tuple[int | None, str]:
    marked = [i for i, lesion in enumerate(lesions) if lesion.marked_index]
    if marked:
        return marked[0], "marked as the index lesion"
    if len(lesions) == 1:
        return 0, "the only lesion"
    if not lesions:
        return None, "no lesion recorded"
    if any(lesion.sins is None for lesion in lesions):
        return None, (
            "no lesion is marked as the index lesion and not every lesion has a SINS: "
            "mark the index lesion"
        )
    best = max(range(len(lesions)), key=lambda i: (lesions[i].sins.total, -i))
    return best, "the highest SINS (no lesion is marked as the index lesion)"


def _kps_points(kps: int) -> int:
    # Tokuhashi's general-condition points for a KPS value, from the score itself.
    probe = scores.tokuhashi(
        kps=kps,
        extraspinal_bone_mets=0,
        vertebral_mets=1,
        visceral="none",
        primary="other",
        frankel="E",
    )
    return probe.points["kps"]


def _tokuhashi_primary_options() -> dict[str, str]:
    return {
        code: _with_points(text, scores.TOKUHASHI_PRIMARY_POINTS[code])
        for code, text in PRIMARY_SITES.items()
    }


def assess(facts: CaseFacts) -> Assessment:
    """Assess one case from its facts; see the module docstring."""
    choices = facts.choices
    chosen_list: list[ChoiceNeeded] = []
    missing: list[MissingInput] = []
    notes: list[str] = []

    # SINS per lesion, and the index lesion (REFERENCE §1, §1.4).
    several = len(facts.lesions) > 1
    lesions: list[LesionAssessment] = []
    for position, lesion in enumerate(facts.lesions, start=1):
        assessed, choice = _assess_lesion(lesion, position, several, choices)
        lesions.append(assessed)
        if choice is not None:
            chosen_list.append(choice)
    index_at, index_rule = _pick_index(lesions)
    if index_at is not None:
        lesions[index_at] = replace(lesions[index_at], is_index=True)
    index = lesions[index_at] if index_at is not None else None
    if not lesions:
        missing.append(_missing("SINS", "lesions"))
    elif index is None:
        notes.append(f"Index lesion: {index_rule}.")
    for lesion in lesions:
        missing.extend(lesion.missing)

    # ESCC of the index lesion (R6, R7).
    escc_grade = index.escc_grade if index else None
    escc_group = None
    if not lesions:
        missing.append(_missing("ESCC", "escc_grade"))
    elif index is not None and escc_grade is None:
        missing.append(_missing("ESCC", "escc_grade", index.level if several else ""))
    if escc_grade is not None:
        high = scores.escc_high_grade(grade=escc_grade)
        if high is None:
            chosen = choices.get(("escc_1c_group", ""))
            chosen = chosen if chosen in ESCC_GROUPS else None
            chosen_list.append(
                ChoiceNeeded(
                    "escc_1c_group",
                    "",
                    CHOICE_LABELS["escc_1c_group"],
                    {"low": "Treat as low grade", "high": "Treat as high grade"},
                    "Grade 1c abuts the cord without compressing it; whether it goes to surgery "
                    "or radiosurgery is controversial, so the board groups it (REFERENCE §2, R7).",
                    chosen=chosen,
                )
            )
            escc_group = chosen
        else:
            escc_group = "high" if high else "low"
        worse = [
            lesion.level
            for lesion in lesions
            if lesion is not index
            and lesion.escc_grade is not None
            and list(ESCC_GRADES).index(lesion.escc_grade) > list(ESCC_GRADES).index(escc_grade)
        ]
        if worse:
            notes.append(
                f"ESCC is graded at the worst level (R6): {', '.join(worse)} has a higher grade "
                "than the index lesion."
            )
    if index is not None and index.cauda_equina:
        notes.append(
            "Cauda equina compression is recorded: the ESCC scale was defined for the cord "
            "(REFERENCE §2 [I])."
        )

    # Mechanical status for NOMS: the board's choice, else a default from the index SINS [I]:
    # SINS 13–18 → gross instability; otherwise mechanical pain → mechanical pain without gross
    # instability (cement, R14); otherwise stable. SINS 7–12 is for the surgeon to judge.
    mechanical_chosen = choices.get(("mechanical", ""))
    mechanical_chosen = mechanical_chosen if mechanical_chosen in MECHANICAL else None
    default = None
    if index is not None and index.sins is not None:
        if index.sins.category == "unstable":
            default = "unstable"
        elif facts.lesions[index.position - 1].pain == "mechanical":
            default = "mechanical_pain"
        else:
            default = "stable"
    chosen_list.append(
        ChoiceNeeded(
            "mechanical",
            "",
            CHOICE_LABELS["mechanical"],
            dict(MECHANICAL),
            "NOMS asks whether instability is gross, or mechanical pain without gross "
            "instability (REFERENCE §3.1). Until the board chooses, the tool reads it from the "
            "index lesion's SINS [I]: 13–18 unstable; else mechanical pain; else stable.",
            required=False,
            suggested=default,
            chosen=mechanical_chosen,
        )
    )
    if mechanical_chosen is not None:
        mechanical, mechanical_source = mechanical_chosen, "the board's choice"
    elif default is not None:
        mechanical = default
        mechanical_source = "from the index lesion's SINS and pain (the tool's default [I])"
    else:
        mechanical, mechanical_source = None, "needs the index lesion's SINS or the board's choice"

    # Performance status: KPS and ECOG side by side, neither overwriting the other (§6.3, §11).
    kps, ecog = facts.kps, facts.ecog
    ecog_for_kps = scores.ecog_from_kps(kps=kps) if kps is not None else None
    kps_band = scores.tokuhashi_kps_band_for_ecog(ecog=ecog) if ecog is not None else ()
    if kps is not None and ecog is not None and ecog_for_kps != ecog:
        notes.append(
            f"KPS {kps} usually corresponds to ECOG {ecog_for_kps}, but ECOG {ecog} is recorded; "
            "both are kept as recorded, and Tokuhashi uses the KPS."
        )

    # The KPS Tokuhashi uses: recorded, or what an ECOG grade stands for when that is unambiguous.
    tokuhashi_notes: list[str] = []
    tokuhashi_kps: int | None = None
    kps_shown = ""
    alternatives_kps: tuple[int, ...] = ()
    ambiguous = False
    if kps == 0:
        # KPS 0 / ECOG 5 means the patient has died: Tokuhashi's bands start at KPS 10 [I].
        notes.append(
            "KPS 0 (ECOG 5) is recorded: Tokuhashi cannot be scored (its bands start at 10)."
        )
    elif kps is not None:
        tokuhashi_kps, kps_shown = kps, f"KPS {kps}"
    elif ecog is not None and ecog == 5:
        # ECOG 5 is KPS 0 (dead): nothing to score.
        missing.append(_missing("Tokuhashi", "kps"))
    elif ecog is not None:
        band_points = {_kps_points(value) for value in kps_band}
        low, high = kps_band[0], kps_band[-1]
        if len(band_points) == 1:
            tokuhashi_kps = high
            kps_shown = f"ECOG {ecog} (KPS {low}–{high}: same points; KPS not recorded)"
            tokuhashi_notes.append(
                f"KPS not recorded: ECOG {ecog} stands for KPS {low} or {high}, which give the "
                "same Tokuhashi points (REFERENCE §6.3)."
            )
        else:
            chosen = choices.get(("kps_for_ecog", str(ecog)))
            chosen = chosen if chosen in {str(value) for value in kps_band} else None
            chosen_list.append(
                ChoiceNeeded(
                    "kps_for_ecog",
                    str(ecog),
                    CHOICE_LABELS["kps_for_ecog"].format(subject=ecog),
                    {str(value): f"KPS {value}" for value in kps_band},
                    f"ECOG {ecog} stands for KPS {low} or {high}, which fall in different "
                    "Tokuhashi bands; the tool shows both totals until the KPS is recorded or "
                    "the board chooses (REFERENCE §6.3, Example 11).",
                    chosen=chosen,
                )
            )
            if chosen is not None:
                tokuhashi_kps = int(chosen)
                kps_shown = f"KPS {chosen} (the board's choice for ECOG {ecog})"
                tokuhashi_notes.append(
                    f"KPS not recorded: KPS {chosen} is the board's choice for ECOG {ecog} "
                    "(REFERENCE §6.3)."
                )
            else:
                ambiguous = True
                alternatives_kps = kps_band
                missing.append(_missing("Tokuhashi", "kps"))
    else:
        missing.append(_missing("Tokuhashi", "kps"))

    # Palsy: Frankel, or ASIA read letter for letter, labelled as derived (§6.5 [I]).
    frankel_from_asia = False
    tokuhashi_frankel = facts.frankel
    if tokuhashi_frankel is None and facts.asia is not None:
        tokuhashi_frankel, frankel_from_asia = facts.asia, True
        tokuhashi_notes.append(
            f"Frankel {facts.asia} derived from ASIA {facts.asia}, letter for letter "
            "(REFERENCE §6.5 [I]): the two scales' criteria differ."
        )

    # Primary site: unlisted primaries score as Tokuhashi's "others" by a literal reading (§5.1).
    primary = facts.primary_site
    tokuhashi_primary = primary
    primary_shown = label(PRIMARY_SITES, primary)
    if primary in TOKUHASHI_LITERAL_OTHERS:
        chosen = choices.get(("tokuhashi_primary", primary))
        chosen = chosen if chosen in PRIMARY_SITES else None
        chosen_list.append(
            ChoiceNeeded(
                "tokuhashi_primary",
                primary,
                CHOICE_LABELS["tokuhashi_primary"].format(subject=label(PRIMARY_SITES, primary)),
                _tokuhashi_primary_options(),
                f"Tokuhashi does not name {label(PRIMARY_SITES, primary).lower()}: read literally "
                "it is one of the 'others' (2 points). The board may score it otherwise "
                "(REFERENCE §5.1 [I], §12 item 11).",
                required=False,
                suggested="other",
                chosen=chosen,
            )
        )
        if chosen is not None:
            tokuhashi_primary = chosen
            primary_shown += f", scored as {label(PRIMARY_SITES, chosen)} (the board's choice)"
            tokuhashi_notes.append(
                f"Primary site scored as {label(PRIMARY_SITES, chosen)}: the board's choice "
                f"for {label(PRIMARY_SITES, primary).lower()} (REFERENCE §5.1 [I])."
            )
        else:
            tokuhashi_primary = "other"
            primary_shown += ", scored as 'others'"
            tokuhashi_notes.append(
                f"{label(PRIMARY_SITES, primary)}: scored as 'others' "
                "(a literal reading, REFERENCE §5.1 [I])."
            )
        if primary in {"myeloma", "lymphoma"}:
            tokuhashi_notes.append(
                "The score was built on solid-tumour cohorts: interpret it with caution in "
                "myeloma and lymphoma (REFERENCE §5.1 [R], unverified)."
            )

    tokuhashi_inputs = {
        "extraspinal_bone_mets": facts.extraspinal_bone_mets,
        "vertebral_mets": facts.vertebral_mets,
        "visceral": facts.tokuhashi_visceral,
        "frankel": tokuhashi_frankel,
    }
    for name, value in (
        ("extraspinal_bone_mets", facts.extraspinal_bone_mets),
        ("vertebral_mets", facts.vertebral_mets),
        ("tokuhashi_visceral", facts.tokuhashi_visceral),
        ("frankel", tokuhashi_frankel),
    ):
        if value is None:
            missing.append(_missing("Tokuhashi", name))
    others_known = all(value is not None for value in tokuhashi_inputs.values())

    def tokuhashi_for(kps_value: int) -> Score:
        return scores.tokuhashi(
            kps=kps_value,
            extraspinal_bone_mets=facts.extraspinal_bone_mets,
            vertebral_mets=facts.vertebral_mets,
            visceral=facts.tokuhashi_visceral,
            primary=tokuhashi_primary,
            frankel=tokuhashi_frankel,
        )

    tokuhashi = None
    tokuhashi_rows: tuple[Row, ...] = ()
    alternatives: tuple[Score, ...] = ()
    if others_known and tokuhashi_kps is not None:
        tokuhashi = tokuhashi_for(tokuhashi_kps)
        # The score's own literal-reading note is replaced by ours, which names the primary.
        tokuhashi = replace(tokuhashi, notes=tuple(tokuhashi_notes))
        frankel_shown = label(FRANKEL_GRADES, tokuhashi_frankel) + (
            f" (derived from ASIA {facts.asia})" if frankel_from_asia else ""
        )
        shown = {
            "kps": ("General condition (KPS)", kps_shown),
            "extraspinal_bone_mets": (
                "Extraspinal bone metastases",
                str(facts.extraspinal_bone_mets),
            ),
            "vertebral_mets": ("Vertebral body metastases", str(facts.vertebral_mets)),
            "visceral": (
                "Metastases to major internal organs",
                label(TOKUHASHI_VISCERAL, facts.tokuhashi_visceral),
            ),
            "primary": ("Primary site", primary_shown),
            "frankel": ("Palsy (Frankel)", frankel_shown),
        }
        tokuhashi_rows = tuple(
            Row(name, shown[name][0], shown[name][1], points)
            for name, points in tokuhashi.points.items()
        )
    elif others_known and ambiguous:
        alternatives = tuple(
            replace(tokuhashi_for(value), notes=tuple(tokuhashi_notes))
            for value in alternatives_kps
        )

    # Tomita (R23, §5.2): growth class from Tomita's examples, else the board's choice.
    growth = scores.tomita_growth(primary=primary)
    tomita_notes: list[str] = []
    growth_shown = ""
    if growth is None:
        chosen = choices.get(("tomita_growth", primary))
        chosen = chosen if chosen in TOMITA_GROWTH else None
        chosen_list.append(
            ChoiceNeeded(
                "tomita_growth",
                primary,
                CHOICE_LABELS["tomita_growth"].format(subject=label(PRIMARY_SITES, primary)),
                {
                    code: _with_points(text, scores.TOMITA_POINTS["growth"][code])
                    for code, text in TOMITA_GROWTH.items()
                },
                f"Tomita's lists end with 'etc.' and do not classify "
                f"{label(PRIMARY_SITES, primary).lower()}: the board assigns the growth class "
                "(REFERENCE §5.2 [I]); it is never defaulted.",
                chosen=chosen,
            )
        )
        if chosen is not None:
            growth = chosen
            growth_shown = f"{label(TOMITA_GROWTH, chosen)} (the board's choice)"
            tomita_notes.append(
                f"Growth class {label(TOMITA_GROWTH, chosen).lower()}: the board's choice; "
                f"Tomita does not classify {label(PRIMARY_SITES, primary).lower()} "
                "(REFERENCE §5.2 [I])."
            )
    else:
        growth_shown = f"{label(TOMITA_GROWTH, growth)} ({label(PRIMARY_SITES, primary)})"

    # Bone [I]: "Bone metastases (including spine)" (§5.2) is solitary only when the one
    # vertebral metastasis is the only bone metastasis; any second focus makes it multiple.
    extraspinal, vertebral = facts.extraspinal_bone_mets, facts.vertebral_mets
    bone = None
    if (extraspinal is not None and extraspinal > 0) or (vertebral is not None and vertebral > 1):
        bone = "multiple"
    elif extraspinal is not None and vertebral is not None:
        bone = "solitary"
    else:
        for name, value in (("extraspinal_bone_mets", extraspinal), ("vertebral_mets", vertebral)):
            if value is None:
                missing.append(_missing("Tomita", name))
    if facts.tomita_visceral is None:
        missing.append(_missing("Tomita", "tomita_visceral"))
    tomita = None
    tomita_rows: tuple[Row, ...] = ()
    if growth is not None and bone is not None and facts.tomita_visceral is not None:
        tomita_notes.append(
            "Bone: solitary only when there is one vertebral and no extraspinal bone "
            "metastasis, else multiple (counting 'Bone metastases (including spine)', "
            "REFERENCE §5.2 [I])."
        )
        tomita = scores.tomita(growth=growth, visceral=facts.tomita_visceral, bone=bone)
        tomita = replace(tomita, notes=tomita.notes + tuple(tomita_notes))
        counts = ", ".join(
            f"{text} {value}"
            for text, value in (("vertebral", vertebral), ("extraspinal", extraspinal))
            if value is not None
        )
        shown = {
            "growth": ("Primary tumour growth", growth_shown),
            "visceral": ("Visceral metastases", label(TOMITA_VISCERAL, facts.tomita_visceral)),
            "bone": ("Bone metastases (including spine)", f"{label(TOMITA_BONE, bone)} ({counts})"),
        }
        tomita_rows = tuple(
            Row(name, shown[name][0], shown[name][1], points)
            for name, points in tomita.points.items()
        )

    # NOMS (R8–R15): only when every input is known.
    fitness = dict(facts.fitness) if facts.fitness is not None else None
    noms_missing: list[str] = []
    if escc_group is None:
        noms_missing.append(
            "ESCC group (the board's choice for grade 1c)" if escc_grade == "1c" else "ESCC grade"
        )
    if facts.radiosensitive is None:
        noms_missing.append("radiosensitivity")
    if mechanical is None:
        noms_missing.append("mechanical status")
    if fitness is None or any(fitness.get(name) is None for name in FITNESS_FIELDS):
        noms_missing.append("fitness (the board's judgement, entered on the agenda item)")
    suggestion = None
    if not noms_missing:
        suggestion = noms.suggest(
            escc_group=escc_group,
            radiosensitive=facts.radiosensitive,
            mechanical=mechanical,
            **{name: fitness[name] for name in FITNESS_FIELDS},
        )

    return Assessment(
        lesions=tuple(lesions),
        index_lesion=index,
        index_rule=index_rule,
        escc_grade=escc_grade,
        escc_group=escc_group,
        escc_high_grade=None if escc_group is None else escc_group == "high",
        kps=kps,
        ecog=ecog,
        ecog_for_kps=ecog_for_kps,
        kps_band_for_ecog=kps_band,
        frankel=facts.frankel,
        asia=facts.asia,
        tokuhashi_frankel=tokuhashi_frankel,
        frankel_from_asia=frankel_from_asia,
        tokuhashi=tokuhashi,
        tokuhashi_rows=tokuhashi_rows,
        tokuhashi_alternatives=alternatives,
        tokuhashi_alternative_kps=alternatives_kps if alternatives else (),
        tokuhashi_ambiguous=ambiguous,
        tomita=tomita,
        tomita_rows=tomita_rows,
        radiosensitive=facts.radiosensitive,
        radiosensitivity_source=facts.radiosensitivity_source,
        mechanical=mechanical,
        mechanical_source=mechanical_source,
        fitness=fitness,
        noms=suggestion,
        noms_missing=tuple(noms_missing),
        missing=tuple(missing),
        choices=tuple(_ordered(chosen_list)),
        notes=tuple(notes),
        sources=dict(facts.sources),
    )


_CHOICE_ORDER = (
    "sins_location",
    "escc_1c_group",
    "mechanical",
    "kps_for_ecog",
    "tokuhashi_primary",
    "tomita_growth",
    "radiosensitivity",
)


def _ordered(choices: list[ChoiceNeeded]) -> list[ChoiceNeeded]:
    return sorted(choices, key=lambda choice: _CHOICE_ORDER.index(choice.kind))
