"""The urgency pathway's targets at their boundaries (REFERENCE R17–R19, §9.5)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.clinical.scores import ClinicalInputError
from app.clinical.urgency import duration_text, pathway

SUSPECTED = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def run(**given):
    values = {
        "suspected_mscc": True,
        "has_neurological_signs": True,
        "symptom_onset_at": None,
        "mri_requested_at": None,
        "mri_done_at": None,
        "dexamethasone_at": None,
        "board_decision_at": None,
        "treatment_started_at": None,
        "now": SUSPECTED + 100 * HOUR,
    }
    values.update(given)
    return pathway(**values)


# MRI within 24 h with neurological signs (R17 [S]) ------------------------------------------


def test_mri_exactly_24_hours_after_the_request_is_met():
    result = run(mri_requested_at=SUSPECTED, mri_done_at=SUSPECTED + 24 * HOUR)
    assert result.mri.status == "met"
    assert result.mri.status_text == "Met"
    assert result.mri.limit == 24 * HOUR
    assert (result.mri.rule, result.mri.tag) == ("R17", "S")
    assert result.mri.due_at == SUSPECTED + 24 * HOUR


def test_mri_24_hours_and_a_minute_after_the_request_is_missed_by_a_minute():
    result = run(mri_requested_at=SUSPECTED, mri_done_at=SUSPECTED + 24 * HOUR + MINUTE)
    assert result.mri.status == "missed"
    assert result.mri.missed_by == MINUTE
    assert result.mri.status_text == "Missed (missed by 1 min)"


def test_mri_not_yet_done_is_pending_with_the_time_left():
    now = SUSPECTED + 18 * HOUR + 40 * MINUTE
    result = run(mri_requested_at=SUSPECTED, now=now)
    assert result.mri.status == "pending"
    assert result.mri.time_left == 5 * HOUR + 20 * MINUTE
    assert result.mri.status_text == "Pending (5 h 20 min left)"


def test_mri_not_done_at_exactly_24_hours_is_still_pending():
    result = run(mri_requested_at=SUSPECTED, now=SUSPECTED + 24 * HOUR)
    assert result.mri.status == "pending"
    assert result.mri.detail == "0 min left"


def test_mri_not_done_after_27_hours_is_missed_by_3_hours():
    result = run(mri_requested_at=SUSPECTED, now=SUSPECTED + 27 * HOUR)
    assert result.mri.status == "missed"
    assert result.mri.missed_by == 3 * HOUR
    assert result.mri.status_text == "Missed (missed by 3 h, not done yet)"


def test_mri_clock_starts_at_symptom_onset_when_no_request_is_recorded():
    onset = SUSPECTED - 2 * HOUR
    result = run(symptom_onset_at=onset, mri_done_at=onset + 25 * HOUR)
    assert result.clock_field == "symptom_onset_at"
    assert result.mri.clock_field == "symptom_onset_at"
    assert result.mri.starts_at == onset
    assert result.mri.status == "missed"
    assert result.mri.missed_by == HOUR


def test_mri_clock_prefers_the_request_over_symptom_onset():
    onset = SUSPECTED - 30 * HOUR
    result = run(symptom_onset_at=onset, mri_requested_at=SUSPECTED, mri_done_at=SUSPECTED + HOUR)
    assert result.clock_field == "mri_requested_at"
    assert result.mri.status == "met"
    assert any("the tool's own choice" in note for note in result.notes)


def test_mri_without_any_clock_start_is_not_started():
    result = run(mri_done_at=SUSPECTED)
    assert result.mri.status == "not_started"
    assert result.mri.status_text == "Not started"
    assert result.mri.due_at is None


# MRI within 1 week without neurological signs (R18 [S]) --------------------------------------


def test_without_neurological_signs_the_mri_target_is_one_week():
    result = run(
        suspected_mscc=False,
        has_neurological_signs=False,
        mri_requested_at=SUSPECTED,
        mri_done_at=SUSPECTED + timedelta(days=7),
    )
    assert result.mri.limit == timedelta(weeks=1)
    assert result.mri.label == "MRI of the whole spine within 1 week"
    assert (result.mri.rule, result.mri.tag) == ("R18", "S")
    assert result.mri.status == "met"


def test_without_neurological_signs_a_week_and_a_minute_is_missed():
    result = run(
        suspected_mscc=False,
        has_neurological_signs=False,
        mri_requested_at=SUSPECTED,
        mri_done_at=SUSPECTED + timedelta(days=7) + MINUTE,
    )
    assert result.mri.status == "missed"
    assert result.mri.detail == "missed by 1 min"


def test_without_neurological_signs_48_hours_is_pending_not_missed():
    result = run(
        suspected_mscc=False,
        has_neurological_signs=False,
        mri_requested_at=SUSPECTED,
        now=SUSPECTED + 48 * HOUR,
    )
    assert result.mri.status == "pending"
    assert result.mri.detail == "5 d left"


# Definitive treatment within 24 h of confirmed MSCC (R19 [R]) ---------------------------------


def test_treatment_exactly_24_hours_after_the_mri_is_met():
    done = SUSPECTED + 4 * HOUR
    result = run(
        mri_requested_at=SUSPECTED, mri_done_at=done, treatment_started_at=done + 24 * HOUR
    )
    assert result.treatment.status == "met"
    assert result.treatment.clock_field == "mri_done_at"
    assert (result.treatment.rule, result.treatment.tag) == ("R19", "R")


def test_treatment_24_hours_and_a_minute_after_the_mri_is_missed():
    done = SUSPECTED + 4 * HOUR
    result = run(
        mri_requested_at=SUSPECTED, mri_done_at=done, treatment_started_at=done + 24 * HOUR + MINUTE
    )
    assert result.treatment.status == "missed"
    assert result.treatment.detail == "missed by 1 min"


def test_treatment_clock_waits_for_the_mri():
    result = run(mri_requested_at=SUSPECTED, now=SUSPECTED + HOUR)
    assert result.treatment.status == "not_started"
    assert result.targets == (result.mri, result.treatment)


def test_treatment_pending_after_the_mri():
    done = SUSPECTED + 4 * HOUR
    result = run(mri_requested_at=SUSPECTED, mri_done_at=done, now=done + 21 * HOUR)
    assert result.treatment.status_text == "Pending (3 h left)"


def test_no_treatment_target_without_suspected_mscc_or_neurological_signs():
    result = run(suspected_mscc=False, has_neurological_signs=False, mri_requested_at=SUSPECTED)
    assert result.treatment is None
    assert result.targets == (result.mri,)
    assert result.dexamethasone is None


def test_neurological_signs_alone_make_mscc_suspected():
    # R17: a person with cancer and neurological symptoms or signs has suspected MSCC.
    result = run(suspected_mscc=False, has_neurological_signs=True)
    assert result.suspected_mscc
    assert result.treatment is not None


# Dexamethasone 16 mg with neurological signs (R17 [S]) -----------------------------------------


def test_dexamethasone_recorded_with_the_time_from_suspicion():
    result = run(mri_requested_at=SUSPECTED, dexamethasone_at=SUSPECTED + 90 * MINUTE)
    assert result.dexamethasone.recorded
    assert result.dexamethasone.status_label == "Recorded"
    assert result.dexamethasone.detail == "1 h 30 min after suspicion"
    assert (result.dexamethasone.rule, result.dexamethasone.tag) == ("R17", "S")


def test_dexamethasone_given_before_the_mri_request_says_so():
    onset = SUSPECTED - 5 * HOUR
    result = run(
        symptom_onset_at=onset, mri_requested_at=SUSPECTED, dexamethasone_at=SUSPECTED - HOUR
    )
    assert result.dexamethasone.detail == "1 h before the clock start"


def test_dexamethasone_not_recorded_is_shown_when_signs_are_present():
    result = run(mri_requested_at=SUSPECTED)
    assert result.dexamethasone.expected
    assert not result.dexamethasone.recorded
    assert result.dexamethasone.status_label == "Not recorded"


def test_dexamethasone_without_signs_is_shown_only_when_given():
    given = run(
        suspected_mscc=False,
        has_neurological_signs=False,
        mri_requested_at=SUSPECTED,
        dexamethasone_at=SUSPECTED,
    )
    assert given.dexamethasone.recorded and not given.dexamethasone.expected
    assert run(suspected_mscc=False, has_neurological_signs=False).dexamethasone is None


# Order and awareness ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"mri_requested_at": SUSPECTED, "mri_done_at": SUSPECTED - MINUTE}, "mri_done_at"),
        ({"symptom_onset_at": SUSPECTED, "mri_requested_at": SUSPECTED - HOUR}, "mri_requested_at"),
        ({"symptom_onset_at": SUSPECTED, "dexamethasone_at": SUSPECTED - HOUR}, "dexamethasone_at"),
        (
            {"symptom_onset_at": SUSPECTED, "board_decision_at": SUSPECTED - HOUR},
            "board_decision_at",
        ),
        (
            {"mri_done_at": SUSPECTED, "treatment_started_at": SUSPECTED - MINUTE},
            "treatment_started_at",
        ),
        (
            {"board_decision_at": SUSPECTED, "treatment_started_at": SUSPECTED - MINUTE},
            "treatment_started_at",
        ),
    ],
)
def test_a_time_out_of_order_is_refused_naming_the_field(given, field):
    with pytest.raises(ValueError, match=rf"^{field}: cannot be before") as refused:
        run(**given)
    assert isinstance(refused.value, ClinicalInputError)
    assert refused.value.field == field


def test_equal_times_are_in_order():
    result = run(
        symptom_onset_at=SUSPECTED,
        mri_requested_at=SUSPECTED,
        mri_done_at=SUSPECTED,
        dexamethasone_at=SUSPECTED,
        board_decision_at=SUSPECTED,
        treatment_started_at=SUSPECTED,
    )
    assert result.mri.status == result.treatment.status == "met"


def test_dexamethasone_may_come_before_the_mri():
    result = run(
        mri_requested_at=SUSPECTED,
        dexamethasone_at=SUSPECTED + MINUTE,
        mri_done_at=SUSPECTED + HOUR,
        board_decision_at=SUSPECTED + 2 * HOUR,
        treatment_started_at=SUSPECTED + 3 * HOUR,
    )
    assert [step.at for step in result.steps] == [
        None,
        SUSPECTED,
        SUSPECTED + HOUR,
        SUSPECTED + MINUTE,
        SUSPECTED + 2 * HOUR,
        SUSPECTED + 3 * HOUR,
    ]


def test_a_naive_time_is_refused_naming_the_field():
    with pytest.raises(ValueError, match=r"^mri_done_at: must be an aware"):
        run(mri_done_at=datetime(2025, 3, 3, 8, 0))  # noqa: DTZ001


@pytest.mark.parametrize("now", [None, datetime(2025, 3, 3, 8, 0)])  # noqa: DTZ001
def test_now_is_required_and_aware(now):
    with pytest.raises(ValueError, match=r"^now: "):
        run(now=now)


def test_other_zones_compare_as_instants():
    paris = timezone(timedelta(hours=1))
    result = run(mri_requested_at=SUSPECTED, mri_done_at=datetime(2025, 3, 4, 9, 0, tzinfo=paris))
    assert result.mri.status == "met"  # 08:00 UTC next day: exactly 24 h


# Durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "round_up", "text"),
    [
        (timedelta(0), False, "0 min"),
        (timedelta(seconds=30), False, "less than 1 min"),
        (timedelta(seconds=30), True, "1 min"),
        (timedelta(hours=3), True, "3 h"),
        (timedelta(hours=5, minutes=20, seconds=59), False, "5 h 20 min"),
        (timedelta(hours=5, minutes=20, seconds=1), True, "5 h 21 min"),
        (timedelta(days=6, hours=2), False, "6 d 2 h"),
    ],
)
def test_duration_text(delta, round_up, text):
    assert duration_text(delta, round_up=round_up) == text


def test_a_suspected_mscc_flag_alone_sets_the_24_hour_target():
    # R17: suspected MSCC is defined by neurological symptoms or signs; the flag stands for them.
    result = run(suspected_mscc=True, has_neurological_signs=False, mri_requested_at=SUSPECTED)
    assert result.mri.limit == timedelta(days=1)
    assert result.dexamethasone.expected
