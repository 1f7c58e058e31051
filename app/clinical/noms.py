"""The NOMS helper: documented treatment options for the board, per the contract's algorithm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.clinical.scores import ClinicalInputError

ESCC_GROUPS: tuple[str, ...] = ("low", "high")
MECHANICAL: tuple[str, ...] = ("stable", "unstable", "mechanical_pain")

# Which rule of REFERENCE §7 each part of a suggestion rests on:
#   corticosteroids (high-grade ESCC)          R17 (NICE: dexamethasone 16 mg for MSCC); R9–R15
#                                              mention steroids only in R12 ("± steroids"), so
#                                              R12 is added on that branch (resistant + unfit)
#   separation_surgery                         R11 (+ R13 when unstable: it includes posterior
#                                              stabilisation, so no separate one is added)
#   open_stabilization                         R13
#   mis_stabilization, bracing                 R13 + R15 (open / any stabilisation not tolerated;
#                                              bracing from §3.3 "radiation ± brace")
#   cement_augmentation                        R14
#   cebrt, radiosensitive                      R9
#   sbrt, radioresistant + low grade           R10
#   sbrt after separation surgery              R11
#   cebrt, resistant + high, no separation     R12 (fallback [R])
#   cebrt instead of SBRT (not fit for SBRT)   R10 or R11, + R15 (§3.3 "replace SRS with cEBRT")
#   best_supportive_care                       R15
# R15 is also listed in `rules` whenever a component is dropped for fitness (`dropped`).


NOMS_RULES = frozenset(f"R{number}" for number in range(9, 16))


@dataclass(frozen=True)
class Suggestion:
    """Options to put before the board, in the order they would be given; never a decision."""

    options: tuple[str, ...]
    rules: tuple[str, ...]
    rules_by_option: dict[str, tuple[str, ...]]
    # Components the algorithm would have offered but the patient's fitness ruled out (R15).
    dropped: tuple[str, ...] = ()


def _choice(field: str, value: Any, codes: tuple[str, ...]) -> str:
    if value is None:
        raise ClinicalInputError(field, "missing")
    if not isinstance(value, str) or value not in codes:
        raise ClinicalInputError(field, f"{value!r} is not one of {', '.join(codes)}")
    return value


def _flag(field: str, value: Any) -> bool:
    if value is None:
        raise ClinicalInputError(field, "missing")
    if not isinstance(value, bool):
        raise ClinicalInputError(field, f"{value!r} is not True or False")
    return value


def _rule_number(rule: str) -> int:
    return int(rule[1:])


def suggest(
    *,
    escc_group,
    radiosensitive,
    mechanical,
    fit_for_open_surgery,
    fit_for_mis,
    fit_for_sbrt,
    fit_for_radiotherapy=True,
) -> Suggestion:
    """Apply the contract's NOMS algorithm (steps 1 and 2, in that order; REFERENCE §3, R9–R15)."""
    high = _choice("escc_group", escc_group, ESCC_GROUPS) == "high"
    sensitive = _flag("radiosensitive", radiosensitive)
    mechanical = _choice("mechanical", mechanical, MECHANICAL)
    fit_open = _flag("fit_for_open_surgery", fit_for_open_surgery)
    fit_mis = _flag("fit_for_mis", fit_for_mis)
    fit_sbrt = _flag("fit_for_sbrt", fit_for_sbrt)
    fit_rt = _flag("fit_for_radiotherapy", fit_for_radiotherapy)

    # Step 1: unfit for every active treatment → best supportive care and nothing else (R15).
    if not fit_rt and not fit_open and not fit_mis:
        return Suggestion(
            options=("best_supportive_care",),
            rules=("R15",),
            rules_by_option={"best_supportive_care": ("R15",)},
            dropped=("active treatment: not fit for radiotherapy, open surgery or MIS",),
        )

    # Step 2, in the contract's order.
    chosen: dict[str, tuple[str, ...]] = {}
    dropped: list[str] = []

    if high:
        r12_branch = not sensitive and not fit_open
        chosen["corticosteroids"] = ("R12", "R17") if r12_branch else ("R17",)

    # The surgical or percutaneous step.
    surgical = True
    separation = not sensitive and high and fit_open
    if separation:
        chosen["separation_surgery"] = ("R11", "R13") if mechanical == "unstable" else ("R11",)
    else:
        if not sensitive and high:
            dropped.append("separation_surgery: not fit for open surgery")
        if mechanical == "unstable":
            if fit_open:
                chosen["open_stabilization"] = ("R13",)
            elif fit_mis:
                dropped.append("open_stabilization: not fit for open surgery")
                chosen["mis_stabilization"] = ("R13", "R15")
            else:
                dropped.append("open_stabilization: not fit for open surgery")
                dropped.append("mis_stabilization: not fit for MIS")
                chosen["bracing"] = ("R13", "R15")
        elif mechanical == "mechanical_pain":
            chosen["cement_augmentation"] = ("R14",)
        else:
            surgical = False

    # The radiation step.
    radiation = fit_rt
    if not fit_rt:
        dropped.append("radiotherapy: not fit for radiotherapy")
    elif sensitive:
        chosen["cebrt"] = ("R9",)
    elif not high or separation:
        indication = "R11" if separation else "R10"
        if fit_sbrt:
            chosen["sbrt"] = (indication,)
        else:
            dropped.append("sbrt: not fit for SBRT")
            chosen["cebrt"] = (indication, "R15")
    else:
        # Radioresistant, high grade, no separation surgery: palliative cEBRT (R12 [R]).
        chosen["cebrt"] = ("R12",)

    if not surgical and not radiation:
        chosen["best_supportive_care"] = ("R15",)

    # The contract's `rules` are the NOMS rules R9–R15 only; R17 (NICE dexamethasone) stays in
    # `rules_by_option`, where it explains the corticosteroids.
    rules = {
        rule for option_rules in chosen.values() for rule in option_rules if rule in NOMS_RULES
    }
    if dropped:
        rules.add("R15")
    return Suggestion(
        options=tuple(chosen),
        rules=tuple(sorted(rules, key=_rule_number)),
        rules_by_option=chosen,
        dropped=tuple(dropped),
    )
