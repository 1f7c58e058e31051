"""Who enters which presentation input, and which values each input accepts."""

from datetime import date, timedelta

import pytest

from app.cases.models import Lesion, Presentation
from app.clinical import inputs
from app.clinical.vocabulary import SPECIALTIES

TODAY = date(2025, 6, 1)
# Columns of a presentation that are bookkeeping, not findings.
NOT_INPUTS = {"id", "case_id", "author_id", "specialty", "created_at", "summary"}


def test_every_model_input_has_an_owner():
    model_inputs = {c.name for c in Presentation.__table__.columns} - NOT_INPUTS
    assert model_inputs == set(inputs.PRESENTATION_FIELDS)
    for name in inputs.PRESENTATION_FIELDS:
        assert inputs.owners(name), name


def test_every_lesion_input_has_an_owner():
    lesion_inputs = {c.name for c in Lesion.__table__.columns} - {
        "id",
        "presentation_id",
        "position",
    }
    assert lesion_inputs == set(inputs.LESION_FIELDS)
    for name in inputs.LESION_FIELDS:
        assert inputs.owners(name) == ("interventional_radiology", "spine_surgery")


def test_every_owner_is_a_specialty_code():
    assert set(inputs.FIELDS_BY_SPECIALTY) <= set(SPECIALTIES)
    for name in (*inputs.PRESENTATION_FIELDS, *inputs.LESION_FIELDS, "lesions"):
        assert set(inputs.owners(name)) <= set(SPECIALTIES)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kps", ("medical_oncology",)),
        ("ecog", ("medical_oncology",)),
        ("vertebral_mets", ("medical_oncology", "interventional_radiology")),
        ("albumin_g_dl", ("medical_oncology",)),
        ("frankel", ("spine_surgery",)),
        ("asia", ("spine_surgery",)),
        ("previous_spine_surgery", ("spine_surgery",)),
        ("prior_rt_dose_gy", ("radiation_oncology",)),
        ("prior_rt_levels", ("radiation_oncology",)),
        ("mobility", ("physiotherapy",)),
        ("lesions", ("interventional_radiology", "spine_surgery")),
    ],
)
def test_owners_follow_the_design(name, expected):
    assert inputs.owners(name) == expected


def test_every_input_has_a_label():
    for name in (*inputs.PRESENTATION_FIELDS, *inputs.LESION_FIELDS, "lesions"):
        assert inputs.LABELS[name]


@pytest.mark.parametrize("kps", [0, 10, 50, 100])
def test_kps_in_steps_of_ten_is_accepted(kps):
    inputs.check("kps", kps, today=TODAY)


@pytest.mark.parametrize("kps", [-10, 5, 75, 110, 70.0, True])
def test_kps_off_the_scale_is_refused_with_its_message(kps):
    with pytest.raises(inputs.InputError) as refused:
        inputs.check("kps", kps, today=TODAY)
    assert refused.value.message == "KPS is given in steps of 10, from 0 to 100."
    assert str(refused.value).startswith("kps: ")


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("ecog", [0, 5], [-1, 6]),
        ("extraspinal_bone_mets", [0, 12], [-1]),
        ("vertebral_mets", [1, 7], [0, -2]),
        ("albumin_g_dl", [0.5, 3.4, 7.0], [0.4, 7.1]),
        ("prior_rt_dose_gy", [0.5, 8, 100], [0, -1, 100.5]),
        ("prior_rt_fractions", [1, 50], [0, 51]),
        ("collapse_percent", [0, 50, 100], [-1, 101]),
        ("prior_rt_date", [TODAY, TODAY - timedelta(days=400)], [TODAY + timedelta(days=1)]),
        ("prior_rt_levels", [["T4", "coccyx"], []], [["T13"]]),
        ("frankel", ["A", "E"], ["F", "a"]),
        ("mobility", ["independent"], ["running"]),
        ("escc_grade", ["1c", "3"], ["4"]),
    ],
)
def test_bounds(name, good, bad):
    for value in good:
        inputs.check(name, value, today=TODAY)
    for value in bad:
        with pytest.raises(inputs.InputError):
            inputs.check(name, value, today=TODAY)


def test_missing_is_never_an_error_and_never_zero():
    for name in (*inputs.PRESENTATION_FIELDS, *inputs.LESION_FIELDS):
        inputs.check(name, None, today=TODAY)
    assert inputs.read("kps", "  ", today=TODAY) is None


def test_read_turns_typed_text_into_stored_values():
    assert inputs.read("kps", " 70 ", today=TODAY) == 70
    assert inputs.read("albumin_g_dl", "3,4", today=TODAY) == pytest.approx(3.4)
    assert inputs.read("prior_rt_dose_gy", "8", today=TODAY) == 8.0
    with pytest.raises(inputs.InputError, match="steps of 10"):
        inputs.read("kps", "seventy", today=TODAY)
    with pytest.raises(inputs.InputError, match="whole number"):
        inputs.read("ecog", "1.5", today=TODAY)


def test_a_lesion_needs_its_level():
    assert inputs.lesion_problems({"pain": "mechanical"}, today=TODAY) == {
        "level": inputs.NEED_LEVEL
    }
    assert inputs.lesion_problems({"level": "T4", "pain": "mechanical"}, today=TODAY) == {}


def test_a_blank_row_is_blank_but_zero_percent_is_a_value():
    assert inputs.lesion_is_blank({"level": None, "cauda_equina": False, "pain": ""})
    assert not inputs.lesion_is_blank({"collapse_percent": 0})


def test_a_measured_collapse_needs_its_category():
    problems = inputs.lesion_problems({"level": "L1", "collapse_percent": 50}, today=TODAY)
    assert problems == {"collapse": inputs.NEED_COLLAPSE_CATEGORY}
    for category in ("over_50", "under_50"):
        ok = {"level": "L1", "collapse_percent": 50, "collapse": category}
        assert inputs.lesion_problems(ok, today=TODAY) == {}


def test_a_percentage_contradicting_the_category_is_refused():
    wrong = {"level": "L1", "collapse_percent": 70, "collapse": "under_50"}
    assert "over 50%" in inputs.lesion_problems(wrong, today=TODAY)["collapse"]
    wrong = {"level": "L1", "collapse_percent": 20, "collapse": "over_50"}
    assert "under 50%" in inputs.lesion_problems(wrong, today=TODAY)["collapse"]


def test_only_one_index_lesion():
    assert inputs.index_problem([{"is_index": True}, {"is_index": False}]) is None
    assert inputs.index_problem([{"is_index": True}, {"is_index": True}]) == inputs.ONE_INDEX


def test_given_inputs_shows_labels_and_units_in_page_order():
    shown = inputs.given_inputs(
        {"mobility": "with_aid", "kps": 0, "albumin_g_dl": 3.5, "ecog": None, "frankel": "D"}
    )
    assert shown == [
        ("Karnofsky performance status (KPS)", "0"),
        ("Serum albumin (g/dL)", "3.5 g/dL"),
        ("Frankel grade", "D: motor useful"),
        ("Mobility", "Walks with an aid"),
    ]
