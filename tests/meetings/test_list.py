"""The meetings list: upcoming and past apart, with counts, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.timestamps import utcnow
from tests.factories import add_item, close_meeting, make_case, make_meeting
from tests.support import count_queries, login, text_of


def test_upcoming_soonest_first_and_past_latest_first(client, members):
    now = utcnow().replace(second=0, microsecond=0)
    make_meeting(members, title="Later board", starts_at=now + timedelta(days=14))
    soon = make_meeting(members, title="Soon board", starts_at=now + timedelta(days=2))
    make_meeting(members, title="Long-ago board", starts_at=now - timedelta(days=60))
    recent = make_meeting(members, title="Recent board", starts_at=now - timedelta(days=7))
    close_meeting(recent)
    urgent, routine = make_case(members, is_urgent=True), make_case(members)
    add_item(members, soon, urgent)
    add_item(members, soon, routine)
    login(client, "oncologist")
    page = text_of(client.get("/meetings/"))
    upcoming = page[page.index("<h2>Upcoming</h2>") : page.index("<h2>Past</h2>")]
    past = page[page.index("<h2>Past</h2>") :]
    assert upcoming.index("Soon board") < upcoming.index("Later board")
    assert past.index("Recent board") < past.index("Long-ago board")
    assert "Soon board" not in past and "Recent board" not in upcoming
    soon_row = upcoming[upcoming.index("Soon board") :].split("</tr>")[0]
    assert "Sven Surgeon" in soon_row
    assert '<td class="right">2</td>' in soon_row
    assert "1 urgent" in soon_row
    assert "Scheduled" in soon_row
    assert "Closed" in past[past.index("Recent board") :].split("</tr>")[0]
    assert "Schedule a meeting" not in page


def test_coordinator_is_offered_to_schedule(client, members):
    login(client, "coordinator")
    page = text_of(client.get("/meetings/"))
    assert 'href="/meetings/new"' in page
    assert "No meeting is scheduled." in page


def test_query_count_does_not_grow_with_meetings_or_items(client, members):
    login(client, "oncologist")

    def add_meetings(number: int) -> None:
        for index in range(number):
            days = index + 1 if index % 2 else -(index + 1)
            meeting = make_meeting(members, starts_at=utcnow() + timedelta(days=days))
            for _ in range(2):
                add_item(members, meeting, make_case(members, is_urgent=index % 3 == 0))
        db.session.commit()

    add_meetings(2)
    db.session.expire_all()  # the same starting state for both counts
    with count_queries() as few:
        client.get("/meetings/")
    add_meetings(12)
    db.session.expire_all()
    with count_queries() as many:
        response = client.get("/meetings/")
    assert text_of(response).count("Spine tumour board") == 14
    assert few[0] == many[0]
