"""The structured inputs of a case presentation: who owns each one, and what values it allows.

Ownership follows the design's presentation-by-role flow and REFERENCE §11 (the data model):
imaging findings and SINS items per lesion (interventional radiologist / spine surgeon),
neurological status (spine surgeon), histology, systemic disease and performance status
(medical oncologist), prior radiotherapy (radiation oncologist), function and mobility
(physiotherapist). A role may present partially: every input is optional, but a value that is
given must be a value the scores can use, and is refused with a message that says why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.clinical.vocabulary import (
    ASIA_GRADES,
    ESCC_GRADES,
    FRANKEL_GRADES,
    LEVEL_LABELS,
    MOBILITY,
    SINS_ALIGNMENT,
    SINS_COLLAPSE,
    SINS_LESION,
    SINS_LOCATION,
    SINS_PAIN,
    SINS_POSTEROLATERAL,
    SPECIALTIES,
    TOKUHASHI_VISCERAL,
    TOMITA_VISCERAL,
)

# "lesions" stands for the lesion rows as a whole (each with the LESION_FIELDS).
FIELDS_BY_SPECIALTY: dict[str, tuple[str, ...]] = {
    "medical_oncology": (
        "kps",
        "ecog",
        "extraspinal_bone_mets",
        "vertebral_mets",
        "tokuhashi_visceral",
        "tomita_visceral",
        "albumin_g_dl",
    ),
    "radiation_oncology": (
        "prior_rt_dose_gy",
        "prior_rt_fractions",
        "prior_rt_date",
        "prior_rt_levels",
    ),
    "interventional_radiology": ("lesions", "vertebral_mets"),
    "spine_surgery": ("lesions", "frankel", "asia", "previous_spine_surgery"),
    "physiotherapy": ("mobility",),
}

# The patient-level inputs, in the order pages show them.
PRESENTATION_FIELDS: tuple[str, ...] = (
    "kps",
    "ecog",
    "extraspinal_bone_mets",
    "vertebral_mets",
    "tokuhashi_visceral",
    "tomita_visceral",
    "albumin_g_dl",
    "frankel",
    "asia",
    "previous_spine_surgery",
    "prior_rt_dose_gy",
    "prior_rt_fractions",
    "prior_rt_date",
    "prior_rt_levels",
    "mobility",
)

LESION_FIELDS: tuple[str, ...] = (
    "level",
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

LABELS: dict[str, str] = {
    "kps": "Karnofsky performance status (KPS)",
    "ecog": "ECOG performance status",
    "extraspinal_bone_mets": "Extraspinal bone metastases (number)",
    "vertebral_mets": "Vertebral body metastases (number)",
    "tokuhashi_visceral": "Visceral metastases: removable? (Tokuhashi)",
    "tomita_visceral": "Visceral metastases: treatable? (Tomita)",
    "albumin_g_dl": "Serum albumin (g/dL)",
    "frankel": "Frankel grade",
    "asia": "ASIA impairment scale",
    "previous_spine_surgery": "Previous spine surgery",
    "prior_rt_dose_gy": "Prior radiotherapy: total dose (Gy)",
    "prior_rt_fractions": "Prior radiotherapy: fractions",
    "prior_rt_date": "Prior radiotherapy: date",
    "prior_rt_levels": "Prior radiotherapy: levels treated",
    "mobility": "Mobility",
    "lesions": "Lesions",
    "level": "Level",
    "location": "SINS location (only if the level does not fix it)",
    "pain": "Pain",
    "lesion_quality": "Bone lesion",
    "alignment": "Alignment",
    "collapse": "Vertebral body collapse",
    "collapse_percent": "Collapse measured (%)",
    "posterolateral": "Posterolateral involvement",
    "escc_grade": "ESCC (Bilsky) grade",
    "cauda_equina": "Cauda equina compression",
    "is_index": "Index lesion",
}

# Inputs stored as a contract code, and the codes each allows.
CODES: dict[str, dict[str, str]] = {
    "tokuhashi_visceral": TOKUHASHI_VISCERAL,
    "tomita_visceral": TOMITA_VISCERAL,
    "frankel": FRANKEL_GRADES,
    "asia": ASIA_GRADES,
    "mobility": MOBILITY,
    "level": LEVEL_LABELS,
    "location": SINS_LOCATION,
    "pain": SINS_PAIN,
    "lesion_quality": SINS_LESION,
    "alignment": SINS_ALIGNMENT,
    "collapse": SINS_COLLAPSE,
    "posterolateral": SINS_POSTEROLATERAL,
    "escc_grade": ESCC_GRADES,
}

# What a member is told when a value is refused.
MESSAGES: dict[str, str] = {
    "kps": "KPS is given in steps of 10, from 0 to 100.",
    "ecog": "ECOG is a whole number from 0 to 5.",
    "extraspinal_bone_mets": "Give the number of extraspinal bone metastases as a whole number, "
    "0 or more.",
    "vertebral_mets": "Give the number of vertebral body metastases as a whole number, 1 or more.",
    "albumin_g_dl": "Give albumin in g/dL, from 0.5 to 7.0.",
    "prior_rt_dose_gy": "Give the prior radiotherapy dose in Gy: more than 0, at most 100.",
    "prior_rt_fractions": "Give the number of fractions as a whole number from 1 to 50.",
    "prior_rt_date": "The date of prior radiotherapy cannot be in the future.",
    "prior_rt_levels": "Choose the treated levels from C1 to S5 and coccyx.",
    "previous_spine_surgery": "Describe previous spine surgery in at most 300 characters.",
    "collapse_percent": "Give the collapse as a whole percentage from 0 to 100.",
    "cauda_equina": "Cauda equina compression is either ticked or not.",
    "is_index": "The index lesion mark is either ticked or not.",
}

NEED_LEVEL = "Give the level of this lesion."
ONE_INDEX = "Mark only one lesion as the index lesion."
NEED_COLLAPSE_CATEGORY = (
    "Choose the collapse category as well: a measured percentage does not set it "
    "(exactly 50% is neither over nor under 50%)."
)


class InputError(ValueError):
    """A value the scores cannot use. `message` is what the member is shown."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def owners(name: str) -> tuple[str, ...]:
    """Return the specialties that enter input `name`, in the order of SPECIALTIES."""
    return tuple(
        specialty
        for specialty in SPECIALTIES
        if name in FIELDS_BY_SPECIALTY.get(specialty, ())
        or (name in LESION_FIELDS and "lesions" in FIELDS_BY_SPECIALTY.get(specialty, ()))
    )


def owns(specialty: str | None, name: str) -> bool:
    return bool(specialty) and specialty in owners(name)


def _given(value: Any) -> bool:
    # 0 is a value (KPS 0, no collapse): only None, empty text, an empty list or an unticked box
    # count as not given.
    return value is not None and value is not False and value != "" and value != []


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check(name: str, value: Any, *, today: date) -> None:
    """Raise InputError unless `value` is an allowed stored value of input `name`.

    None always passes: a missing input is recorded as missing, never scored as 0.
    """
    if value is None:
        return
    if name in CODES:
        if value not in CODES[name]:
            raise InputError(
                name,
                f"{value!r} is not one of {', '.join(CODES[name])}; choose from the list.",
            )
        return
    valid = {
        "kps": lambda v: _whole(v) and 0 <= v <= 100 and v % 10 == 0,
        "ecog": lambda v: _whole(v) and 0 <= v <= 5,
        "extraspinal_bone_mets": lambda v: _whole(v) and v >= 0,
        "vertebral_mets": lambda v: _whole(v) and v >= 1,
        "albumin_g_dl": lambda v: _number(v) and 0.5 <= v <= 7.0,
        "prior_rt_dose_gy": lambda v: _number(v) and 0 < v <= 100,
        "prior_rt_fractions": lambda v: _whole(v) and 1 <= v <= 50,
        "prior_rt_date": lambda v: isinstance(v, date) and v <= today,
        "prior_rt_levels": lambda v: (
            isinstance(v, list | tuple) and all(level in LEVEL_LABELS for level in v)
        ),
        "previous_spine_surgery": lambda v: isinstance(v, str) and len(v) <= 300,
        "collapse_percent": lambda v: _whole(v) and 0 <= v <= 100,
        "cauda_equina": lambda v: isinstance(v, bool),
        "is_index": lambda v: isinstance(v, bool),
    }.get(name)
    if valid is None:
        raise InputError(name, "is not a presentation input.")
    if not valid(value):
        raise InputError(name, MESSAGES[name])


def read(name: str, raw: str, *, today: date) -> Any:
    """Turn what a member typed for a number input into its stored value (None when blank)."""
    raw = raw.strip()
    if not raw:
        return None
    if name in {"albumin_g_dl", "prior_rt_dose_gy"}:
        try:
            # A decimal comma is how many members type a dose or a lab value.
            value: Any = float(raw.replace(",", "."))
        except ValueError:
            raise InputError(name, MESSAGES[name]) from None
    else:
        try:
            value = int(raw)
        except ValueError:
            raise InputError(name, MESSAGES[name]) from None
    check(name, value, today=today)
    return value


def lesion_is_blank(lesion: dict) -> bool:
    """True when a lesion row carries nothing at all (such a row is ignored)."""
    return not any(_given(lesion.get(name)) for name in LESION_FIELDS)


def lesion_problems(lesion: dict, *, today: date) -> dict[str, str]:
    """Return {field: message} for what is wrong with one non-blank lesion row."""
    problems: dict[str, str] = {}
    unknown = set(lesion) - set(LESION_FIELDS)
    for name in sorted(unknown):
        problems[name] = "is not a lesion input."
    for name in LESION_FIELDS:
        if name in unknown:
            continue
        try:
            check(name, lesion.get(name), today=today)
        except InputError as error:
            problems[name] = error.message
    if not lesion.get("level") and "level" not in problems:
        problems["level"] = NEED_LEVEL
    percent = lesion.get("collapse_percent")
    category = lesion.get("collapse")
    if "collapse_percent" not in problems and "collapse" not in problems and percent is not None:
        if not category:
            problems["collapse"] = NEED_COLLAPSE_CATEGORY
        elif category == "over_50" and percent < 50:
            problems["collapse"] = f"A collapse of {percent}% is under 50%: check the category."
        elif category == "under_50" and percent > 50:
            problems["collapse"] = f"A collapse of {percent}% is over 50%: check the category."
    return problems


def index_problem(lesions: list[dict]) -> str | None:
    """The message when more than one lesion is marked as the index lesion."""
    marked = sum(1 for lesion in lesions if lesion.get("is_index"))
    return ONE_INDEX if marked > 1 else None


def display(name: str, value: Any) -> str:
    """Show a stored input value to people: codes as labels, units where they help."""
    if name in CODES:
        return CODES[name].get(value, str(value))
    if name in {"albumin_g_dl", "prior_rt_dose_gy"}:
        text = f"{value:g}"
        return f"{text} g/dL" if name == "albumin_g_dl" else f"{text} Gy"
    if name == "prior_rt_date":
        return value.strftime("%d %b %Y")
    if name == "prior_rt_levels":
        return ", ".join(LEVEL_LABELS.get(level, level) for level in value)
    return str(value)


def given_inputs(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Return (label, shown value) for each patient-level input that has a value, in page order."""
    return [
        (LABELS[name], display(name, values[name]))
        for name in PRESENTATION_FIELDS
        if _given(values.get(name))
    ]
