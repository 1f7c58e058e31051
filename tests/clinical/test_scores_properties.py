"""Properties of the scores and the NOMS helper over their whole input space, and their purity."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from app.clinical import noms, scores
from app.clinical.vocabulary import (
    FRANKEL_GRADES,
    KPS_VALUES,
    PRIMARY_SITES,
    TOKUHASHI_VISCERAL,
    TREATMENT_OPTIONS,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def band_of(total: int, categories) -> str:
    return next(code for low, high, code, _ in categories if low <= total <= high)


def check_score(result: scores.Score, low: int, high: int, categories) -> None:
    assert low <= result.total <= high
    assert result.total == sum(result.points.values())
    assert result.category == band_of(result.total, categories)
    assert result.category_label == next(t for _, _, c, t in categories if c == result.category)


# --- SINS -----------------------------------------------------------------------------------

sins_inputs = st.fixed_dictionaries(
    {name: st.sampled_from(list(table)) for name, table in scores.SINS_POINTS.items()}
)


@given(sins_inputs)
def test_sins_total_band_and_points(inputs):
    result = scores.sins(**inputs)
    check_score(result, 0, 18, scores.SINS_CATEGORIES)
    assert result.points == {name: scores.SINS_POINTS[name][code] for name, code in inputs.items()}
    assert result.surgical_consult_recommended is (result.category != "stable")


@given(sins_inputs, st.data())
def test_sins_is_monotonic_in_each_component(inputs, data):
    name = data.draw(st.sampled_from(list(inputs)))
    other = data.draw(st.sampled_from(list(scores.SINS_POINTS[name])))
    before = scores.sins(**inputs)
    after = scores.sins(**{**inputs, name: other})
    # Only that component moves, and the total moves with it.
    assert after.total - before.total == after.points[name] - before.points[name]
    assert {k: v for k, v in after.points.items() if k != name} == {
        k: v for k, v in before.points.items() if k != name
    }


# --- Tokuhashi ------------------------------------------------------------------------------

tokuhashi_inputs = st.fixed_dictionaries(
    {
        "kps": st.sampled_from([kps for kps in KPS_VALUES if kps > 0]),
        "extraspinal_bone_mets": st.integers(min_value=0, max_value=60),
        "vertebral_mets": st.integers(min_value=1, max_value=33),
        "visceral": st.sampled_from(list(TOKUHASHI_VISCERAL)),
        "primary": st.sampled_from(list(PRIMARY_SITES)),
        "frankel": st.sampled_from(list(FRANKEL_GRADES)),
    }
)


@given(tokuhashi_inputs)
def test_tokuhashi_total_band_and_points(inputs):
    result = scores.tokuhashi(**inputs)
    check_score(result, 0, 15, scores.TOKUHASHI_CATEGORIES)
    assert set(result.points) == set(inputs)
    assert all(0 <= points <= 5 for points in result.points.values())


@given(tokuhashi_inputs, tokuhashi_inputs, st.data())
def test_tokuhashi_is_monotonic_in_each_component(inputs, others, data):
    name = data.draw(st.sampled_from(list(inputs)))
    before = scores.tokuhashi(**inputs)
    after = scores.tokuhashi(**{**inputs, name: others[name]})
    assert after.total - before.total == after.points[name] - before.points[name]


@given(tokuhashi_inputs, tokuhashi_inputs)
def test_tokuhashi_points_follow_the_clinical_order(inputs, others):
    # Better condition, fewer metastases and less palsy never score fewer points.
    a, b = scores.tokuhashi(**inputs), scores.tokuhashi(**others)
    pairs = (
        ("kps", inputs["kps"] <= others["kps"]),
        (
            "extraspinal_bone_mets",
            inputs["extraspinal_bone_mets"] >= others["extraspinal_bone_mets"],
        ),
        ("vertebral_mets", inputs["vertebral_mets"] >= others["vertebral_mets"]),
        ("frankel", inputs["frankel"] <= others["frankel"]),
    )
    for name, b_is_better in pairs:
        if b_is_better:
            assert a.points[name] <= b.points[name], name


# --- Tomita ---------------------------------------------------------------------------------

tomita_inputs = st.fixed_dictionaries(
    {name: st.sampled_from(list(table)) for name, table in scores.TOMITA_POINTS.items()}
)


@given(tomita_inputs)
def test_tomita_total_band_and_points(inputs):
    result = scores.tomita(**inputs)
    check_score(result, 2, 10, scores.TOMITA_CATEGORIES)


@given(tomita_inputs, st.data())
def test_tomita_is_monotonic_in_each_component(inputs, data):
    name = data.draw(st.sampled_from(list(inputs)))
    other = data.draw(st.sampled_from(list(scores.TOMITA_POINTS[name])))
    before = scores.tomita(**inputs)
    after = scores.tomita(**{**inputs, name: other})
    assert after.total - before.total == after.points[name] - before.points[name]


@given(st.sampled_from(KPS_VALUES))
def test_ecog_band_round_trip(kps):
    assert kps in scores.tokuhashi_kps_band_for_ecog(ecog=scores.ecog_from_kps(kps=kps))


# --- NOMS -----------------------------------------------------------------------------------

noms_inputs = st.fixed_dictionaries(
    {
        "escc_group": st.sampled_from(noms.ESCC_GROUPS),
        "radiosensitive": st.booleans(),
        "mechanical": st.sampled_from(noms.MECHANICAL),
        "fit_for_open_surgery": st.booleans(),
        "fit_for_mis": st.booleans(),
        "fit_for_sbrt": st.booleans(),
        "fit_for_radiotherapy": st.booleans(),
    }
)
STABILISATION = {"open_stabilization", "mis_stabilization"}
RADIATION = {"cebrt", "sbrt"}


@given(noms_inputs)
def test_noms_invariants(inputs):
    result = noms.suggest(**inputs)
    options = result.options
    step_1 = not (
        inputs["fit_for_radiotherapy"] or inputs["fit_for_open_surgery"] or inputs["fit_for_mis"]
    )
    assert options
    assert len(set(options)) == len(options)
    assert set(options) <= set(TREATMENT_OPTIONS)
    # Best supportive care alone: step 1, or step 2 with nothing else to give (not fit for RT,
    # low grade, stable), which the contract's step 2 also reaches.
    step_2_nothing = (
        not inputs["fit_for_radiotherapy"]
        and inputs["escc_group"] == "low"
        and inputs["mechanical"] == "stable"
    )
    assert (options == ("best_supportive_care",)) is (step_1 or step_2_nothing)
    assert not ({"separation_surgery"} & set(options) and STABILISATION & set(options))
    if "sbrt" in options:
        assert not inputs["radiosensitive"] and inputs["fit_for_sbrt"]
    if not inputs["fit_for_radiotherapy"]:
        assert not RADIATION & set(options)
    assert ("corticosteroids" in options) is (inputs["escc_group"] == "high" and not step_1)
    # At most one radiation and one surgical or percutaneous step; corticosteroids come first.
    assert len(RADIATION & set(options)) <= 1
    surgical = {"separation_surgery", *STABILISATION, "bracing", "cement_augmentation"}
    assert len(surgical & set(options)) <= 1
    assert ("best_supportive_care" in options) is not bool((surgical | RADIATION) & set(options))
    if "corticosteroids" in options:
        assert options[0] == "corticosteroids"


@given(noms_inputs)
def test_noms_rules(inputs):
    result = noms.suggest(**inputs)
    assert list(result.rules_by_option) == list(result.options)
    noms_rules = {f"R{n}" for n in range(9, 16)}
    cited = {rule for rules in result.rules_by_option.values() for rule in rules}
    assert set(result.rules) == (cited & noms_rules) | ({"R15"} if result.dropped else set())
    assert list(result.rules) == sorted(result.rules, key=lambda rule: int(rule[1:]))
    # The contract's `rules` are R9–R15; R17 (MSCC dexamethasone) is cited per option only.
    assert set(result.rules) <= noms_rules
    assert cited <= noms_rules | {"R17"}
    assert ("R15" in result.rules) is bool(result.dropped)


def test_noms_step_1_holds_whatever_else_is_given():
    for escc_group in noms.ESCC_GROUPS:
        for mechanical in noms.MECHANICAL:
            result = noms.suggest(
                escc_group=escc_group,
                radiosensitive=False,
                mechanical=mechanical,
                fit_for_open_surgery=False,
                fit_for_mis=False,
                fit_for_sbrt=True,
                fit_for_radiotherapy=False,
            )
            assert result.options == ("best_supportive_care",)
            assert result.rules == ("R15",)


# --- purity ---------------------------------------------------------------------------------


def test_scores_and_noms_import_neither_flask_nor_sqlalchemy():
    # app/__init__.py imports Flask, so the parent package is stood in for by a bare module.
    code = (
        "import sys, types\n"
        f"app = types.ModuleType('app'); app.__path__ = [{str(REPO_ROOT / 'app')!r}]\n"
        "sys.modules['app'] = app\n"
        "import app.clinical.scores, app.clinical.noms\n"
        "loaded = [k for k in sys.modules\n"
        "          if k.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy')]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
