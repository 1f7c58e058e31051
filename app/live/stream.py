"""The Server-Sent Events stream of a meeting's live changes."""

from __future__ import annotations

import json
import os
import queue

from flask import Blueprint, Response, abort, current_app, request
from flask_login import login_required
from sqlalchemy import select

from app.extensions import db
from app.live import broker
from app.meetings.models import Meeting

bp = Blueprint("live", __name__)

DEFAULT_KEEPALIVE_SECONDS = 15
RECONNECT_MS = 1000


@bp.route("/meetings/<int:meeting_id>/events")
@login_required
def meeting_events(meeting_id: int):
    """The meeting's events: its current version at once, then each change as it commits."""
    keepalive = float(current_app.config.get("LIVE_KEEPALIVE_SECONDS", DEFAULT_KEEPALIVE_SECONDS))
    # Subscribe before reading the version, so that no change falls between the two.
    subscription = broker.subscribe(meeting_id)
    version = db.session.scalar(select(Meeting.live_version).where(Meeting.id == meeting_id))
    # An idle stream holds no database connection.
    db.session.remove()
    if version is None:
        broker.unsubscribe(subscription)
        abort(404)
    last_seen = _last_event_id()
    response = Response(
        _events(subscription, version, last_seen, keepalive), mimetype="text/event-stream"
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    response.headers["X-Worker-Pid"] = str(os.getpid())
    return response


def _events(subscription, version: int, last_seen: int | None, keepalive: float):
    """The stream body; needs no request or app context, only the subscription."""
    try:
        first = {"version": version}
        # A page that reconnects behind (or, after a restore, ahead of) the meeting refetches.
        if last_seen is not None and last_seen != version:
            first.update(catch_up=True, fragments=[])
        # `retry`: a dropped stream is reopened after one second, not the browser's default.
        yield f"retry: {RECONNECT_MS}\n" + _message(version, first)
        sent = version
        while True:
            try:
                event = subscription.get(timeout=keepalive)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if event.version <= version:
                continue  # already part of what the first message announced
            # Two commits may reach this process out of order; the id never goes back.
            sent = max(sent, event.version)
            yield _message(sent, {"version": event.version, "fragments": list(event.fragments)})
    finally:
        # Also on GeneratorExit: the server closes the stream when the client has gone.
        broker.unsubscribe(subscription)


def _message(event_id: int, data: dict) -> str:
    return f"id: {event_id}\nevent: version\ndata: {json.dumps(data)}\n\n"


def _last_event_id() -> int | None:
    value = request.headers.get("Last-Event-ID", "").strip()
    return int(value) if value.isdigit() else None
