"""Concordance of a plan with the documented indications and the NOMS suggestion (pure)."""

from __future__ import annotations

import dataclasses

import pytest

from app.clinical import noms
from app.clinical.concordance import NOMS_SOURCE, SUPPORTIVE_ADD_ONS, check_plan, from_json
from app.clinical.indications import CONDITIONS, Departure, PlanContext, conditions_for
from app.clinical.rules import RULES, tag_of, weakest
from app.clinical.vocabulary import CONFIDENCE_TAGS, TREATMENT_OPTIONS

ALL_FIT = {
    "fit_for_open_surgery": True,
    "fit_for_mis": True,
    "fit_for_sbrt": True,
    "fit_for_radiotherapy": True,
}


def _suggestion(**inputs) -> dict:
    suggestion = noms.suggest(**inputs)
    return {"noms_options": suggestion.options, "noms_rules": suggestion.rules_by_option}


# REFERENCE §10 Example 7: clear-cell RCC, L1, ESCC 2, SINS 8, Frankel D, KPS 80, fit.
EXAMPLE_7 = PlanContext(
    escc_grade="2",
    escc_group="high",
    compression_levels=("L1",),
    sins_total=8,
    sins_category="potentially_unstable",
    radiosensitive=False,
    mechanical="stable",
    fitness=ALL_FIT,
    tokuhashi_total=9,
    tokuhashi_category="gte_6_months",
    tomita_total=6,
    tomita_category="palliative_surgery",
    frankel="D",
    **_suggestion(
        escc_group="high",
        radiosensitive=False,
        mechanical="stable",
        fit_for_open_surgery=True,
        fit_for_mis=True,
        fit_for_sbrt=True,
    ),
)


def _context(**changes) -> PlanContext:
    return dataclasses.replace(EXAMPLE_7, **changes)


def _found(steps, context, option=None, kind=None) -> list[Departure]:
    """What the check finds, by option and kind; the NOMS comparison only for kind="noms"."""
    result = check_plan(steps, context)
    return [
        item
        for item in (*result.departures, *result.notes)
        if (option is None or item.option_code == option)
        and (kind is None or item.kind == kind)
        and (kind == "noms") == (item.source == NOMS_SOURCE)
    ]


def _messages(steps, context, **filters) -> list[str]:
    return [item.message for item in _found(steps, context, **filters)]


# --- the example plans ------------------------------------------------------------------------


def test_example_7_plan_is_concordant_with_nothing_left_unchecked():
    assert EXAMPLE_7.noms_options == ("corticosteroids", "separation_surgery", "sbrt")
    result = check_plan(["corticosteroids", "separation_surgery", "sbrt"], EXAMPLE_7)
    assert result.is_concordant
    assert result.departures == () and result.notes == ()
    assert result.as_json() == []


def test_example_7_with_embolisation_before_surgery_is_still_concordant():
    steps = ["corticosteroids", "embolization", "separation_surgery", "sbrt", "analgesia"]
    assert check_plan(steps, EXAMPLE_7).is_concordant


# --- cement augmentation ----------------------------------------------------------------------


@pytest.mark.parametrize("grade", ["2", "3"])
def test_cement_with_cord_compression_is_an_unverified_contraindication(grade):
    context = _context(escc_grade=grade, noms_options=None)
    [departure] = _found(["cement_augmentation"], context, kind="contraindication")
    assert departure.option_code == "cement_augmentation"
    assert departure.step_position == 1
    assert departure.tag == "R" and departure.tag_label == "unverified"
    assert departure.rule == "§8.1 row 7"
    assert "Catalogue row 7" in departure.source
    assert f"ESCC grade {grade}" in departure.message
    assert "commonly cited contraindication" in departure.message


@pytest.mark.parametrize("grade", ["0", "1a", "1b", "1c"])
def test_cement_without_cord_compression_is_not_flagged(grade):
    context = _context(escc_grade=grade, escc_group="low", mechanical="mechanical_pain")
    assert _found(["cement_augmentation"], context, option="cement_augmentation") == []


def test_cement_without_an_escc_grade_is_not_checked():
    context = _context(escc_grade=None, escc_group=None)
    [note] = _found(["cement_augmentation"], context, kind="not_checked", option=None)[:1]
    assert note.kind == "not_checked" and not note.needs_reason
    assert "needs the ESCC grade of the index lesion" in note.message
    assert "Cord compression from retropulsed bone" in note.message


def test_cement_for_a_grossly_unstable_spine_is_a_caution():
    context = _context(escc_grade="1a", escc_group="low", mechanical="unstable")
    [caution] = _found(["cement_augmentation"], context, kind="caution")
    assert caution.rule == "R14" and caution.tag == "C"
    assert "without gross instability" in caution.message
    missing = _context(escc_grade="1a", escc_group="low", mechanical=None)
    [note] = _found(["cement_augmentation"], missing, option="cement_augmentation")
    assert note.kind == "not_checked" and "mechanical assessment" in note.message


# --- SBRT -------------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", ["2", "3"])
def test_sbrt_alone_with_high_grade_escc_warns(grade):
    context = _context(escc_grade=grade)
    [warning] = _found(["sbrt"], context, kind="contraindication")
    assert warning.rule == "R11" and warning.tag == "C2"
    assert f"high-grade ESCC (grade {grade}) and no separation surgery" in warning.message
    assert "Catalogue row 2" in warning.source


def test_sbrt_after_separation_or_decompression_surgery_does_not_warn():
    for first in ("separation_surgery", "decompression_surgery"):
        assert _found([first, "sbrt"], _context(), option="sbrt") == []


def test_sbrt_before_the_separation_surgery_warns():
    messages = _messages(["sbrt", "separation_surgery"], _context(), option="sbrt")
    assert any("no separation surgery before it" in message for message in messages)


def test_escc_1c_counts_as_the_board_grouped_it_and_is_not_checked_until_then():
    assert _found(["sbrt"], _context(escc_grade="1c", escc_group="low"), option="sbrt") == []
    high = _found(["sbrt"], _context(escc_grade="1c", escc_group="high"), option="sbrt")
    assert [d.kind for d in high] == ["contraindication"]
    assert "(grade 1c, grouped as high grade by the board)" in high[0].message
    low = _found(["separation_surgery"], _context(escc_grade="1c", escc_group="low"))
    assert any("ESCC grade 1c, grouped as low grade by the board." in d.message for d in low)
    [note] = _found(["sbrt"], _context(escc_grade="1c", escc_group=None), option="sbrt")
    assert note.kind == "not_checked"
    assert "the board's grouping of ESCC 1c" in note.message


def test_sbrt_on_an_unstable_lesion_without_stabilisation_is_a_caution():
    context = _context(escc_grade="1a", escc_group="low", sins_total=15, sins_category="unstable")
    [caution] = _found(["sbrt"], context, kind="caution")
    assert caution.tag == "C" and "Huo 2017" in caution.source
    assert "SINS 15" in caution.message
    for stabilisation in ("open_stabilization", "mis_stabilization", "separation_surgery"):
        assert _found([stabilisation, "sbrt"], context, option="sbrt", kind="caution") == []
    assert _found(["sbrt"], _context(escc_grade="1a", sins_total=12), kind="caution") == []
    [note] = _found(["sbrt"], _context(escc_grade="1a", sins_total=None), kind="not_checked")
    assert "needs the SINS of the index lesion" in note.message


# --- fitness (R15) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "judgement"),
    [
        ("separation_surgery", "fit_for_open_surgery"),
        ("decompression_surgery", "fit_for_open_surgery"),
        ("open_stabilization", "fit_for_open_surgery"),
        ("en_bloc_resection", "fit_for_open_surgery"),
        ("mis_stabilization", "fit_for_mis"),
        ("sbrt", "fit_for_sbrt"),
        ("sbrt", "fit_for_radiotherapy"),
        ("cebrt", "fit_for_radiotherapy"),
    ],
)
def test_an_option_the_patient_is_not_fit_for_is_a_departure(option, judgement):
    context = _context(fitness={**ALL_FIT, judgement: False})
    found = [d for d in _found([option], context, option=option) if d.rule == "R15"]
    assert [d.kind for d in found] == ["contraindication"]
    assert found[0].tag == "C2"
    assert "not fit for" in found[0].message and "(R15)" in found[0].message
    assert not [d for d in _found([option], _context(), option=option) if d.rule == "R15"]


def test_without_a_fitness_assessment_fitness_is_not_checked():
    context = _context(fitness=None)
    for option in ("separation_surgery", "open_stabilization", "mis_stabilization", "cebrt"):
        notes = [d for d in _found([option], context, option=option) if d.rule == "R15"]
        assert notes and {d.kind for d in notes} == {"not_checked"}
        assert all("needs the board's fitness assessment" in d.message for d in notes)


# --- radiosensitivity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "rule"), [("separation_surgery", "R9"), ("decompression_surgery", "R16")]
)
def test_surgery_for_a_radiosensitive_histology_is_a_departure(option, rule):
    context = _context(radiosensitive=True)
    found = [
        d
        for d in _found([option], context, option=option, kind="contraindication")
        if d.rule == rule
    ]
    assert [d.kind for d in found] == ["contraindication"]
    assert "radiosensitive histology" in found[0].message
    assert "cEBRT" in found[0].message
    unknown = [
        d for d in _found([option], _context(radiosensitive=None), option=option) if d.rule == rule
    ]
    assert any(d.kind == "not_checked" and "radiosensitivity" in d.message for d in unknown)


def test_separation_surgery_for_low_grade_escc_is_a_caution():
    context = _context(escc_grade="1b", escc_group="low")
    [caution] = _found(["separation_surgery"], context, kind="caution")
    assert "documented for high-grade ESCC (2–3)" in caution.message
    assert "grade 1b" in caution.message


# --- direct decompressive surgery (Patchell, R16) ---------------------------------------------


def test_patchell_survival_and_paraplegia_need_inputs_the_case_lacks():
    context = _context(frankel="A")
    notes = _found(["decompression_surgery"], context, kind="not_checked")
    messages = " ".join(note.message for note in notes)
    assert "how long the patient has been paraplegic (Frankel A)" in messages
    assert "an estimate of expected survival" in messages
    # Frankel C–E: not paraplegic, so the 48-hour rule does not apply.
    notes = _found(["decompression_surgery"], _context(frankel="D"), kind="not_checked")
    assert not any("paraplegic" in note.message for note in notes)
    notes = _found(["decompression_surgery"], _context(frankel=None), kind="not_checked")
    assert any("needs the Frankel grade" in note.message for note in notes)


def test_paraplegia_over_48_hours_is_a_departure_when_the_input_exists():
    context = _context(frankel="A", paraplegia_over_48h=True)
    found = _found(["decompression_surgery"], context, kind="contraindication")
    assert any("more than 48 hours" in d.message for d in found)
    found = _found(["separation_surgery"], context, kind="contraindication")
    assert any("more than 48 hours" in d.message and d.tag == "C" for d in found)
    calm = _context(frankel="A", paraplegia_over_48h=False)
    assert not any("48 hours" in m for m in _messages(["decompression_surgery"], calm))


def test_patchell_needs_a_single_area_of_compression():
    contiguous = _context(compression_levels=("T12", "L1"))
    assert not any("separate sites" in m for m in _messages(["decompression_surgery"], contiguous))
    separate = _context(compression_levels=("T4", "T12", "L1"))
    [departure] = [
        d for d in _found(["decompression_surgery"], separate) if "separate sites" in d.message
    ]
    assert departure.kind == "contraindication" and "(T4, T12–L1)" in departure.message
    unknown = _context(compression_levels=None)
    assert any(
        "the ESCC grade of every lesion" in m
        for m in _messages(["decompression_surgery"], unknown, kind="not_checked")
    )


def test_patchell_without_cord_compression_is_a_caution():
    context = _context(escc_grade="1a", escc_group="low")
    [caution] = _found(["decompression_surgery"], context, kind="caution")
    assert "MRI-confirmed cord compression" in caution.message


# --- prognosis: open stabilisation and en bloc resection ---------------------------------------


@pytest.mark.parametrize("option", ["open_stabilization", "en_bloc_resection"])
def test_short_expected_survival_is_a_caution(option):
    context = _context(
        tokuhashi_total=7,
        tokuhashi_category="lt_6_months",
        tomita_total=8,
        tomita_category="supportive_care",
    )
    cautions = _found([option], context, kind="caution")
    rules = {d.rule for d in cautions}
    assert {"R22", "R23"} <= rules
    assert any("revised Tokuhashi 7 (< 6 months)" in d.message for d in cautions)
    assert any("Tomita 8 (8–10)" in d.message for d in cautions)
    missing = _context(tokuhashi_category=None, tokuhashi_total=None, tomita_category=None)
    notes = _messages([option], missing, kind="not_checked")
    assert any("needs the revised Tokuhashi score" in m for m in notes)
    assert any("needs the Tomita score" in m for m in notes)


def test_en_bloc_needs_a_favourable_score():
    unfavourable = _found(["en_bloc_resection"], EXAMPLE_7, kind="caution")
    assert [d.rule for d in unfavourable] == ["R22, R23"]
    assert "Tomita 6 and Tokuhashi 9" in unfavourable[0].message
    for change in (
        {"tomita_category": "wide_marginal_excision", "tomita_total": 3},
        {"tokuhashi_category": "gte_1_year", "tokuhashi_total": 12},
    ):
        assert _found(["en_bloc_resection"], _context(**change), kind="caution") == []
    lacking = _context(tomita_category=None, tomita_total=None)
    notes = _messages(["en_bloc_resection"], lacking, kind="not_checked")
    assert any("“Tomita 2–3" in m and "needs the Tomita score" in m for m in notes)


# --- radiopharmaceutical, embolisation --------------------------------------------------------


def test_a_radiopharmaceutical_is_not_a_treatment_for_cord_compression():
    [departure] = _found(["radiopharmaceutical"], _context(), kind="contraindication")
    assert departure.tag == "R" and departure.tag_label == "unverified"
    assert "not a treatment for cord compression" in departure.message
    with_rt = _found(["radiopharmaceutical", "cebrt"], _context(), option="radiopharmaceutical")
    assert with_rt == []
    low = _context(escc_grade="1a", escc_group="low")
    assert _found(["radiopharmaceutical"], low, option="radiopharmaceutical") == []


def test_embolisation_without_open_surgery_after_it_is_a_caution():
    [caution] = _found(["embolization", "sbrt"], _context(escc_grade="1a"), kind="caution")
    assert caution.option_code == "embolization"
    assert "no open surgery follows it" in caution.message
    after = ["separation_surgery", "embolization"]
    assert [d.kind for d in _found(after, _context(), option="embolization")] == ["caution"]
    assert [d.kind for d in _found(after, _context(), option="embolization", kind="noms")] == [
        "noms"
    ]


# --- the NOMS comparison ----------------------------------------------------------------------


def test_each_step_outside_the_suggestion_and_each_suggested_option_left_out_is_a_departure():
    found = _found(["cebrt"], EXAMPLE_7, kind="noms")
    messages = [d.message for d in found]
    assert messages[0] == (
        "cEBRT is not in the NOMS suggestion (Corticosteroids, Separation surgery, SBRT)."
    )
    assert found[0].step_position == 1
    assert "NOMS suggests Corticosteroids, not in the plan." in messages
    assert "NOMS suggests Separation surgery, not in the plan." in messages
    assert "NOMS suggests SBRT, not in the plan." in messages
    by_code = {d.option_code: d for d in found if d.step_position is None}
    # Each carries the rules that produced the suggestion, and the weakest of their tags.
    assert by_code["corticosteroids"].rule == "R17" and by_code["corticosteroids"].tag == "S"
    assert by_code["separation_surgery"].rule == "R11" and by_code["sbrt"].tag == "C2"


def test_supportive_add_ons_are_not_noms_departures():
    steps = ["corticosteroids", "separation_surgery", "sbrt", *sorted(SUPPORTIVE_ADD_ONS)]
    assert check_plan(steps, EXAMPLE_7).is_concordant


def test_without_a_noms_suggestion_the_plan_gets_a_note_not_a_departure():
    context = _context(noms_options=None, noms_rules={}, noms_missing=("fitness", "mechanical"))
    result = check_plan(["corticosteroids", "separation_surgery", "sbrt"], context)
    assert result.is_concordant
    assert [note.message for note in result.notes] == [
        "NOMS not assessed: needs fitness, mechanical."
    ]


def test_fallback_branch_cebrt_for_an_unfit_patient_carries_the_unverified_tag():
    context = _context(
        fitness={**ALL_FIT, "fit_for_open_surgery": False},
        **_suggestion(
            escc_group="high",
            radiosensitive=False,
            mechanical="stable",
            fit_for_open_surgery=False,
            fit_for_mis=True,
            fit_for_sbrt=True,
        ),
    )
    assert context.noms_options == ("corticosteroids", "cebrt")
    [missing] = _found(["corticosteroids"], context, option="cebrt", kind="noms")
    assert missing.rule == "R12" and missing.tag == "R"


# --- storage, tags and the catalogue ----------------------------------------------------------


def test_the_stored_form_reads_back_the_same():
    result = check_plan(["cement_augmentation", "sbrt"], _context(fitness=None))
    again = from_json(result.as_json())
    assert again == result
    assert from_json(None).is_concordant and from_json([]).notes == ()


def test_every_condition_names_a_known_option_kind_tag_and_source():
    for condition in CONDITIONS:
        assert condition.option in TREATMENT_OPTIONS
        assert condition.kind in ("contraindication", "caution")
        assert condition.tag in CONFIDENCE_TAGS
        assert condition.source and condition.statement and condition.rule
        for rule in condition.rule.split(", "):
            assert rule.startswith("§") or rule in RULES
    assert conditions_for("analgesia") == ()
    kinds = [c.kind for c in conditions_for("sbrt")]
    assert kinds == sorted(kinds, key=["contraindication", "caution"].index)


def test_rule_tags_follow_the_reference():
    assert len(RULES) == 26
    assert [tag_of(n) for n in ("R9", "R12", "R14", "R17", "R21", "R26")] == [
        "C2",
        "R",
        "C",
        "S",
        "C",
        "I",
    ]
    assert RULES["R12"].tag_label == "unverified"
    assert weakest(["C2", "C", "S"]) == "S"
    assert weakest(["C2", "I"]) == "I"
    with pytest.raises(ValueError, match="tags"):
        weakest([])
