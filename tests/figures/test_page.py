"""The figures page: a period's closed meetings counted from what the board recorded."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.decisions.models import Plan
from app.decisions.services import amend_plan, sign_plan
from app.extensions import db
from app.meetings import services
from app.timestamps import board_today, utcnow
from tests.factories import add_item, future, make_case, make_meeting, make_plan, utc
from tests.support import count_queries, login, text_of


def held(members, title, *, days_ago=None, starts_at=None, minutes, present=None, departures=None):
    """A closed meeting `days_ago`: its cases discussed for `minutes` each (None: not reached);
    the first two signed, the second with a departure from guidance when `departures`."""
    extra = {} if present is None else {"present": present}
    starts_at = starts_at or utcnow() - timedelta(days=days_ago)
    meeting = make_meeting(members, title=title, starts_at=starts_at, **extra)
    items = [
        add_item(members, meeting, make_case(members, family_name=f"{title.split()[0]}{n}"))
        for n in range(len(minutes))
    ]
    chair = members["surgeon"]
    services.open_meeting(meeting=meeting, author=chair)
    for index, item in enumerate(items[:2]):
        services.bring_up(item=item, author=chair)
        plan = make_plan(members, item)
        sign_plan(
            plan=plan,
            author=chair,
            base_lock_version=plan.lock_version,
            quorum_override_reason="Radiologist reachable by phone" if present else None,
        )
        # The stored check result is what the figures read: the first plan keeps its own (notes
        # of what could not be checked, no departure), the second gets `departures`.
        if index == 1:
            plan.departures = departures or []
    services.close_meeting(meeting=meeting, author=chair, confirm_unsigned=True)
    start = meeting.starts_at
    for item, spent in zip(items, minutes, strict=True):
        item.started_at = None if spent is None else start
        item.ended_at = None if spent is None else start + timedelta(minutes=spent)
    db.session.commit()
    return meeting


def section(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}".*?</(dl|p|table|span)>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def test_the_figures_of_the_last_twelve_months(client, members):
    held(members, "Spring board", days_ago=40, minutes=[12, 8, None])
    held(
        members,
        "Summer board",
        days_ago=10,
        minutes=[20, 10],
        present=("oncologist", "radiation", "surgeon"),
        departures=[{"kind": "noms", "message": "Departs from the NOMS suggestion"}],
    )
    held(members, "Old board", days_ago=400, minutes=[30])  # outside the default period
    make_meeting(members, title="Next board", starts_at=future(days=7))  # not held yet
    # The plans signed without departures carry notes (what the case lacked to check): notes
    # are not departures.
    signed = db.session.scalars(select(Plan).where(Plan.signed_at.is_not(None))).all()
    assert any(
        plan.departures and all(entry.get("kind") == "not_checked" for entry in plan.departures)
        for plan in signed
    )
    login(client, "physio")
    page = text_of(client.get("/figures/"))
    assert "Closed meetings that started from" in page and ": 2." in section(page, "period")
    assert "Old board" not in page and "Next board" not in page
    cases = section(page, "cases")
    assert "median 2.5, mean 2.5, most 3" in cases
    assert "Decided (plan signed) 4" in cases and "Not reached 1" in cases
    time_ = section(page, "time")
    # 12, 8, 20, 10 minutes (the case not reached has none); 12 and 20 exceed the planned 10.
    assert "4 cases timed" in time_ and "median 11.0 min, mean 12.5 min, longest 20.0 min" in time_
    assert "Over the planned time 2 of 4 (50%)" in time_
    assert "3 of 4 (75%)" in section(page, "concordance")
    assert "1 of 2 (50%)" in section(page, "quorate")
    attendance = section(page, "attendance")
    assert "Interventional radiology 1 of 2 (50%)" in attendance
    assert "Spine surgery 2 of 2 (100%)" in attendance
    per_meeting = section(page, "per-meeting")
    assert per_meeting.index("Spring board") < per_meeting.index("Summer board")


def test_a_chosen_period_and_a_bad_one(client, members):
    held(members, "Old board", days_ago=400, minutes=[30])
    login(client, "coordinator")
    old_day = board_today() - timedelta(days=400)
    chosen = text_of(
        client.get(f"/figures/?first_day={old_day - timedelta(days=1)}&last_day={old_day}")
    )
    assert "Old board" in chosen and "median 30.0 min" in section(chosen, "time")
    bad = client.get("/figures/?first_day=31.02.2026&last_day=2026-01-01")
    assert bad.status_code == 400
    page = text_of(bad)
    assert 'value="31.02.2026"' in page and "Not a valid date value." in page
    reversed_ = client.get("/figures/?first_day=2026-02-01&last_day=2026-01-01")
    assert reversed_.status_code == 400
    assert "The end of the period comes before its start." in text_of(reversed_)
    assert 'value="2026-02-01"' in text_of(reversed_)


def test_the_page_costs_the_same_queries_for_any_number_of_meetings(client, members):
    login(client, "coordinator")
    counts = []
    for meetings in (1, 3):
        while _closed() < meetings:
            held(members, f"Board{_closed()} x", days_ago=5 + _closed(), minutes=[10, 10, 10])
        with count_queries() as queries:
            assert client.get("/figures/").status_code == 200
        counts.append(queries[0])
    assert counts[0] == counts[1]


def _closed() -> int:
    from sqlalchemy import func, select

    from app.meetings.models import Meeting

    return db.session.scalar(select(func.count(Meeting.id)).where(Meeting.status == "closed"))


def test_a_days_meetings_are_counted_by_the_boards_clock(client, members):
    # Europe/London in July is UTC+1: the second meeting starts on 1 July in UTC, but on
    # 2 July at the board, so a period ending on 1 July leaves it out.
    held(members, "Late board", starts_at=utc(2026, 7, 1, 22, 30), minutes=[10])
    held(members, "Midnight board", starts_at=utc(2026, 7, 1, 23, 30), minutes=[10])
    login(client, "coordinator")
    page = text_of(client.get("/figures/?first_day=2026-07-01&last_day=2026-07-01"))
    assert "Late board" in page and "Midnight board" not in page


def test_concordance_is_that_of_the_plan_first_signed(client, members):
    meeting = held(members, "Amended board", days_ago=3, minutes=[10, 10])
    item = meeting.items[0]
    first = db.session.scalars(select(Plan).where(Plan.agenda_item_id == item.id)).one()
    amendment = amend_plan(plan=first, author=members["surgeon"], reason="New imaging")
    amendment.departures = [{"kind": "noms", "message": "Departs from NOMS"}]
    amendment.signed_at, amendment.status = utcnow(), "signed"
    db.session.commit()
    login(client, "coordinator")
    assert "2 of 2 (100%)" in section(text_of(client.get("/figures/")), "concordance")
