"""Check an agreed plan against the options' documented indications and the NOMS suggestion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.clinical.indications import (
    OPEN_SURGERY,
    SHORT_NAMES,
    Departure,
    PlanContext,
    conditions_for,
)
from app.clinical.rules import tag_of, weakest

# [I] Options that go beside whatever NOMS suggests, not instead of it: NOMS (§3) chooses the
# local treatment of the spine (radiation, surgery, cement, brace), and these treat the patient
# around it (pain, function, precautions, bone health, the cancer elsewhere). A plan that adds
# them does not depart from NOMS. Preoperative embolisation is one of them only when open
# surgery follows it in the plan (§8.1 row 10: "before open surgery").
SUPPORTIVE_ADD_ONS = frozenset(
    {
        "analgesia",
        "rehabilitation",
        "spinal_precautions",
        "bone_modifying_agent",
        "systemic_therapy",
    }
)

NOMS_SOURCE = "NOMS (Laufer 2013), as the tool's helper applies it (REFERENCE §3.3)"
# The helper's truth table is the tool's reading of §3.2 ([I] in §3.3).
NOMS_TAG = "I"


@dataclass(frozen=True)
class Concordance:
    """The result of checking a plan: departures that need a reason, and notes that do not."""

    departures: tuple[Departure, ...]
    notes: tuple[Departure, ...]

    @property
    def is_concordant(self) -> bool:
        return not self.departures

    def as_json(self) -> list[dict]:
        """Departures then notes, as stored with the plan."""
        return [item.as_dict() for item in (*self.departures, *self.notes)]


def stored_departures(stored: Iterable[dict] | None) -> list[dict]:
    """The departures among a plan's stored check result (Concordance.as_json): the entries
    that need a reason, without the notes of what could not be checked."""
    return [entry for entry in stored or () if entry.get("kind") != "not_checked"]


def check_plan(steps: Sequence[str], context: PlanContext) -> Concordance:
    """Check the plan's steps (option codes, in plan order) against every documented condition
    of each option, then against the NOMS suggestion."""
    codes = tuple(steps)
    found: list[Departure] = []
    for position, code in enumerate(codes, start=1):
        for condition in conditions_for(code):
            departure = condition.check(position, codes, context)
            if departure is not None:
                found.append(departure)
    found.extend(_noms_departures(codes, context))
    return split(found)


def split(items: Iterable[Departure]) -> Concordance:
    """Sort departures from notes, keeping their order."""
    items = list(items)
    return Concordance(
        departures=tuple(item for item in items if item.needs_reason),
        notes=tuple(item for item in items if not item.needs_reason),
    )


def from_json(stored: Iterable[dict] | None) -> Concordance:
    """The concordance as stored with a plan (Plan.departures)."""
    return split(Departure.from_dict(item) for item in stored or ())


def _is_add_on(position: int, codes: tuple[str, ...]) -> bool:
    code = codes[position - 1]
    if code in SUPPORTIVE_ADD_ONS:
        return True
    return code == "embolization" and any(later in OPEN_SURGERY for later in codes[position:])


def _noms_departures(codes: tuple[str, ...], context: PlanContext) -> list[Departure]:
    if context.noms_options is None:
        missing = ", ".join(context.noms_missing) if context.noms_missing else "its inputs"
        return [
            Departure(
                None,
                None,
                "not_checked",
                f"NOMS not assessed: needs {missing}.",
                NOMS_SOURCE,
                "R9–R15",
                NOMS_TAG,
            )
        ]
    suggested = tuple(context.noms_options)
    named = ", ".join(SHORT_NAMES[code] for code in suggested)
    departures = [
        Departure(
            position,
            code,
            "noms",
            f"{SHORT_NAMES[code]} is not in the NOMS suggestion ({named}).",
            NOMS_SOURCE,
            "R9–R15",
            NOMS_TAG,
        )
        for position, code in enumerate(codes, start=1)
        if code not in suggested and not _is_add_on(position, codes)
    ]
    for code in suggested:
        if code in codes:
            continue
        rules = tuple(context.noms_rules.get(code, ()))
        departures.append(
            Departure(
                None,
                code,
                "noms",
                f"NOMS suggests {SHORT_NAMES[code]}, not in the plan.",
                NOMS_SOURCE,
                ", ".join(rules) if rules else "R9–R15",
                # As certain as the weakest rule that produced the suggestion.
                weakest(tag_of(rule) for rule in rules) if rules else NOMS_TAG,
            )
        )
    return departures
