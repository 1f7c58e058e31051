"""Meeting events: published in the change's transaction, delivered to this process's streams.

An event names only the meeting, its new live version and the page fragments that changed: no
patient data ever travels in it. Two back ends, chosen by LIVE_BROKER:

- "inprocess" (default): held on the session until COMMIT, then handed to this process's
  subscribers; dropped on ROLLBACK. One server process (the SQLite default).
- "postgres": `pg_notify` in the same transaction (PostgreSQL delivers it only at COMMIT); one
  listener thread per worker process receives every notification and hands it to that
  worker's subscribers. Several workers or servers on one database.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db

CHANNEL = "meeting_events"
BACKENDS = ("inprocess", "postgres")
# Events waiting for one slow stream; past this the oldest is dropped (each event carries the
# whole version number, so the stream still ends in step).
QUEUE_SIZE = 100
# How long a new stream waits for its worker's listener to be connected.
LISTENER_READY_SECONDS = 10.0
_PENDING = "live_events"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One change of a meeting's live state: its new version and the fragments to refetch."""

    meeting_id: int
    version: int
    fragments: tuple[str, ...] = ()

    def payload(self) -> str:
        return json.dumps(
            {"meeting": self.meeting_id, "version": self.version, "fragments": self.fragments}
        )

    @classmethod
    def from_payload(cls, payload: str) -> Event:
        data = json.loads(payload)
        return cls(
            meeting_id=int(data["meeting"]),
            version=int(data["version"]),
            fragments=tuple(str(name) for name in data.get("fragments", ())),
        )


class Subscription:
    """One open stream's bounded queue of events for one meeting."""

    def __init__(self, meeting_id: int, maxsize: int = QUEUE_SIZE):
        self.meeting_id = meeting_id
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=maxsize)
        self._lock = threading.Lock()

    def offer(self, event: Event) -> None:
        with self._lock:
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self._queue.get_nowait()
                self._queue.put_nowait(event)

    def get(self, timeout: float) -> Event:
        """The next event; queue.Empty after `timeout` seconds without one."""
        return self._queue.get(timeout=timeout)


class Hub:
    """This process's subscribers, by meeting."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[Subscription]] = {}

    def subscribe(self, meeting_id: int) -> Subscription:
        subscription = Subscription(meeting_id)
        with self._lock:
            self._subscribers.setdefault(meeting_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            subscribers = self._subscribers.get(subscription.meeting_id, set())
            subscribers.discard(subscription)
            if not subscribers:
                self._subscribers.pop(subscription.meeting_id, None)

    def deliver(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(event.meeting_id, ()))
        for subscription in subscribers:
            subscription.offer(event)

    def meeting_ids(self) -> list[int]:
        """The meetings this process's streams follow."""
        with self._lock:
            return list(self._subscribers)

    def count(self, meeting_id: int) -> int:
        """How many streams of this process follow the meeting."""
        with self._lock:
            return len(self._subscribers.get(meeting_id, ()))


hub = Hub()


def backend() -> str:
    """The configured back end; "postgres" only on a PostgreSQL database."""
    name = current_app.config.get("LIVE_BROKER", "inprocess")
    if name not in BACKENDS:
        raise ValueError(f"LIVE_BROKER must be one of {', '.join(BACKENDS)}, not {name!r}.")
    if name == "postgres" and db.engine.dialect.name != "postgresql":
        raise ValueError("LIVE_BROKER=postgres needs a PostgreSQL database (DATABASE_URL).")
    return name


def publish(meeting_id: int, version: int, fragments: tuple[str, ...] = ()) -> None:
    """Publish a meeting change in the current transaction: delivered at COMMIT, never on ROLLBACK.

    Empty `fragments` means: refetch everything.
    """
    event = Event(int(meeting_id), int(version), tuple(fragments))
    if backend() == "postgres":
        db.session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": event.payload()},
        )
        return
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_PENDING, []).append((transaction, event))


def subscribe(meeting_id: int) -> Subscription:
    """Follow a meeting's events in this process (needs the app context)."""
    if backend() == "postgres":
        _listener_for(db.engine.url).wait_ready()
    return hub.subscribe(meeting_id)


def unsubscribe(subscription: Subscription) -> None:
    hub.unsubscribe(subscription)


# In-process: hold events on the session until its transaction ends. -------------------------


@sa_event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    for _transaction, event in session.info.pop(_PENDING, ()):
        hub.deliver(event)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [
            (transaction, event)
            for transaction, event in pending
            if not _within(transaction, previous_transaction)
        ]


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # A session closed without COMMIT ends its transaction without a rollback event.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


# PostgreSQL: one LISTEN connection per worker process. ----------------------------------------


class Listener(threading.Thread):
    """Receives `meeting_events` notifications and hands them to this process's hub."""

    def __init__(self, conninfo: str, target: Hub):
        super().__init__(name="meeting-events-listener", daemon=True)
        self.conninfo = conninfo
        self.target = target
        self.ready = threading.Event()
        self.stopping = threading.Event()

    def wait_ready(self) -> None:
        if not self.ready.wait(LISTENER_READY_SECONDS):
            raise RuntimeError("The meeting events listener could not reach PostgreSQL.")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)

    def run(self) -> None:
        import psycopg

        connected_before = False
        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if connected_before:
                        # Changes committed while the connection was down sent notifications
                        # nobody heard: tell every followed meeting its current version.
                        self._catch_up(conn)
                    connected_before = True
                    self.ready.set()
                    while not self.stopping.is_set():
                        # A timeout so that stop() is noticed on a quiet channel.
                        for notify in conn.notifies(timeout=1.0):
                            self._hand_on(notify.payload)
            except psycopg.Error:
                log.exception("Meeting events listener lost PostgreSQL; reconnecting.")
                self.stopping.wait(1.0)

    def _catch_up(self, conn) -> None:
        meeting_ids = self.target.meeting_ids()
        if not meeting_ids:
            return
        rows = conn.execute(
            "SELECT id, live_version FROM meeting WHERE id = ANY(%s)", (meeting_ids,)
        ).fetchall()
        for meeting_id, version in rows:
            # No fragment names: a page that is behind refetches every part.
            self.target.deliver(Event(int(meeting_id), int(version)))

    def _hand_on(self, payload: str) -> None:
        try:
            event = Event.from_payload(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("Ignored a malformed meeting event.")
            return
        self.target.deliver(event)


_listeners: dict[str, Listener] = {}
_listeners_lock = threading.Lock()
_listeners_pid = os.getpid()


def _listener_for(url) -> Listener:
    """This process's listener for the database at `url`, started on first use."""
    global _listeners_pid
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with _listeners_lock:
        if _listeners_pid != os.getpid():
            # A forked worker inherits the parent's table but not its threads.
            _listeners.clear()
            _listeners_pid = os.getpid()
        listener = _listeners.get(conninfo)
        if listener is None or not listener.is_alive():
            listener = _listeners[conninfo] = Listener(conninfo, hub)
            listener.start()
    return listener


def stop_listeners() -> None:
    """Stop this process's listener threads (used when a test server shuts down)."""
    with _listeners_lock:
        listeners = list(_listeners.values())
        _listeners.clear()
    for listener in listeners:
        listener.stop()
