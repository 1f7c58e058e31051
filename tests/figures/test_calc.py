"""The board's figures from plain rows (app.figures.calc): a worked example by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from app.figures.calc import ItemRow, MeetingRow, Spread, board_figures

QUORUM = ("medical_oncology", "radiation_oncology", "interventional_radiology", "spine_surgery")
CODES = (*QUORUM, "physiotherapy")


def worked_example():
    first = MeetingRow(
        meeting_id=1,
        title="Week 1",
        starts_at=datetime(2026, 3, 3, 16, tzinfo=UTC),
        required=QUORUM,
        present=frozenset(CODES),
        items=(
            ItemRow("discussed", 10, 12.0, signed=True, concordant=True),  # over planned
            ItemRow("discussed", 10, 8.0, signed=True, concordant=False),
            ItemRow("deferred", 10, 5.0),
            ItemRow("not_reached", 10, None),
        ),
    )
    second = MeetingRow(
        meeting_id=2,
        title="Week 2",
        starts_at=datetime(2026, 3, 10, 16, tzinfo=UTC),
        required=QUORUM,
        present=frozenset({"medical_oncology", "radiation_oncology", "spine_surgery"}),
        items=(
            ItemRow("discussed", 15, 20.0, signed=True, concordant=True),  # over planned
            ItemRow("discussed", 10, 10.0),  # exactly on time; closed unsigned
        ),
    )
    return board_figures([first, second], CODES)


def test_cases_per_meeting_and_their_outcomes():
    figures = worked_example()
    assert figures.cases_per_meeting == Spread(count=2, median=3, mean=3, largest=4)
    assert (figures.decided, figures.deferred, figures.not_reached) == (3, 1, 1)
    first, second = figures.meetings
    assert (first.cases, first.decided, first.deferred, first.not_reached) == (4, 2, 1, 1)
    assert (second.cases, second.decided, second.deferred, second.not_reached) == (2, 1, 0, 0)


def test_time_per_case_counts_only_cases_brought_up():
    figures = worked_example()
    # 12, 8, 5, 20, 10 minutes: the case not reached has no time.
    assert figures.minutes_per_case == Spread(count=5, median=10, mean=11, largest=20)
    assert (figures.over_planned.part, figures.over_planned.whole) == (2, 5)
    assert figures.over_planned.percent == 40
    first, second = figures.meetings
    assert first.minutes.median == 8 and first.over_planned == 1
    assert second.minutes.median == 15 and second.over_planned == 1


def test_concordance_is_of_the_signed_plans():
    figures = worked_example()
    assert (figures.concordant.part, figures.concordant.whole) == (2, 3)
    assert round(figures.concordant.percent, 1) == 66.7


def test_quorum_and_attendance_by_specialty():
    figures = worked_example()
    assert [meeting.quorate for meeting in figures.meetings] == [True, False]
    assert (figures.quorate.part, figures.quorate.whole) == (1, 2)
    present = {code: share.part for code, share in figures.attendance.items()}
    assert present == {
        "medical_oncology": 2,
        "radiation_oncology": 2,
        "interventional_radiology": 1,
        "spine_surgery": 2,
        "physiotherapy": 1,
    }
    assert list(figures.attendance) == list(CODES)  # in the order asked


def test_no_meetings_give_no_numbers_rather_than_zeros():
    figures = board_figures([], CODES)
    assert figures.meetings == [] and figures.cases_per_meeting == Spread(0, None, None, None)
    assert figures.concordant.percent is None and figures.quorate.percent is None
    assert figures.minutes_per_case.median is None
