"""Names of the parts of a live page that an event asks open pages to refetch.

An event naming "opinions" refreshes every "opinions-<item id>" part; an event naming no part
refreshes them all. The names carry ids only, never patient data.
"""

from __future__ import annotations

MEETING = "meeting"  # the meeting's header: status, quorum
CURRENT = "current"  # the case under discussion, with the chair's controls and the timer
AGENDA = "agenda"  # the agenda with each item's status
ATTENDANCE = "attendance"  # who is present, by specialty
OPINIONS = "opinions"  # an item's opinions: who has given one, and what
PLAN = "plan"  # an item's agreed plan, as the chair records and signs it

ALL: tuple[str, ...] = ()  # refetch every part


def opinions(item_id: int) -> str:
    return f"{OPINIONS}-{int(item_id)}"


def plan(item_id: int) -> str:
    return f"{PLAN}-{int(item_id)}"
