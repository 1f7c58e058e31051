"""Timezone-aware UTC timestamps, and the dates and times of the board's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def board_zone() -> ZoneInfo:
    """The time zone the board meets in (BOARD_TIMEZONE): pages show and forms take its times."""
    return ZoneInfo(current_app.config["BOARD_TIMEZONE"])


def board_today() -> date:
    """Today's date where the board meets (a date of birth or treatment is a local date)."""
    return utcnow().astimezone(board_zone()).date()


def board_local_to_utc(day: date, clock: time) -> datetime | None:
    """The aware UTC instant of a wall-clock time in the board's zone; None if it never occurs.

    A time skipped when the clocks go forward does not round-trip, which is how it is found.
    """
    zone = board_zone()
    local = datetime.combine(day, clock, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC; return them aware whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        # SQLite has no zone type; keep it naive-UTC there so comparisons stay textual-safe.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
