"""GET /meetings/<id>/events through a real server: first message, changes, catch-up, access."""

from __future__ import annotations

import time

import pytest

from app.extensions import db
from app.live import broker
from app.meetings.models import Meeting
from app.meetings.services import check_in, open_meeting
from tests.factories import make_meeting

BOUND = 5.0  # seconds; a bound on waiting, not a timing assertion


def current_version(meeting_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Meeting, meeting_id).live_version


@pytest.fixture
def stream_of(live_server):
    streams = []

    def open_stream(username: str, meeting_id: int, **kwargs):
        streams.append(
            live_server.visitor(username).open_stream(f"/meetings/{meeting_id}/events", **kwargs)
        )
        return streams[-1]

    yield open_stream
    for stream in streams:
        stream.close()


def test_the_stream_starts_with_the_current_version_then_sends_each_change(app, members, stream_of):
    meeting = make_meeting(members)
    version = current_version(meeting.id)
    stream = stream_of("physio", meeting.id)

    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert stream.headers["Cache-Control"] == "no-cache"
    assert stream.headers["X-Accel-Buffering"] == "no"
    first = stream.next_message()
    assert (first.id, first.event, first.data) == (str(version), "version", {"version": version})

    open_meeting(meeting=meeting, author=members["surgeon"])

    change = stream.next_message()
    assert change.id == str(version + 1)
    assert change.data["version"] == version + 1

    check_in(meeting=meeting, member=members["physio"])
    assert stream.next_message().data["version"] == version + 2


def test_every_open_stream_of_the_meeting_hears_the_change(app, members, stream_of):
    meeting = make_meeting(members)
    other = make_meeting(members, title="Another board")
    streams = [stream_of(name, meeting.id) for name in ("oncologist", "radiation", "physio")]
    elsewhere = stream_of("surgeon2", other.id)
    for stream in [*streams, elsewhere]:
        stream.next_message()

    open_meeting(meeting=meeting, author=members["surgeon"])
    open_meeting(meeting=other, author=members["surgeon"])

    version = current_version(meeting.id)
    assert [stream.next_message().data["version"] for stream in streams] == [version] * 3
    assert elsewhere.next_message().data["version"] == current_version(other.id)


def test_a_reconnecting_page_behind_the_meeting_is_told_to_catch_up(app, members, stream_of):
    meeting = make_meeting(members)
    open_meeting(meeting=meeting, author=members["surgeon"])
    version = current_version(meeting.id)

    behind = stream_of("physio", meeting.id, last_event_id=version - 1).next_message()
    in_step = stream_of("oncologist", meeting.id, last_event_id=version).next_message()

    assert behind.id == str(version)
    assert behind.data == {"version": version, "catch_up": True, "fragments": []}
    assert in_step.data == {"version": version}


def test_an_idle_stream_sends_keep_alive_comments(app, members, stream_of):
    meeting = make_meeting(members)
    stream = stream_of("physio", meeting.id)
    stream.next_message()

    assert stream.next_comment() == "keep-alive"


def test_a_closed_stream_stops_following_the_meeting(app, members, stream_of):
    meeting = make_meeting(members)
    stream = stream_of("physio", meeting.id)
    stream.next_message()
    assert broker.hub.count(meeting.id) == 1

    stream.close()

    # The server notices at its next keep-alive write; wait for that within a bound.
    deadline = time.monotonic() + BOUND
    while broker.hub.count(meeting.id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert broker.hub.count(meeting.id) == 0


def test_a_visitor_who_is_not_logged_in_gets_no_stream(app, members, live_server):
    meeting = make_meeting(members)

    status, headers, _ = live_server.visitor().request("GET", f"/meetings/{meeting.id}/events")

    assert status in (302, 401)
    assert not headers.get("Content-Type", "").startswith("text/event-stream")
    assert broker.hub.count(meeting.id) == 0


def test_an_unknown_meeting_is_not_found(app, members, live_server):
    status, _, _ = live_server.visitor("physio").request("GET", "/meetings/999/events")

    assert status == 404
    assert broker.hub.count(999) == 0
