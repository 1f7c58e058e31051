"""SINS, revised Tokuhashi and Tomita scores and their lookups, per the clinical contract."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.clinical.vocabulary import (
    ECOG_VALUES,
    ESCC_GRADES,
    FRANKEL_GRADES,
    KPS_VALUES,
    LEVELS,
    PRIMARY_SITES,
    SINS_ALIGNMENT,
    SINS_COLLAPSE,
    SINS_LESION,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    TOKUHASHI_LITERAL_OTHERS,
    TOKUHASHI_VISCERAL,
    TOMITA_BONE,
    TOMITA_GROWTH,
    TOMITA_VISCERAL,
)

SINS_SOURCE = "Fisher 2010 Spine 35:E1221"
TOKUHASHI_SOURCE = "Tokuhashi 2005 Spine 30:2186"
TOMITA_SOURCE = "Tomita 2001 Spine 26:298"


class ClinicalInputError(ValueError):
    """An input a score or the NOMS helper cannot use. The message starts with the field name."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Score:
    """One computed score: its total, its band and how each component contributed."""

    name: str
    total: int
    category: str
    category_label: str
    points: dict[str, int]
    source: str
    rules: tuple[str, ...]
    # Caveats the UI must show beside the result (e.g. an [I] reading of the source).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SinsScore(Score):
    @property
    def surgical_consult_recommended(self) -> bool:
        # R3 [C2]: SINS ≥ 7 (potentially unstable or unstable) ⇒ surgical consultation.
        return self.total >= 7


# --- points tables --------------------------------------------------------------------------
# The codes are the vocabulary's; the points are here. _checked() refuses at import any table
# whose codes drift from the vocabulary, so a code can never be silently unscored.


def _checked(points: dict[str, int], codes: Iterable[str], table: str) -> dict[str, int]:
    if list(points) != list(codes):
        raise RuntimeError(f"{table}: codes {list(points)} differ from the vocabulary")
    return points


# SINS, REFERENCE §1.1 [C2] (Fisher 2010).
SINS_POINTS: dict[str, dict[str, int]] = {
    "location": _checked(
        {"junctional": 3, "mobile": 2, "semirigid": 1, "rigid": 0}, SINS_LOCATION, "location"
    ),
    "pain": _checked({"mechanical": 3, "occasional": 1, "none": 0}, SINS_PAIN, "pain"),
    "lesion": _checked({"lytic": 2, "mixed": 1, "blastic": 0}, SINS_LESION, "lesion"),
    "alignment": _checked(
        {"subluxation": 4, "deformity": 2, "normal": 0}, SINS_ALIGNMENT, "alignment"
    ),
    "collapse": _checked(
        {"over_50": 3, "under_50": 2, "involved_no_collapse": 1, "none": 0},
        SINS_COLLAPSE,
        "collapse",
    ),
    "posterolateral": _checked(
        {"bilateral": 3, "unilateral": 1, "none": 0}, SINS_POSTEROLATERAL, "posterolateral"
    ),
}

# SINS location by level, REFERENCE §1.3 [C2]. Coccyx is not defined by SINS [I]: no location.
_LEVELS_BY_LOCATION: dict[str, tuple[str, ...]] = {
    "junctional": ("C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"),
    "mobile": ("C3", "C4", "C5", "C6", "L2", "L3", "L4"),
    "semirigid": tuple(f"T{n}" for n in range(3, 11)),
    "rigid": ("S2", "S3", "S4", "S5"),
}
SINS_LOCATION_BY_LEVEL: dict[str, str | None] = {
    level: next((loc for loc, levels in _LEVELS_BY_LOCATION.items() if level in levels), None)
    for level in LEVELS
}
if [level for level, loc in SINS_LOCATION_BY_LEVEL.items() if loc is None] != ["coccyx"]:
    raise RuntimeError("SINS location table: every level but the coccyx needs a location")

# Revised Tokuhashi, REFERENCE §5.1 [C2] (Tokuhashi 2005; NICE CG75 appendix 3).
TOKUHASHI_VISCERAL_POINTS = _checked(
    {"none": 2, "removable": 1, "unremovable": 0}, TOKUHASHI_VISCERAL, "tokuhashi visceral"
)
# Primary site: the contract's list. Colon, melanoma, myeloma, lymphoma, sarcoma and head_neck
# are not named by Tokuhashi and score as "others" (2) by a literal reading [I].
TOKUHASHI_PRIMARY_POINTS = _checked(
    {
        **dict.fromkeys(("lung", "osteosarcoma", "stomach", "bladder", "esophagus", "pancreas"), 0),
        **dict.fromkeys(("liver", "gallbladder", "unknown"), 1),
        **dict.fromkeys(
            ("colon", "melanoma", "myeloma", "lymphoma", "sarcoma", "head_neck", "other"), 2
        ),
        **dict.fromkeys(("kidney", "uterus"), 3),
        "rectum": 4,
        **dict.fromkeys(("thyroid", "breast", "prostate", "carcinoid"), 5),
    },
    PRIMARY_SITES,
    "tokuhashi primary",
)
# Palsy: complete (A, B) 0, incomplete (C, D) 1, none (E) 2; REFERENCE §5.1 and §6.4.
TOKUHASHI_FRANKEL_POINTS = _checked(
    {"A": 0, "B": 0, "C": 1, "D": 1, "E": 2}, FRANKEL_GRADES, "tokuhashi frankel"
)


def _tokuhashi_kps_points(kps: int) -> int:
    # Poor 10–40 → 0, moderate 50–70 → 1, good 80–100 → 2 (REFERENCE §5.1).
    return 0 if kps <= 40 else 1 if kps <= 70 else 2


def _tokuhashi_extraspinal_points(count: int) -> int:
    # 0 foci → 2, 1–2 → 1, ≥ 3 → 0 (REFERENCE §5.1).
    return 2 if count == 0 else 1 if count <= 2 else 0


def _tokuhashi_vertebral_points(count: int) -> int:
    # 1 vertebral body → 2, 2 → 1, ≥ 3 → 0 (REFERENCE §5.1).
    return 2 if count == 1 else 1 if count == 2 else 0


# Tomita, REFERENCE §5.2 [C] (Tomita 2001; re-check against the paper's Table 1 before release).
TOMITA_POINTS: dict[str, dict[str, int]] = {
    "growth": _checked({"slow": 1, "moderate": 2, "rapid": 4}, TOMITA_GROWTH, "tomita growth"),
    "visceral": _checked(
        {"none": 0, "treatable": 2, "untreatable": 4}, TOMITA_VISCERAL, "tomita visceral"
    ),
    "bone": _checked({"solitary": 1, "multiple": 2}, TOMITA_BONE, "tomita bone"),
}
# Default growth class from Tomita's own examples (CONTRACT); anything else is the board's call.
TOMITA_GROWTH_BY_PRIMARY: dict[str, str] = {
    **dict.fromkeys(("breast", "thyroid", "prostate"), "slow"),
    **dict.fromkeys(("kidney", "uterus"), "moderate"),
    **dict.fromkeys(("lung", "liver", "stomach", "colon", "unknown"), "rapid"),
}
if not set(TOMITA_GROWTH_BY_PRIMARY) <= set(PRIMARY_SITES):
    raise RuntimeError("Tomita growth defaults name a primary site the vocabulary lacks")

# --- categories: (lowest total, highest total, code, label), in ascending order -------------

# R2 [C2].
SINS_CATEGORIES: tuple[tuple[int, int, str, str], ...] = (
    (0, 6, "stable", "Stable"),
    (7, 12, "potentially_unstable", "Potentially unstable"),
    (13, 18, "unstable", "Unstable"),
)
# R22 [C2]: survival wording from NICE CG75, approach from the calculator code.
TOKUHASHI_CATEGORIES: tuple[tuple[int, int, str, str], ...] = (
    (0, 8, "lt_6_months", "< 6 months (conservative)"),
    (9, 11, "gte_6_months", "≥ 6 months (palliative surgery)"),
    (12, 15, "gte_1_year", "≥ 1 year (excisional surgery)"),
)
# R23 [C]: the non-overlapping bands of REFERENCE §5.2.
TOMITA_CATEGORIES: tuple[tuple[int, int, str, str], ...] = (
    (2, 3, "wide_marginal_excision", "Wide or marginal excision"),
    (4, 5, "marginal_intralesional_excision", "Marginal or intralesional excision"),
    (6, 7, "palliative_surgery", "Palliative surgery"),
    (8, 10, "supportive_care", "Non-operative supportive care"),
)


def _category(total: int, categories: tuple[tuple[int, int, str, str], ...]) -> tuple[str, str]:
    for low, high, code, text in categories:
        if low <= total <= high:
            return code, text
    raise AssertionError(f"total {total} outside every band")  # unreachable: inputs validated


# --- validation -----------------------------------------------------------------------------


def _code(field: str, value: Any, codes: Iterable[str]) -> str:
    # A missing value is refused, never scored as 0 (R5).
    if value is None:
        raise ClinicalInputError(field, "missing")
    codes = tuple(codes)
    if not isinstance(value, str) or value not in codes:
        raise ClinicalInputError(field, f"{value!r} is not one of {', '.join(codes)}")
    return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(field: str, value: Any, minimum: int) -> int:
    if value is None:
        raise ClinicalInputError(field, "missing")
    if not _whole(value) or value < minimum:
        raise ClinicalInputError(field, f"{value!r} is not a whole number of at least {minimum}")
    return value


def _kps(value: Any) -> int:
    if value is None:
        raise ClinicalInputError("kps", "missing")
    if not _whole(value) or value not in KPS_VALUES:
        raise ClinicalInputError(
            "kps", f"{value!r} is not a whole number from 0 to 100 in steps of 10"
        )
    return value


def _ecog(value: Any) -> int:
    if value is None:
        raise ClinicalInputError("ecog", "missing")
    if not _whole(value) or value not in ECOG_VALUES:
        raise ClinicalInputError("ecog", f"{value!r} is not a whole number from 0 to 5")
    return value


# --- scores ---------------------------------------------------------------------------------


def sins(*, location, pain, lesion, alignment, collapse, posterolateral) -> SinsScore:
    """Spinal Instability Neoplastic Score of one lesion (R1–R3, REFERENCE §1)."""
    given = {
        "location": location,
        "pain": pain,
        "lesion": lesion,
        "alignment": alignment,
        "collapse": collapse,
        "posterolateral": posterolateral,
    }
    points = {
        field: SINS_POINTS[field][_code(field, value, SINS_POINTS[field])]
        for field, value in given.items()
    }
    total = sum(points.values())
    category, text = _category(total, SINS_CATEGORIES)
    return SinsScore(
        name="sins",
        total=total,
        category=category,
        category_label=text,
        points=points,
        source=SINS_SOURCE,
        rules=("R1", "R2", "R3"),
    )


def sins_location(*, level) -> str | None:
    """The SINS location code of a vertebral level; None for the coccyx (the user chooses)."""
    return SINS_LOCATION_BY_LEVEL[_code("level", level, LEVELS)]


def tokuhashi(*, kps, extraspinal_bone_mets, vertebral_mets, visceral, primary, frankel) -> Score:
    """Revised Tokuhashi score (R22, REFERENCE §5.1); higher means a better prognosis."""
    kps = _kps(kps)
    if kps == 0:
        # [I] KPS 0 is death; Tokuhashi's bands start at KPS 10, so there is nothing to score.
        raise ClinicalInputError("kps", "0 (dead) cannot be scored; Tokuhashi's bands start at 10")
    extraspinal = _count("extraspinal_bone_mets", extraspinal_bone_mets, 0)
    vertebral = _count("vertebral_mets", vertebral_mets, 1)
    visceral = _code("visceral", visceral, TOKUHASHI_VISCERAL)
    primary = _code("primary", primary, PRIMARY_SITES)
    frankel = _code("frankel", frankel, FRANKEL_GRADES)
    points = {
        "kps": _tokuhashi_kps_points(kps),
        "extraspinal_bone_mets": _tokuhashi_extraspinal_points(extraspinal),
        "vertebral_mets": _tokuhashi_vertebral_points(vertebral),
        "visceral": TOKUHASHI_VISCERAL_POINTS[visceral],
        "primary": TOKUHASHI_PRIMARY_POINTS[primary],
        "frankel": TOKUHASHI_FRANKEL_POINTS[frankel],
    }
    total = sum(points.values())
    category, text = _category(total, TOKUHASHI_CATEGORIES)
    notes: tuple[str, ...] = ()
    if primary in TOKUHASHI_LITERAL_OTHERS:
        notes = (
            f"primary {primary!r} is not named by Tokuhashi: scored as 'others' "
            "(literal reading) [I]",
        )
    return Score(
        name="tokuhashi",
        total=total,
        category=category,
        category_label=text,
        points=points,
        source=TOKUHASHI_SOURCE,
        rules=("R22",),
        notes=notes,
    )


def tokuhashi_kps_band_for_ecog(*, ecog) -> tuple[int, ...]:
    """The KPS values an ECOG grade stands for (REFERENCE §6.3), ascending.

    ECOG 1 is KPS 70 or 80, which fall in different Tokuhashi bands (Example 11): a caller
    with only ECOG shows the Tokuhashi total for each value and asks for the KPS.
    """
    ecog = _ecog(ecog)
    return tuple(sorted(kps for kps in KPS_VALUES if ecog_from_kps(kps=kps) == ecog))


def tomita(*, growth, visceral, bone) -> Score:
    """Tomita score (R23, REFERENCE §5.2); higher means a worse prognosis."""
    given = {"growth": growth, "visceral": visceral, "bone": bone}
    points = {
        field: TOMITA_POINTS[field][_code(field, value, TOMITA_POINTS[field])]
        for field, value in given.items()
    }
    total = sum(points.values())
    category, text = _category(total, TOMITA_CATEGORIES)
    return Score(
        name="tomita",
        total=total,
        category=category,
        category_label=text,
        points=points,
        source=TOMITA_SOURCE,
        rules=("R23",),
    )


def tomita_growth(*, primary) -> str | None:
    """Tomita's growth class for a primary site, or None when the board must choose (§5.2 [I])."""
    return TOMITA_GROWTH_BY_PRIMARY.get(_code("primary", primary, PRIMARY_SITES))


def escc_high_grade(*, grade) -> bool | None:
    """True for ESCC 2, 3; False for 0, 1a, 1b; None for 1c, which the board groups (R7)."""
    grade = _code("grade", grade, ESCC_GRADES)
    return None if grade == "1c" else grade in {"2", "3"}


def ecog_from_kps(*, kps) -> int:
    """The ECOG grade commonly matched to a KPS value (REFERENCE §6.3 [C2])."""
    kps = _kps(kps)
    # 100, 90 → 0; 80, 70 → 1; 60, 50 → 2; 40, 30 → 3; 20, 10 → 4; 0 → 5.
    return 5 if kps == 0 else (100 - kps) // 20
