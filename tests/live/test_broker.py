"""Events are published in the change's transaction: heard at COMMIT, never after ROLLBACK."""

from __future__ import annotations

import queue

import pytest
from sqlalchemy import text

from app.extensions import db
from app.live import broker
from app.meetings.services import bump_live_version, open_meeting
from tests.factories import make_meeting

BOUND = 5.0  # seconds to wait for an event that should come; a bound, not a timing assertion


@pytest.fixture
def subscription(app):
    subscriptions = []

    def follow(meeting_id: int):
        subscriptions.append(broker.subscribe(meeting_id))
        return subscriptions[-1]

    yield follow
    for each in subscriptions:
        broker.unsubscribe(each)


def nothing_waiting(subscription) -> bool:
    try:
        subscription.get(timeout=0)
    except queue.Empty:
        return True
    return False


def test_an_event_is_delivered_only_after_commit(app, members, subscription):
    meeting = make_meeting(members)
    events = subscription(meeting.id)

    broker.publish(meeting.id, 7, ("agenda",))
    assert nothing_waiting(events)  # not yet committed

    db.session.commit()
    assert events.get(timeout=BOUND) == broker.Event(meeting.id, 7, ("agenda",))


def test_a_rolled_back_change_publishes_nothing(app, members, subscription):
    meeting = make_meeting(members)
    events = subscription(meeting.id)

    bump_live_version(meeting.id, ("agenda",))
    db.session.rollback()
    db.session.commit()

    assert nothing_waiting(events)


def test_an_event_published_first_in_a_transaction_is_dropped_on_rollback(
    app, members, subscription
):
    meeting = make_meeting(members)
    events = subscription(meeting.id)
    db.session.commit()

    broker.publish(meeting.id, 5)
    db.session.rollback()
    db.session.commit()

    assert nothing_waiting(events)


def test_a_rolled_back_savepoint_drops_only_its_own_event(app, members, subscription):
    meeting = make_meeting(members)
    events = subscription(meeting.id)

    broker.publish(meeting.id, 1, ("kept",))
    savepoint = db.session.begin_nested()
    broker.publish(meeting.id, 2, ("dropped",))
    savepoint.rollback()
    db.session.commit()

    assert events.get(timeout=BOUND).fragments == ("kept",)
    assert nothing_waiting(events)


def test_a_meeting_change_publishes_its_new_version(app, members, subscription):
    meeting = make_meeting(members)
    before = meeting.live_version
    events = subscription(meeting.id)
    others = subscription(meeting.id + 1000)

    open_meeting(meeting=meeting, author=members["surgeon"])

    event = events.get(timeout=BOUND)
    assert event.meeting_id == meeting.id
    assert event.version == before + 1
    assert nothing_waiting(others)


def test_the_event_holds_no_patient_data(app, members):
    payload = broker.Event(3, 12, ("agenda", "current")).payload()
    assert set(broker.Event.from_payload(payload).__dict__) == {
        "meeting_id",
        "version",
        "fragments",
    }
    assert "SYN-" not in payload


@pytest.mark.only_on("postgresql")
def test_postgres_back_end_delivers_at_commit_and_not_on_rollback(
    app, members, backend, subscription
):
    meeting = make_meeting(members)
    app.config["LIVE_BROKER"] = "postgres"
    try:
        events = subscription(meeting.id)  # starts this process's listener

        broker.publish(meeting.id, 40, ("ghost",))
        db.session.rollback()
        open_meeting(meeting=meeting, author=members["surgeon"])

        # NOTIFY arrives in commit order: a rolled-back ghost would have come first.
        event = events.get(timeout=BOUND)
        assert event.fragments != ("ghost",)
        assert event.version == meeting.live_version
    finally:
        app.config["LIVE_BROKER"] = "inprocess"
        broker.stop_listeners()


@pytest.mark.only_on("postgresql")
def test_after_losing_postgres_the_listener_catches_its_streams_up(
    app, members, backend, subscription
):
    meeting = make_meeting(members)
    app.config["LIVE_BROKER"] = "postgres"
    try:
        events = subscription(meeting.id)
        # The server drops the listener's connection; a change commits while it is down.
        db.session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        )
        db.session.commit()
        open_meeting(meeting=meeting, author=members["surgeon"])
        version = db.session.get(type(meeting), meeting.id).live_version

        # Whether the notification was heard or lost, the stream reaches the new version, and
        # a catch-up names no parts (every part is refetched).
        seen = []
        while not seen or seen[-1].version < version:
            seen.append(events.get(timeout=BOUND))
        assert seen[-1].version == version
    finally:
        app.config["LIVE_BROKER"] = "inprocess"
        broker.stop_listeners()


@pytest.mark.only_on("sqlite")
def test_postgres_back_end_refused_on_sqlite(app, backend):
    app.config["LIVE_BROKER"] = "postgres"
    try:
        with pytest.raises(ValueError, match="needs a PostgreSQL database"):
            broker.publish(1, 1)
    finally:
        app.config["LIVE_BROKER"] = "inprocess"
