"""Who may do what: the permission matrix of the board, one row per page or action, every role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app

from app.timestamps import utcnow
from tests.support import MEMBERS, PASSWORD, csrf_token, login, text_of
from tests.test_routes import (
    AUDIT_TABLES,
    Scene,
    build_scene,
    changed_tables,
    table_contents,
)

EVERYONE = frozenset(MEMBERS)
ADMINS = frozenset({"admin"})
COORDINATORS = frozenset({"coordinator"})
# The scene's meeting is chaired by "surgeon"; "surgeon2" has the same specialty but no chair.
CHAIR_OR_COORDINATOR = frozenset({"coordinator", "surgeon"})
WITH_SPECIALTY = frozenset(name for name, (_, specialty, _, _) in MEMBERS.items() if specialty)
NOBODY = frozenset()


@dataclass(frozen=True)
class Row:
    """One page or action: its URL and form in a scene, who may use it, and what they get."""

    name: str
    method: str
    url: Callable[[Scene], str]
    allowed: frozenset[str]
    data: Callable[[Scene, dict, str], dict] = lambda scene, members, username: {}
    # What an allowed member gets: 200 for a page, 302 for a change that worked.
    status: int | None = None
    # Whether an allowed request changes stored rows (checked, so a no-op cannot pass as done).
    changes: bool | None = None

    @property
    def expected_status(self) -> int:
        return self.status or (200 if self.method == "GET" else 302)

    @property
    def expected_change(self) -> bool:
        return self.method == "POST" if self.changes is None else self.changes


def _meeting_form(scene: Scene, members: dict, username: str, **changes) -> dict:
    starts = (utcnow() + timedelta(days=10)).astimezone(
        ZoneInfo(current_app.config["BOARD_TIMEZONE"])
    )
    return {
        "title": "Extra spine board",
        "date": starts.date().isoformat(),
        "time": "14:00",
        "location": "Seminar room 3",
        "video_url": "",
        "chair_id": str(members["surgeon"].id),
        "required_specialties": ["medical_oncology", "spine_surgery"],
        **changes,
    }


def _member_form(scene: Scene, members: dict, username: str) -> dict:
    return {
        "username": scene.target.username,
        "full_name": "Tara Target-Renamed",
        "email": "",
        "specialty": "physiotherapy",
    }


def _new_member_form(scene: Scene, members: dict, username: str) -> dict:
    return {
        "username": f"new{scene.target.id}",
        "full_name": "Nia Newmember",
        "email": "",
        "specialty": "",
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
    }


def _own_presentation(scene: Scene, members: dict, username: str) -> dict:
    return {"specialty": members[username].specialty or "", "summary": "Seen in clinic today."}


def _other_presentation(scene: Scene, members: dict, username: str) -> dict:
    mine = members[username].specialty
    other = "physiotherapy" if mine != "physiotherapy" else "spine_surgery"
    return {"specialty": other, "summary": "Entered under another specialty."}


def _opinion(scene: Scene, members: dict, username: str) -> dict:
    return {"option_1": "sbrt", "option_2": "cebrt", "reasoning": "Good performance status."}


def _plan(scene: Scene, members: dict, username: str) -> dict:
    """The plan form with one step and a changed rationale; the other rows are left empty."""
    return {
        "lock_version": str(scene.plan_b.lock_version),
        "intent": "palliative",
        "rationale": "Changed after the discussion.",
        "steps-0-option": "sbrt",
        "steps-0-details": "24 Gy in 2 fractions",
    }


MATRIX = [
    # Admin pages: admins only.
    Row("admin members list", "GET", lambda s: "/admin/members", ADMINS),
    Row("admin new member form", "GET", lambda s: "/admin/members/new", ADMINS),
    Row("admin adds a member", "POST", lambda s: "/admin/members/new", ADMINS, _new_member_form),
    Row("admin edit form", "GET", lambda s: f"/admin/members/{s.target.id}/edit", ADMINS),
    Row(
        "admin edits a member",
        "POST",
        lambda s: f"/admin/members/{s.target.id}/edit",
        ADMINS,
        _member_form,
    ),
    Row("admin deactivates", "POST", lambda s: f"/admin/members/{s.target.id}/deactivate", ADMINS),
    Row(
        "admin reactivates (already active)",
        "POST",
        lambda s: f"/admin/members/{s.target.id}/reactivate",
        ADMINS,
        changes=False,
    ),
    Row("admin password form", "GET", lambda s: f"/admin/members/{s.target.id}/password", ADMINS),
    Row(
        "admin resets a password",
        "POST",
        lambda s: f"/admin/members/{s.target.id}/password",
        ADMINS,
        lambda s, m, u: {"password": PASSWORD * 2, "password_confirmation": PASSWORD * 2},
    ),
    Row("audit trail", "GET", lambda s: "/admin/audit", ADMINS),
    # Scheduling and editing meetings: coordinators only (not the chair, not an admin).
    Row("schedule form", "GET", lambda s: "/meetings/new", COORDINATORS),
    Row("schedule a meeting", "POST", lambda s: "/meetings/new", COORDINATORS, _meeting_form),
    Row("meeting edit form", "GET", lambda s: f"/meetings/{s.meeting.id}/edit", COORDINATORS),
    Row(
        "edit a meeting",
        "POST",
        lambda s: f"/meetings/{s.meeting.id}/edit",
        COORDINATORS,
        lambda s, m, u: _meeting_form(
            s, m, u, title="Renamed board", lock_version=str(s.meeting.lock_version)
        ),
    ),
    # Agenda changes: a coordinator or this meeting's chair.
    Row(
        "add a case to the agenda",
        "POST",
        lambda s: f"/meetings/{s.meeting.id}/agenda",
        CHAIR_OR_COORDINATOR,
        lambda s, m, u: {"case_id": str(s.case_d.id), "planned_minutes": "10"},
    ),
    Row(
        "order urgent first",
        "POST",
        lambda s: f"/meetings/{s.meeting.id}/agenda/urgent-first",
        CHAIR_OR_COORDINATOR,
        changes=False,
    ),
    Row(
        "move an item",
        "POST",
        lambda s: f"/meetings/items/{s.item_a.id}/move",
        CHAIR_OR_COORDINATOR,
        lambda s, m, u: {"direction": "down"},
    ),
    Row(
        "planned minutes",
        "POST",
        lambda s: f"/meetings/items/{s.item_a.id}/minutes",
        CHAIR_OR_COORDINATOR,
        lambda s, m, u: {"minutes": "25"},
    ),
    Row(
        "remove an item",
        "POST",
        lambda s: f"/meetings/items/{s.item_a.id}/remove",
        CHAIR_OR_COORDINATOR,
    ),
    # The agreed plan: recorded, signed and amended by this meeting's chair or a coordinator.
    Row("plan form", "GET", lambda s: f"/items/{s.item_b.id}/plan", CHAIR_OR_COORDINATOR),
    Row(
        "record the plan",
        "POST",
        lambda s: f"/items/{s.item_b.id}/plan",
        CHAIR_OR_COORDINATOR,
        _plan,
    ),
    Row(
        "sign the plan",
        "POST",
        lambda s: f"/plans/{s.plan_b.id}/sign",
        CHAIR_OR_COORDINATOR,
        lambda s, m, u: {"lock_version": str(s.plan_b.lock_version)},
    ),
    Row("amend form", "GET", lambda s: f"/plans/{s.plan_c.id}/amend", CHAIR_OR_COORDINATOR),
    Row(
        "amend a signed plan",
        "POST",
        lambda s: f"/plans/{s.plan_c.id}/amend",
        CHAIR_OR_COORDINATOR,
        lambda s, m, u: {"reason": "New imaging after the board."},
    ),
    # Presentations: under the member's own specialty only.
    Row(
        "presentation form",
        "GET",
        lambda s: f"/cases/{s.case_a.id}/presentations/new",
        WITH_SPECIALTY,
    ),
    Row(
        "present under own specialty",
        "POST",
        lambda s: f"/cases/{s.case_a.id}/presentations/new",
        WITH_SPECIALTY,
        _own_presentation,
    ),
    Row(
        "present under another specialty",
        "POST",
        lambda s: f"/cases/{s.case_a.id}/presentations/new",
        NOBODY,
        _other_presentation,
    ),
    # Opinions: members with a clinical specialty.
    Row("opinion form", "GET", lambda s: f"/items/{s.item_a.id}/opinion", WITH_SPECIALTY),
    Row(
        "give an opinion",
        "POST",
        lambda s: f"/items/{s.item_a.id}/opinion",
        WITH_SPECIALTY,
        _opinion,
    ),
    # Reading is open to every member.
    Row("case page", "GET", lambda s: f"/cases/{s.case_a.id}", EVERYONE),
    Row("patient page", "GET", lambda s: f"/patients/{s.patient.id}", EVERYONE),
    Row("agenda page", "GET", lambda s: f"/meetings/{s.meeting.id}", EVERYONE),
    Row("item page", "GET", lambda s: f"/items/{s.item_b.id}", EVERYONE),
    Row("signed plan page", "GET", lambda s: f"/plans/{s.plan_c.id}", EVERYONE),
    Row(
        "opinion history",
        "GET",
        lambda s: f"/items/{s.item_b.id}/opinions/{s.opinion_author.id}",
        EVERYONE,
    ),
]


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.name.replace(" ", "-"))
def test_permission_matrix(app, members, row):
    """Allowed roles get the row's answer; the rest get 403 and change nothing."""
    problems = []
    scene = build_scene(members)
    for username in sorted(MEMBERS):
        client = current_app.test_client()
        assert login(client, username).status_code == 302, username
        # Every logged-in page carries the logout form, so any page gives this session's token.
        token = csrf_token(text_of(client.get("/catalogue/")))
        url = row.url(scene)
        before = table_contents(skip=AUDIT_TABLES)
        if row.method == "GET":
            response = client.get(url)
        else:
            data = {"csrf_token": token, **row.data(scene, members, username)}
            response = client.post(url, data=data)
        changed = changed_tables(before, table_contents(skip=AUDIT_TABLES))
        allowed = username in row.allowed
        expected = row.expected_status if allowed else 403
        if response.status_code != expected:
            problems.append(f"{username}: {response.status_code}, expected {expected}")
        if not allowed and changed:
            problems.append(f"{username} was refused yet changed {', '.join(changed)}")
        if allowed and row.expected_change and not changed:
            problems.append(f"{username}: allowed, but nothing was stored")
        if changed:
            scene = build_scene(members)  # the next member starts from an untouched scene
    assert problems == [], f"{row.method} {row.name}"
