"""Category boundaries, lookups and input refusal of the clinical scores and the NOMS helper."""

from __future__ import annotations

import inspect
import itertools

import pytest

from app.clinical import noms, scores
from app.clinical.vocabulary import (
    ESCC_GRADES,
    KPS_VALUES,
    LEVELS,
    PRIMARY_SITES,
    TOMITA_BONE,
    TOMITA_GROWTH,
    TOMITA_VISCERAL,
)

# Every component at 0 points; each boundary case raises some of them.
SINS_ZERO = {
    "location": "rigid",
    "pain": "none",
    "lesion": "blastic",
    "alignment": "normal",
    "collapse": "none",
    "posterolateral": "none",
}
TOKUHASHI_ZERO = {
    "kps": 10,
    "extraspinal_bone_mets": 3,
    "vertebral_mets": 3,
    "visceral": "unremovable",
    "primary": "lung",
    "frankel": "A",
}
# Tokuhashi at 8: the first four components at their best (2 each).
TOKUHASHI_8 = {
    **TOKUHASHI_ZERO,
    "kps": 80,
    "extraspinal_bone_mets": 0,
    "vertebral_mets": 1,
    "visceral": "none",
}


SINS_6 = {**SINS_ZERO, "location": "junctional", "pain": "mechanical"}
SINS_7 = {**SINS_6, "lesion": "mixed"}
SINS_12 = {**SINS_6, "lesion": "lytic", "alignment": "subluxation"}
SINS_13 = {**SINS_12, "collapse": "involved_no_collapse"}
SINS_18 = {**SINS_12, "collapse": "over_50", "posterolateral": "bilateral"}


@pytest.mark.parametrize(
    ("inputs", "total", "category"),
    [
        (SINS_ZERO, 0, "stable"),
        (SINS_6, 6, "stable"),
        (SINS_7, 7, "potentially_unstable"),
        (SINS_12, 12, "potentially_unstable"),
        (SINS_13, 13, "unstable"),
        (SINS_18, 18, "unstable"),
    ],
)
def test_sins_boundaries(inputs, total, category):
    result = scores.sins(**inputs)
    assert (result.total, result.category) == (total, category)
    assert result.surgical_consult_recommended is (total >= 7)
    assert result.rules == ("R1", "R2", "R3")
    assert result.source == "Fisher 2010 Spine 35:E1221"


def test_sins_category_labels():
    labels = {code: text for _, _, code, text in scores.SINS_CATEGORIES}
    assert labels == {
        "stable": "Stable",
        "potentially_unstable": "Potentially unstable",
        "unstable": "Unstable",
    }


def test_sins_every_combination_is_banded_as_r2_says():
    points = scores.SINS_POINTS
    for combination in itertools.product(*(points[field] for field in SINS_ZERO)):
        result = scores.sins(**dict(zip(SINS_ZERO, combination, strict=True)))
        expected = (
            "stable"
            if result.total <= 6
            else "potentially_unstable"
            if result.total <= 12
            else "unstable"
        )
        assert result.category == expected


@pytest.mark.parametrize(
    ("changes", "total", "category"),
    [
        ({}, 0, "lt_6_months"),
        ({}, 8, "lt_6_months"),
        ({"frankel": "C"}, 9, "gte_6_months"),
        ({"frankel": "E", "primary": "liver"}, 11, "gte_6_months"),
        ({"frankel": "E", "primary": "colon"}, 12, "gte_1_year"),
        ({"frankel": "E", "primary": "breast"}, 15, "gte_1_year"),
    ],
)
def test_tokuhashi_boundaries(changes, total, category):
    base = TOKUHASHI_ZERO if total == 0 else TOKUHASHI_8
    result = scores.tokuhashi(**{**base, **changes})
    assert (result.total, result.category) == (total, category)
    assert result.rules == ("R22",)
    assert result.source == "Tokuhashi 2005 Spine 30:2186"


def test_tokuhashi_category_labels():
    labels = {code: text for _, _, code, text in scores.TOKUHASHI_CATEGORIES}
    assert labels["lt_6_months"] == "< 6 months (conservative)"
    assert labels["gte_6_months"] == "≥ 6 months (palliative surgery)"
    assert labels["gte_1_year"] == "≥ 1 year (excisional surgery)"


@pytest.mark.parametrize(
    ("kps", "points"),
    [(10, 0), (20, 0), (30, 0), (40, 0), (50, 1), (60, 1), (70, 1), (80, 2), (90, 2), (100, 2)],
)
def test_tokuhashi_kps_bands(kps, points):
    assert scores.tokuhashi(**{**TOKUHASHI_ZERO, "kps": kps}).points["kps"] == points


def test_tokuhashi_refuses_kps_0():
    with pytest.raises(ValueError, match=r"^kps: 0 \(dead\) cannot be scored"):
        scores.tokuhashi(**{**TOKUHASHI_ZERO, "kps": 0})


@pytest.mark.parametrize(("count", "points"), [(0, 2), (1, 1), (2, 1), (3, 0), (4, 0), (100, 0)])
def test_tokuhashi_extraspinal_bands(count, points):
    result = scores.tokuhashi(**{**TOKUHASHI_ZERO, "extraspinal_bone_mets": count})
    assert result.points["extraspinal_bone_mets"] == points


@pytest.mark.parametrize(("count", "points"), [(1, 2), (2, 1), (3, 0), (4, 0), (100, 0)])
def test_tokuhashi_vertebral_bands(count, points):
    result = scores.tokuhashi(**{**TOKUHASHI_ZERO, "vertebral_mets": count})
    assert result.points["vertebral_mets"] == points


@pytest.mark.parametrize(("grade", "points"), [("A", 0), ("B", 0), ("C", 1), ("D", 1), ("E", 2)])
def test_tokuhashi_frankel(grade, points):
    assert scores.tokuhashi(**{**TOKUHASHI_ZERO, "frankel": grade}).points["frankel"] == points


def test_tokuhashi_primary_points_follow_the_contract():
    by_points = {
        0: {"lung", "osteosarcoma", "stomach", "bladder", "esophagus", "pancreas"},
        1: {"liver", "gallbladder", "unknown"},
        2: {"colon", "melanoma", "myeloma", "lymphoma", "sarcoma", "head_neck", "other"},
        3: {"kidney", "uterus"},
        4: {"rectum"},
        5: {"thyroid", "breast", "prostate", "carcinoid"},
    }
    assert set().union(*by_points.values()) == set(PRIMARY_SITES)
    for points, primaries in by_points.items():
        for primary in primaries:
            result = scores.tokuhashi(**{**TOKUHASHI_ZERO, "primary": primary})
            assert result.points["primary"] == points, primary


@pytest.mark.parametrize(
    ("growth", "visceral", "bone", "total", "category"),
    [
        ("slow", "none", "solitary", 2, "wide_marginal_excision"),
        ("slow", "none", "multiple", 3, "wide_marginal_excision"),
        ("moderate", "none", "multiple", 4, "marginal_intralesional_excision"),
        ("slow", "treatable", "multiple", 5, "marginal_intralesional_excision"),
        ("moderate", "treatable", "multiple", 6, "palliative_surgery"),
        ("slow", "untreatable", "multiple", 7, "palliative_surgery"),
        ("moderate", "untreatable", "multiple", 8, "supportive_care"),
        ("rapid", "untreatable", "multiple", 10, "supportive_care"),
    ],
)
def test_tomita_boundaries(growth, visceral, bone, total, category):
    result = scores.tomita(growth=growth, visceral=visceral, bone=bone)
    assert (result.total, result.category) == (total, category)
    assert result.rules == ("R23",)
    assert result.source == "Tomita 2001 Spine 26:298"


def test_tomita_every_combination():
    bands = {2: "wide", 3: "wide", 4: "marginal", 5: "marginal", 6: "palliative", 7: "palliative"}
    for growth, visceral, bone in itertools.product(TOMITA_GROWTH, TOMITA_VISCERAL, TOMITA_BONE):
        result = scores.tomita(growth=growth, visceral=visceral, bone=bone)
        assert result.category.startswith(bands.get(result.total, "supportive"))


def test_tomita_category_labels():
    labels = {code: text for _, _, code, text in scores.TOMITA_CATEGORIES}
    assert labels["palliative_surgery"] == "Palliative surgery"
    assert labels["supportive_care"] == "Non-operative supportive care"


# --- lookups --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kps", "ecog"),
    [
        (100, 0),
        (90, 0),
        (80, 1),
        (70, 1),
        (60, 2),
        (50, 2),
        (40, 3),
        (30, 3),
        (20, 4),
        (10, 4),
        (0, 5),
    ],
)
def test_ecog_from_kps(kps, ecog):
    assert scores.ecog_from_kps(kps=kps) == ecog


def test_kps_band_for_every_ecog():
    assert [scores.tokuhashi_kps_band_for_ecog(ecog=ecog) for ecog in range(6)] == [
        (90, 100),
        (70, 80),
        (50, 60),
        (30, 40),
        (10, 20),
        (0,),
    ]
    for kps in KPS_VALUES:
        assert kps in scores.tokuhashi_kps_band_for_ecog(ecog=scores.ecog_from_kps(kps=kps))


LOCATION_OF_LEVEL = {
    **dict.fromkeys(["C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"], "junctional"),
    **dict.fromkeys(["C3", "C4", "C5", "C6", "L2", "L3", "L4"], "mobile"),
    **dict.fromkeys([f"T{n}" for n in range(3, 11)], "semirigid"),
    **dict.fromkeys(["S2", "S3", "S4", "S5"], "rigid"),
    "coccyx": None,
}


@pytest.mark.parametrize("level", LEVELS)
def test_sins_location_of_every_level(level):
    assert scores.sins_location(level=level) == LOCATION_OF_LEVEL[level]


def test_every_level_is_in_the_location_table():
    assert set(LOCATION_OF_LEVEL) == set(LEVELS)


@pytest.mark.parametrize("primary", PRIMARY_SITES)
def test_tomita_growth_of_every_primary(primary):
    expected = {
        "breast": "slow",
        "thyroid": "slow",
        "prostate": "slow",
        "kidney": "moderate",
        "uterus": "moderate",
        "lung": "rapid",
        "liver": "rapid",
        "stomach": "rapid",
        "colon": "rapid",
        "unknown": "rapid",
    }.get(primary)
    assert scores.tomita_growth(primary=primary) == expected


@pytest.mark.parametrize(
    ("grade", "high"),
    [("0", False), ("1a", False), ("1b", False), ("1c", None), ("2", True), ("3", True)],
)
def test_escc_high_grade(grade, high):
    assert scores.escc_high_grade(grade=grade) is high


def test_escc_grades_are_the_vocabulary():
    assert list(ESCC_GRADES) == ["0", "1a", "1b", "1c", "2", "3"]


# --- refusal --------------------------------------------------------------------------------

VALID = {
    scores.sins: SINS_ZERO,
    scores.sins_location: {"level": "T7"},
    scores.tokuhashi: TOKUHASHI_8,
    scores.tokuhashi_kps_band_for_ecog: {"ecog": 1},
    scores.tomita: {"growth": "slow", "visceral": "none", "bone": "solitary"},
    scores.tomita_growth: {"primary": "breast"},
    scores.escc_high_grade: {"grade": "1c"},
    scores.ecog_from_kps: {"kps": 80},
    noms.suggest: {
        "escc_group": "low",
        "radiosensitive": True,
        "mechanical": "stable",
        "fit_for_open_surgery": True,
        "fit_for_mis": True,
        "fit_for_sbrt": True,
        "fit_for_radiotherapy": True,
    },
}
FLAGS = {
    "radiosensitive",
    "fit_for_open_surgery",
    "fit_for_mis",
    "fit_for_sbrt",
    "fit_for_radiotherapy",
}
# Values no argument of that name accepts; any other argument takes a code.
BAD_NUMBERS = {
    "kps": [-10, 5, 55, 110, 80.0, "80", True],
    "ecog": [-1, 6, 1.0, "1", True],
    "extraspinal_bone_mets": [-1, 1.5, "2", True, False],
    "vertebral_mets": [0, -1, 1.5, "2", True],
}
BAD_FLAGS = ["yes", 1, 0, "True"]
BAD_CODES = ["half", "", 2, True, ["lytic"]]
ARGUMENTS = [(function, name) for function, valid in VALID.items() for name in valid]


def bad_values(name: str) -> list:
    return BAD_NUMBERS.get(name) or (BAD_FLAGS if name in FLAGS else BAD_CODES)


def label(case) -> str:
    function, name = case
    return f"{function.__name__}.{name}"


def test_every_argument_of_every_function_is_covered():
    for function in VALID:
        parameters = inspect.signature(function).parameters
        assert set(parameters) == set(VALID[function]), function.__name__
        # The contract: keyword arguments only.
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())


@pytest.mark.parametrize("case", ARGUMENTS, ids=label)
def test_missing_value_is_refused_naming_the_field(case):
    function, name = case
    with pytest.raises(ValueError, match=rf"^{name}: missing$"):
        function(**{**VALID[function], name: None})


@pytest.mark.parametrize("case", ARGUMENTS, ids=label)
def test_unknown_value_is_refused_naming_the_field(case):
    function, name = case
    for value in bad_values(name):
        with pytest.raises(ValueError, match=rf"^{name}: ") as raised:
            function(**{**VALID[function], name: value})
        assert repr(value) in str(raised.value)
        assert raised.value.field == name


def test_vertebral_mets_must_be_at_least_one():
    with pytest.raises(ValueError, match=r"^vertebral_mets: 0 is not a whole number of at least 1"):
        scores.tokuhashi(**{**TOKUHASHI_8, "vertebral_mets": 0})


def test_message_lists_the_codes_in_contract_order():
    with pytest.raises(ValueError) as raised:
        scores.sins(**{**SINS_ZERO, "collapse": "half"})
    assert str(raised.value) == (
        "collapse: 'half' is not one of over_50, under_50, involved_no_collapse, none"
    )


def test_positional_arguments_are_refused():
    with pytest.raises(TypeError):
        scores.sins_location("T7")  # type: ignore[misc]
    with pytest.raises(TypeError):
        scores.ecog_from_kps(80)  # type: ignore[misc]
