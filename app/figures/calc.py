"""The board's figures over a period, from plain rows: pure Python, no Flask, no database.

What counts, and why:
  * a meeting counts once it is closed (its outcomes are final);
  * a case is *decided* when its item has a signed plan, *deferred* or *not reached* by the
    item's status; a case deferred twice counts at each meeting that handled it;
  * time per case is from bringing the case up to moving on (items never brought up have none),
    compared with the minutes the agenda planned; a case brought up again in the same meeting
    counts from its last bringing up (the item keeps one start time);
  * concordance is judged on the plan as first signed at the meeting (a later amendment is a
    new decision, made outside the meeting): concordant when the check found no departure from
    the options' documented indications and the NOMS suggestion;
  * a specialty attended a meeting when at least one member or guest of it was present.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ItemRow:
    status: str
    planned_minutes: int
    minutes: float | None  # from brought up to moved on; None if never brought up
    signed: bool = False
    concordant: bool | None = None  # of the plan as first signed; None without a signed plan


@dataclass(frozen=True)
class MeetingRow:
    meeting_id: int
    title: str
    starts_at: datetime
    required: tuple[str, ...]
    present: frozenset[str]  # specialties present
    items: tuple[ItemRow, ...] = ()


@dataclass(frozen=True)
class Spread:
    """Count, median, mean and largest of some numbers (None when there are none)."""

    count: int
    median: float | None
    mean: float | None
    largest: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        values = list(values)
        if not values:
            return cls(0, None, None, None)
        return cls(len(values), statistics.median(values), statistics.fmean(values), max(values))


@dataclass(frozen=True)
class MeetingFigures:
    meeting_id: int
    title: str
    starts_at: datetime
    cases: int
    decided: int
    deferred: int
    not_reached: int
    quorate: bool
    minutes: Spread
    over_planned: int


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return 100 * self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class Figures:
    meetings: list[MeetingFigures]
    cases_per_meeting: Spread
    decided: int
    deferred: int
    not_reached: int
    minutes_per_case: Spread
    over_planned: Share
    concordant: Share
    quorate: Share
    attendance: dict[str, Share] = field(default_factory=dict)  # specialty → meetings present


def board_figures(meetings: Sequence[MeetingRow], specialties: Sequence[str]) -> Figures:
    """The figures of closed `meetings`; attendance for each code in `specialties`, in order."""
    per_meeting = [_meeting_figures(meeting) for meeting in meetings]
    items = [item for meeting in meetings for item in meeting.items]
    timed = [item for item in items if item.minutes is not None]
    signed = [item for item in items if item.signed and item.concordant is not None]
    return Figures(
        meetings=per_meeting,
        cases_per_meeting=Spread.of(figures.cases for figures in per_meeting),
        decided=sum(figures.decided for figures in per_meeting),
        deferred=sum(figures.deferred for figures in per_meeting),
        not_reached=sum(figures.not_reached for figures in per_meeting),
        minutes_per_case=Spread.of(item.minutes for item in timed),
        over_planned=Share(sum(_over(item) for item in timed), len(timed)),
        concordant=Share(sum(bool(item.concordant) for item in signed), len(signed)),
        quorate=Share(sum(figures.quorate for figures in per_meeting), len(per_meeting)),
        attendance={
            code: Share(sum(code in meeting.present for meeting in meetings), len(meetings))
            for code in specialties
        },
    )


def _meeting_figures(meeting: MeetingRow) -> MeetingFigures:
    timed = [item for item in meeting.items if item.minutes is not None]
    return MeetingFigures(
        meeting_id=meeting.meeting_id,
        title=meeting.title,
        starts_at=meeting.starts_at,
        cases=len(meeting.items),
        decided=sum(item.signed for item in meeting.items),
        deferred=sum(item.status == "deferred" for item in meeting.items),
        not_reached=sum(item.status == "not_reached" for item in meeting.items),
        quorate=set(meeting.required) <= meeting.present,
        minutes=Spread.of(item.minutes for item in timed),
        over_planned=sum(_over(item) for item in timed),
    )


def _over(item: ItemRow) -> bool:
    return item.minutes is not None and item.minutes > item.planned_minutes
