"""The fourteen worked examples of REFERENCE §10, and its boundary coverage table."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.clinical import noms, scores


@dataclass(frozen=True)
class Example:
    number: int
    level: str
    # SINS inputs other than location, which comes from the level (§1.3).
    pain: str
    lesion: str
    alignment: str
    collapse: str
    posterolateral: str
    sins: tuple[int, str]
    escc: str
    escc_high: bool | None
    primary: str
    extraspinal: int
    vertebral: int
    tokuhashi_visceral: str
    frankel: str
    # KPS → (Tokuhashi total, category); two entries only for Example 11 (ECOG 1 only).
    tokuhashi: dict[int, tuple[int, str]]
    tomita_visceral: str
    bone: str
    # Tomita's default class for the primary (None: the board assigns one) ...
    growth: str | None
    # ... and growth class → (Tomita total, category), for every class the example lists.
    tomita: dict[str, tuple[int, str]]
    # (variant, NOMS inputs, options) for the NOMS paths the example fixes.
    noms: tuple[tuple[str, dict, tuple[str, ...]], ...] = field(default=())


def nom(escc_group, radiosensitive, mechanical, *, open_=True, mis=True, sbrt=True, rt=True):
    return {
        "escc_group": escc_group,
        "radiosensitive": radiosensitive,
        "mechanical": mechanical,
        "fit_for_open_surgery": open_,
        "fit_for_mis": mis,
        "fit_for_sbrt": sbrt,
        "fit_for_radiotherapy": rt,
    }


PU = "potentially_unstable"
LT6, GTE6, GTE1Y = "lt_6_months", "gte_6_months", "gte_1_year"
WIDE, MARGINAL = "wide_marginal_excision", "marginal_intralesional_excision"
PALLIATIVE, SUPPORTIVE = "palliative_surgery", "supportive_care"

EXAMPLES: tuple[Example, ...] = (
    # Example 1: prostate, S3 blastic; stable, fit. The text's board setting is radiosensitive
    # (cEBRT); the coverage table files it under resistant/low ("SBRT for oligometastatic
    # intent"), so both settings are run.
    Example(
        1, "S3", "none", "blastic", "normal", "none", "none", (0, "stable"),
        "0", False,
        "prostate", 0, 1, "none", "E", {90: (15, GTE1Y)},
        "none", "solitary", "slow", {"slow": (2, WIDE)},
        (
            ("board: radiosensitive", nom("low", True, "stable"), ("cebrt",)),
            ("board: radioresistant", nom("low", False, "stable"), ("sbrt",)),
        ),
    ),
    # Example 2: NSCLC, T12; ESCC 3; resistant, unstable, unfit for any surgery, RT possible.
    Example(
        2, "T12", "mechanical", "lytic", "subluxation", "over_50", "bilateral", (18, "unstable"),
        "3", True,
        "lung", 3, 3, "unremovable", "A", {30: (0, LT6)},
        "untreatable", "multiple", "rapid", {"rapid": (10, SUPPORTIVE)},
        (
            (
                "unfit for surgery",
                nom("high", False, "unstable", open_=False, mis=False, sbrt=False),
                ("corticosteroids", "bracing", "cebrt"),
            ),
        ),
    ),
    # Example 3: breast, T7; board: radiosensitive; low grade, stable, fit.
    Example(
        3, "T7", "occasional", "mixed", "normal", "under_50", "unilateral", (6, "stable"),
        "1b", False,
        "breast", 2, 1, "none", "E", {80: (14, GTE1Y)},
        "none", "multiple", "slow", {"slow": (3, WIDE)},
        (("fit", nom("low", True, "stable"), ("cebrt",)),),
    ),
    # Example 4: RCC, T8; resistant, low grade, no mechanical pain (recorded stable), fit.
    Example(
        4, "T8", "occasional", "lytic", "normal", "under_50", "unilateral", (7, PU),
        "1a", False,
        "kidney", 0, 1, "removable", "E", {80: (12, GTE1Y)},
        "treatable", "solitary", "moderate", {"moderate": (5, MARGINAL)},
        (("fit", nom("low", False, "stable"), ("sbrt",)),),
    ),
    # Example 5: colon, L3; ESCC 2; resistant; M read as unstable ("favour stabilisation").
    Example(
        5, "L3", "mechanical", "lytic", "normal", "under_50", "bilateral", (12, PU),
        "2", True,
        "colon", 0, 2, "removable", "D", {70: (8, LT6)},
        "treatable", "multiple", "rapid", {"rapid": (8, SUPPORTIVE)},
        (
            (
                "fit",
                nom("high", False, "unstable"),
                ("corticosteroids", "separation_surgery", "sbrt"),
            ),
            (
                "not fit",
                nom("high", False, "unstable", open_=False, mis=False, sbrt=False),
                ("corticosteroids", "bracing", "cebrt"),
            ),
        ),
    ),
    # Example 6: myeloma, T11; 1c grouped as low; radiosensitive; unstable; MIS, not open.
    Example(
        6, "T11", "mechanical", "lytic", "deformity", "under_50", "unilateral", (13, "unstable"),
        "1c", None,
        "myeloma", 3, 3, "none", "E", {60: (7, LT6)},
        "none", "multiple", None,
        {"slow": (3, WIDE), "moderate": (4, MARGINAL), "rapid": (6, PALLIATIVE)},
        (
            (
                "MIS only",
                nom("low", True, "unstable", open_=False),
                ("mis_stabilization", "cebrt"),
            ),
        ),
    ),
    # Example 7: RCC, L1; ESCC 2; resistant, no mechanical pain (stable), fit.
    Example(
        7, "L1", "occasional", "lytic", "normal", "involved_no_collapse", "unilateral", (8, PU),
        "2", True,
        "kidney", 1, 1, "unremovable", "D", {80: (9, GTE6)},
        "treatable", "multiple", "moderate", {"moderate": (6, PALLIATIVE)},
        (
            (
                "fit",
                nom("high", False, "stable"),
                ("corticosteroids", "separation_surgery", "sbrt"),
            ),
        ),
    ),
    # Example 8: breast, C5; board: radiosensitive; M unstable (coverage table: stabilisation).
    Example(
        8, "C5", "mechanical", "lytic", "normal", "involved_no_collapse", "none", (8, PU),
        "1b", False,
        "breast", 3, 1, "unremovable", "E", {80: (11, GTE6)},
        "untreatable", "multiple", "slow", {"slow": (7, PALLIATIVE)},
        (("fit", nom("low", True, "unstable"), ("open_stabilization", "cebrt")),),
    ),
    # Example 9: thyroid, L4; resistant, low, mechanical pain without gross instability.
    Example(
        9, "L4", "mechanical", "lytic", "normal", "involved_no_collapse", "unilateral", (9, PU),
        "1a", False,
        "thyroid", 0, 1, "unremovable", "E", {90: (13, GTE1Y)},
        "treatable", "solitary", "slow", {"slow": (4, MARGINAL)},
        (("fit", nom("low", False, "mechanical_pain"), ("cement_augmentation", "sbrt")),),
    ),
    # Example 10: prostate, T4; 1c grouped as low; board: radiosensitive; unstable; the surgeon
    # proposes percutaneous stabilisation, expressed here as MIS-fit, not open-fit.
    Example(
        10, "T4", "mechanical", "blastic", "deformity", "over_50", "unilateral", (10, PU),
        "1c", None,
        "prostate", 3, 3, "none", "E", {70: (10, GTE6)},
        "none", "multiple", "slow", {"slow": (3, WIDE)},
        (
            (
                "percutaneous",
                nom("low", True, "unstable", open_=False),
                ("mis_stabilization", "cebrt"),
            ),
        ),
    ),
    # Example 11: hepatocellular (liver), T6; ESCC 2; resistant; only ECOG 1 → KPS 70 or 80.
    # M: mechanical pain with < 50% collapse, no gross instability.
    Example(
        11, "T6", "mechanical", "lytic", "normal", "under_50", "none", (8, PU),
        "2", True,
        "liver", 0, 1, "removable", "C", {70: (8, LT6), 80: (9, GTE6)},
        "treatable", "solitary", "rapid", {"rapid": (7, PALLIATIVE)},
        (
            (
                "fit",
                nom("high", False, "mechanical_pain"),
                ("corticosteroids", "separation_surgery", "sbrt"),
            ),
            # The example says "otherwise cEBRT"; the contract's algorithm, which does not make
            # cement depend on fitness, also offers cement augmentation.
            (
                "not fit",
                nom("high", False, "mechanical_pain", open_=False, mis=False),
                ("corticosteroids", "cement_augmentation", "cebrt"),
            ),
        ),
    ),
    # Example 12: lymphoma, T9; ESCC 3; radiosensitive → cEBRT whatever the grade; stable.
    Example(
        12, "T9", "occasional", "lytic", "normal", "none", "unilateral", (5, "stable"),
        "3", True,
        "lymphoma", 0, 1, "none", "D", {70: (10, GTE6)},
        "none", "solitary", None,
        {"slow": (2, WIDE), "moderate": (3, WIDE), "rapid": (5, MARGINAL)},
        (("fit", nom("high", True, "stable"), ("corticosteroids", "cebrt")),),
    ),
    # Example 13: endometrial, coded uterus; board: resistant; low; mechanical pain at L5.
    Example(
        13, "L5", "mechanical", "lytic", "normal", "under_50", "unilateral", (11, PU),
        "1a", False,
        "uterus", 0, 2, "none", "E", {90: (12, GTE1Y)},
        "none", "multiple", "moderate", {"moderate": (4, MARGINAL)},
        (("fit", nom("low", False, "mechanical_pain"), ("cement_augmentation", "sbrt")),),
    ),
    # Example 14: EGFR NSCLC, C2; resistant (default); low; unstable; fit.
    Example(
        14, "C2", "none", "lytic", "subluxation", "over_50", "bilateral", (15, "unstable"),
        "1b", False,
        "lung", 1, 1, "none", "E", {90: (9, GTE6)},
        "none", "multiple", "rapid", {"rapid": (6, PALLIATIVE)},
        (("fit", nom("low", False, "unstable"), ("open_stabilization", "sbrt")),),
    ),
)  # fmt: skip

BY_NUMBER = {example.number: example for example in EXAMPLES}


def ids(example: Example) -> str:
    return f"example_{example.number}"


def sins_of(example: Example) -> scores.SinsScore:
    return scores.sins(
        location=scores.sins_location(level=example.level),
        pain=example.pain,
        lesion=example.lesion,
        alignment=example.alignment,
        collapse=example.collapse,
        posterolateral=example.posterolateral,
    )


def tokuhashi_of(example: Example, kps: int) -> scores.Score:
    return scores.tokuhashi(
        kps=kps,
        extraspinal_bone_mets=example.extraspinal,
        vertebral_mets=example.vertebral,
        visceral=example.tokuhashi_visceral,
        primary=example.primary,
        frankel=example.frankel,
    )


def tomita_of(example: Example, growth: str) -> scores.Score:
    return scores.tomita(growth=growth, visceral=example.tomita_visceral, bone=example.bone)


def test_all_fourteen_examples_are_here():
    assert sorted(BY_NUMBER) == list(range(1, 15))


@pytest.mark.parametrize("example", EXAMPLES, ids=ids)
def test_sins(example):
    result = sins_of(example)
    assert (result.total, result.category) == example.sins
    assert result.surgical_consult_recommended is (example.sins[0] >= 7)


@pytest.mark.parametrize("example", EXAMPLES, ids=ids)
def test_tokuhashi(example):
    for kps, expected in example.tokuhashi.items():
        result = tokuhashi_of(example, kps)
        assert (result.total, result.category) == expected, kps


@pytest.mark.parametrize("example", EXAMPLES, ids=ids)
def test_tomita(example):
    assert scores.tomita_growth(primary=example.primary) == example.growth
    if example.growth is not None:
        assert list(example.tomita) == [example.growth]
    else:
        # Unclassified by Tomita: the example lists every class the board could assign.
        assert list(example.tomita) == ["slow", "moderate", "rapid"]
    for growth, expected in example.tomita.items():
        result = tomita_of(example, growth)
        assert (result.total, result.category) == expected, growth


@pytest.mark.parametrize("example", EXAMPLES, ids=ids)
def test_escc_grouping(example):
    assert scores.escc_high_grade(grade=example.escc) is example.escc_high


@pytest.mark.parametrize("example", EXAMPLES, ids=ids)
def test_noms(example):
    for variant, inputs, expected in example.noms:
        assert noms.suggest(**inputs).options == expected, variant


def test_example_11_ecog_1_gives_both_tokuhashi_totals():
    example = BY_NUMBER[11]
    band = scores.tokuhashi_kps_band_for_ecog(ecog=1)
    assert band == (70, 80)
    results = [tokuhashi_of(example, kps) for kps in band]
    assert [(r.total, r.category) for r in results] == [(8, LT6), (9, GTE6)]


def test_unlisted_primaries_are_flagged_as_literal_others():
    for number in (5, 6, 12):
        example = BY_NUMBER[number]
        result = tokuhashi_of(example, next(iter(example.tokuhashi)))
        assert result.points["primary"] == 2
        assert result.notes and "others" in result.notes[0], number
    assert tokuhashi_of(BY_NUMBER[13], 90).notes == ()


def test_noms_rules_for_examples_2_7_9_and_12():
    assert noms.suggest(**BY_NUMBER[2].noms[0][1]).rules_by_option == {
        "corticosteroids": ("R12", "R17"),
        "bracing": ("R13", "R15"),
        "cebrt": ("R12",),
    }
    assert noms.suggest(**BY_NUMBER[7].noms[0][1]).rules == ("R11",)
    assert noms.suggest(**BY_NUMBER[9].noms[0][1]).rules == ("R10", "R14")
    assert noms.suggest(**BY_NUMBER[12].noms[0][1]).rules == ("R9",)


# --- the boundary coverage table of §10 ------------------------------------------------------
# Value → the examples the table says reach it ("11a"/"11b": Example 11 with KPS 70/80).
COVERAGE_SINS = {
    0: {1}, 5: {12}, 6: {3}, 7: {4}, 8: {7, 8, 11}, 9: {9}, 10: {10}, 11: {13}, 12: {5},
    13: {6}, 15: {14}, 18: {2},
}  # fmt: skip
COVERAGE_TOKUHASHI = {
    0: {"2"}, 7: {"6"}, 8: {"5", "11a"}, 9: {"7", "11b", "14"}, 10: {"10", "12"}, 11: {"8"},
    12: {"4", "13"}, 13: {"9"}, 14: {"3"}, 15: {"1"},
}  # fmt: skip
COVERAGE_TOMITA = {
    2: {1}, 3: {3, 10}, 4: {9, 13}, 5: {4}, 6: {7, 14}, 7: {8, 11}, 8: {5}, 10: {2},
}  # fmt: skip
COVERAGE_ESCC = {
    "0": {1}, "1a": {4, 9, 13}, "1b": {3, 8, 14}, "1c": {6, 10}, "2": {5, 7, 11}, "3": {2, 12},
}  # fmt: skip


def test_coverage_table_sins():
    reached = {}
    for example in EXAMPLES:
        reached.setdefault(sins_of(example).total, set()).add(example.number)
    assert reached == COVERAGE_SINS


def test_coverage_table_tokuhashi():
    reached = {}
    for example in EXAMPLES:
        for kps in example.tokuhashi:
            name = str(example.number)
            if len(example.tokuhashi) > 1:
                name += "a" if kps == min(example.tokuhashi) else "b"
            reached.setdefault(tokuhashi_of(example, kps).total, set()).add(name)
    assert reached == COVERAGE_TOKUHASHI


def test_coverage_table_tomita():
    # The table counts only the examples whose growth class is fixed by the primary site.
    reached = {}
    for example in EXAMPLES:
        if example.growth is not None:
            reached.setdefault(tomita_of(example, example.growth).total, set()).add(example.number)
    assert reached == COVERAGE_TOMITA


def test_coverage_table_escc():
    reached = {}
    for example in EXAMPLES:
        reached.setdefault(example.escc, set()).add(example.number)
    assert reached == COVERAGE_ESCC


def branch(inputs: dict) -> str:
    sensitivity = "sensitive" if inputs["radiosensitive"] else "resistant"
    name = f"{sensitivity}/{inputs['escc_group']}"
    if name == "resistant/high":
        name += " fit" if inputs["fit_for_open_surgery"] else " unfit"
    return name


def test_coverage_table_noms_branches():
    # Every example the table names reaches its branch. "5-fit"/"5-unfit" are Example 5's two
    # variants. The table is not exhaustive (Example 13's cement, Example 11's unfit variant and
    # Example 1's radiosensitive setting are not listed), so this checks inclusion.
    table = {
        "sensitive/low": {"3", "6", "8", "10"},
        "sensitive/high": {"12"},
        "resistant/low": {"1", "4", "9", "13", "14"},
        "resistant/high fit": {"7", "11", "5-fit"},
        "resistant/high unfit": {"2", "5-unfit"},
        "unstable → stabilisation": {"6", "14", "8", "10"},
        "mechanical pain → cement": {"9"},
    }
    reached: dict[str, set[str]] = {}
    for example in EXAMPLES:
        for variant, inputs, options in example.noms:
            name = str(example.number)
            if example.number == 5:
                name += "-fit" if variant == "fit" else "-unfit"
            reached.setdefault(branch(inputs), set()).add(name)
            if {"open_stabilization", "mis_stabilization"} & set(options):
                reached.setdefault("unstable → stabilisation", set()).add(name)
            if "cement_augmentation" in options:
                reached.setdefault("mechanical pain → cement", set()).add(name)
    for name, numbers in table.items():
        assert numbers <= reached.get(name, set()), name
