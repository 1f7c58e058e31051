"""Running a meeting live: opening and closing it, the chair's controls, deferral, carry-over."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.decisions.services import sign_plan
from app.extensions import db
from app.meetings.models import AgendaItem, Meeting
from tests.factories import add_item, future, make_meeting, make_plan
from tests.support import login, post_form, text_of


def page_of(meeting) -> str:
    return f"/meetings/{meeting.id}"


def post(client, meeting, url, data=None):
    return post_form(client, url, data or {}, form_url=page_of(meeting))


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def open_with_items(client, members, count=3, **meeting_values):
    """A meeting chaired by "surgeon" with `count` cases, opened by the chair (logged in)."""
    meeting = make_meeting(members, **meeting_values)
    items = [add_item(members, meeting) for _ in range(count)]
    login(client, "surgeon")
    assert post(client, meeting, f"/meetings/{meeting.id}/open").status_code == 302
    return meeting, items


def statuses(meeting_id) -> list[str]:
    return [item.status for item in fresh(Meeting, meeting_id).items]


# States ---------------------------------------------------------------------------------------


def test_the_chair_opens_a_scheduled_meeting_and_the_page_becomes_the_live_view(client, members):
    meeting = make_meeting(members)
    add_item(members, meeting)
    login(client, "surgeon")
    page = text_of(client.get(page_of(meeting)))
    assert "Open the meeting" in page and "Not open yet" in page
    assert "<h2>Under discussion</h2>" not in page

    response = post(client, meeting, f"/meetings/{meeting.id}/open")
    assert response.status_code == 302
    stored = fresh(Meeting, meeting.id)
    assert stored.status == "open" and stored.opened_at is not None
    page = text_of(client.get(page_of(meeting)))
    assert "<h2>Under discussion</h2>" in page and "No case is under discussion" in page
    assert "Open the meeting" not in page and "Not open yet" not in page


def test_invalid_transitions_are_refused_with_a_clear_message(client, members):
    meeting, _ = open_with_items(client, members, count=1)
    again = post(client, meeting, f"/meetings/{meeting.id}/open")
    assert again.status_code == 409
    assert "This meeting is already open." in text_of(again)

    assert post(client, meeting, f"/meetings/{meeting.id}/close").status_code == 302
    assert fresh(Meeting, meeting.id).closed_at is not None
    reopen = post(client, meeting, f"/meetings/{meeting.id}/open")
    assert reopen.status_code == 409
    assert "a closed meeting cannot be opened again" in text_of(reopen)
    reclose = post(client, meeting, f"/meetings/{meeting.id}/close")
    assert reclose.status_code == 409
    assert "This meeting is already closed." in text_of(reclose)


def test_a_case_is_brought_up_only_while_the_meeting_is_open(client, members):
    meeting = make_meeting(members)
    item = add_item(members, meeting)
    login(client, "surgeon")
    response = post(client, meeting, f"/meetings/items/{item.id}/discuss")
    assert response.status_code == 409
    assert "The meeting is not open." in text_of(response)
    response = post(client, meeting, f"/meetings/{meeting.id}/next")
    assert response.status_code == 409
    assert fresh(AgendaItem, item.id).status == "pending"


# The chair's controls -------------------------------------------------------------------------


def test_bringing_up_a_case_makes_it_the_only_one_under_discussion(client, members):
    meeting, (first, second, _) = open_with_items(client, members)
    assert post(client, meeting, f"/meetings/items/{first.id}/discuss").status_code == 302
    stored = fresh(Meeting, meeting.id)
    assert stored.current_item_id == first.id
    assert fresh(AgendaItem, first.id).started_at is not None
    assert statuses(meeting.id) == ["discussing", "pending", "pending"]

    assert post(client, meeting, f"/meetings/items/{second.id}/discuss").status_code == 302
    # Left without a signed plan, the first case waits again; its times are kept.
    assert statuses(meeting.id) == ["pending", "discussing", "pending"]
    assert fresh(AgendaItem, first.id).ended_at is not None
    assert fresh(Meeting, meeting.id).current_item_id == second.id

    page = text_of(client.get(page_of(meeting)))
    live = page[page.index('id="live"') : page.index('id="agenda"')]
    assert second.case.patient.mrn in live and first.case.patient.mrn not in live


def test_next_and_previous_walk_the_agenda(client, members):
    meeting, (first, second, third) = open_with_items(client, members)
    next_url, previous_url = f"/meetings/{meeting.id}/next", f"/meetings/{meeting.id}/previous"

    refused = post(client, meeting, previous_url)
    assert refused.status_code == 409 and "No case is under discussion" in text_of(refused)

    post(client, meeting, next_url)
    assert fresh(Meeting, meeting.id).current_item_id == first.id
    refused = post(client, meeting, previous_url)
    assert refused.status_code == 409 and "This is the first case" in text_of(refused)

    post(client, meeting, next_url)
    post(client, meeting, next_url)
    assert fresh(Meeting, meeting.id).current_item_id == third.id
    post(client, meeting, previous_url)
    assert fresh(Meeting, meeting.id).current_item_id == second.id
    assert statuses(meeting.id) == ["pending", "discussing", "pending"]

    # Past the last case, "next" comes back to the ones still waiting.
    post(client, meeting, next_url)
    post(client, meeting, next_url)
    assert fresh(Meeting, meeting.id).current_item_id == first.id


def test_next_after_a_signed_plan_moves_on_and_leaves_it_discussed(client, members):
    meeting, (first, second) = open_with_items(client, members, count=2)
    post(client, meeting, f"/meetings/{meeting.id}/next")
    plan = make_plan(members, fresh(AgendaItem, first.id))
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    post(client, meeting, f"/meetings/{meeting.id}/next")
    assert statuses(meeting.id) == ["discussed", "discussing"]
    # Going back to a decided case shows it again without reopening it.
    post(client, meeting, f"/meetings/{meeting.id}/previous")
    assert fresh(Meeting, meeting.id).current_item_id == first.id
    assert statuses(meeting.id) == ["discussed", "pending"]

    response = post(client, meeting, f"/meetings/{meeting.id}/next")
    assert fresh(Meeting, meeting.id).current_item_id == second.id
    post(client, meeting, f"/meetings/{meeting.id}/next")
    response = client.get(page_of(meeting))
    assert "No case is waiting any more" in text_of(response)
    assert fresh(Meeting, meeting.id).current_item_id is None


def test_the_chairs_buttons_carry_access_keys_and_the_hint(client, members):
    meeting, (first, _, _) = open_with_items(client, members)
    post(client, meeting, f"/meetings/items/{first.id}/discuss")
    page = text_of(client.get(page_of(meeting)))
    for key in "npd":
        assert f'accesskey="{key}"' in page
    assert "<kbd>N</kbd> next, <kbd>P</kbd> previous, <kbd>D</kbd> defer" in page
    # No inline script or handler: the live page runs only the vendored and static scripts.
    assert not re.search(r"\son[a-z]+=", page)
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/vendor/htmx-2.0.11.min.js">',
        '<script src="/static/vendor/htmx-ext-sse-2.2.4.min.js">',
        '<script src="/static/live.js">',
    ]


def test_a_case_under_discussion_cannot_be_removed(client, members):
    meeting, (first, _, _) = open_with_items(client, members)
    post(client, meeting, f"/meetings/items/{first.id}/discuss")
    page = text_of(client.get(page_of(meeting)))
    assert f"/meetings/items/{first.id}/remove" not in page
    response = post(client, meeting, f"/meetings/items/{first.id}/remove")
    assert response.status_code == 409
    assert "This case is under discussion, so it cannot be taken off the agenda" in text_of(
        response
    )
    assert fresh(AgendaItem, first.id) is not None


def test_the_remaining_agenda_can_be_reordered_while_the_meeting_runs(client, members):
    meeting, (first, second, third) = open_with_items(client, members)
    post(client, meeting, f"/meetings/items/{first.id}/discuss")
    response = post(client, meeting, f"/meetings/items/{third.id}/move", {"direction": "up"})
    assert response.status_code == 302
    assert [item.id for item in fresh(Meeting, meeting.id).items] == [
        first.id,
        third.id,
        second.id,
    ]
    post(client, meeting, f"/meetings/{meeting.id}/next")
    assert fresh(Meeting, meeting.id).current_item_id == third.id


# Deferral and carry-over ----------------------------------------------------------------------


def test_deferral_puts_the_case_on_the_next_scheduled_meeting_with_a_note(client, members):
    meeting, (first, second, _) = open_with_items(
        client, members, title="June board", starts_at=future(1)
    )
    later = make_meeting(members, title="Later board", starts_at=future(21))
    following = make_meeting(members, title="July board", starts_at=future(8))
    post(client, meeting, f"/meetings/items/{first.id}/discuss")

    response = post(
        client, meeting, f"/meetings/items/{first.id}/defer", {"note": "Awaiting the MRI"}
    )
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "The case is deferred to July board" in page

    item = fresh(AgendaItem, first.id)
    assert (item.status, item.is_active, item.defer_note) == ("deferred", False, "Awaiting the MRI")
    assert item.deferred_to_meeting_id == following.id
    assert fresh(Meeting, meeting.id).current_item_id is None
    moved = db.session.scalars(select(AgendaItem).where(AgendaItem.case_id == first.case_id)).all()
    active = [other for other in moved if other.is_active]
    # The case is on at most one open agenda: the next meeting's, with the note.
    assert len(active) == 1 and active[0].meeting_id == following.id
    day = meeting.starts_at.astimezone(_zone()).strftime("%d %b %Y")
    assert active[0].note == f"Deferred from June board on {day}: Awaiting the MRI"
    assert fresh(Case, first.case_id).status == "on_agenda"
    assert not [other for other in moved if other.meeting_id == later.id]
    assert active[0].note in text_of(client.get(page_of(following)))

    # A waiting case may be deferred too, without a note.
    post(client, meeting, f"/meetings/items/{second.id}/defer", {"note": ""})
    carried = db.session.scalar(
        select(AgendaItem).where(AgendaItem.case_id == second.case_id, AgendaItem.is_active)
    )
    assert carried.meeting_id == following.id
    assert carried.note == f"Deferred from June board on {day}."


def _zone():
    from app.timestamps import board_zone

    return board_zone()


def test_deferral_without_a_next_meeting_makes_the_case_ready_and_says_so(client, members):
    meeting, (first, _, _) = open_with_items(client, members)
    response = post(client, meeting, f"/meetings/items/{first.id}/defer", {"note": "More scans"})
    page = text_of(client.get(response.location))
    assert "No later meeting is scheduled, so it is ready" in page
    assert fresh(AgendaItem, first.id).status == "deferred"
    assert fresh(Case, first.case_id).status == "ready"
    refused = post(client, meeting, f"/meetings/items/{first.id}/defer", {"note": ""})
    assert refused.status_code == 409 and "already “Deferred”" in text_of(refused)


def test_a_case_with_a_signed_plan_is_not_deferred(client, members):
    meeting, (first, _, _) = open_with_items(client, members)
    plan = make_plan(members, first)
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    response = post(client, meeting, f"/meetings/items/{first.id}/defer", {"note": ""})
    assert response.status_code == 409
    assert "This case has a signed plan" in text_of(response)


def test_closing_carries_cases_not_reached_to_the_next_meeting(client, members):
    meeting, (first, second, third) = open_with_items(
        client, members, title="June board", starts_at=future(1)
    )
    following = make_meeting(members, title="July board", starts_at=future(8))
    post(client, meeting, f"/meetings/items/{first.id}/discuss")
    plan = make_plan(members, fresh(AgendaItem, first.id))
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)

    response = post(client, meeting, f"/meetings/{meeting.id}/close")
    assert response.status_code == 302
    assert "2 case(s) not reached carry over to July board" in text_of(
        client.get(response.location)
    )
    assert statuses(meeting.id) == ["discussed", "not_reached", "not_reached"]
    day = meeting.starts_at.astimezone(_zone()).strftime("%d %b %Y")
    for item in (second, third):
        assert fresh(AgendaItem, item.id).deferred_to_meeting_id == following.id
        carried = db.session.scalar(
            select(AgendaItem).where(AgendaItem.case_id == item.case_id, AgendaItem.is_active)
        )
        assert carried.meeting_id == following.id
        assert carried.note == f"Not reached at June board on {day}; carried over."
    assert [item.case_id for item in fresh(Meeting, following.id).items] == [
        second.case_id,
        third.case_id,
    ]


def test_closing_without_a_next_meeting_frees_the_cases(client, members):
    meeting, (first, _, _) = open_with_items(client, members)
    response = post(client, meeting, f"/meetings/{meeting.id}/close")
    assert "3 case(s) not reached are ready for another meeting" in text_of(
        client.get(response.location)
    )
    assert fresh(Case, first.case_id).status == "ready"


def test_closing_with_an_unsigned_case_under_discussion_asks_first(client, members):
    meeting, (first, _, _) = open_with_items(client, members)
    page = text_of(client.get(page_of(meeting)))
    assert 'name="confirm_unsigned"' not in page
    post(client, meeting, f"/meetings/items/{first.id}/discuss")

    response = post(client, meeting, f"/meetings/{meeting.id}/close")
    assert response.status_code == 409
    page = text_of(response)
    assert "The case under discussion has no signed plan" in page
    assert 'name="confirm_unsigned"' in page
    assert "Close although the item under discussion has no signed plan" in page
    assert fresh(Meeting, meeting.id).status == "open"

    response = post(client, meeting, f"/meetings/{meeting.id}/close", {"confirm_unsigned": "y"})
    assert response.status_code == 302
    assert fresh(Meeting, meeting.id).status == "closed"
    item = fresh(AgendaItem, first.id)
    assert (item.status, item.is_active) == ("not_reached", False)
    assert item.ended_at is not None


# Versions, audit, permissions -----------------------------------------------------------------


def test_every_change_moves_the_live_version_on(client, members):
    meeting = make_meeting(members, present=())
    versions = [fresh(Meeting, meeting.id).live_version]
    item = add_item(members, meeting)
    other = add_item(members, meeting)
    versions.append(fresh(Meeting, meeting.id).live_version)
    login(client, "surgeon")
    steps = [
        (f"/meetings/{meeting.id}/open", {}),
        (
            f"/meetings/{meeting.id}/attendance",
            {"member_id": members["oncologist"].id, "specialty": "medical_oncology", "present": 1},
        ),
        (f"/meetings/{meeting.id}/check-in", {}),
        (f"/meetings/{meeting.id}/guests", {"guest_name": "Dr Visitor", "specialty": ""}),
        (f"/meetings/items/{item.id}/discuss", {}),
        (f"/meetings/{meeting.id}/next", {}),
        (f"/meetings/{meeting.id}/previous", {}),
        (f"/meetings/items/{other.id}/move", {"direction": "up"}),
        (f"/meetings/items/{other.id}/minutes", {"minutes": "15"}),
        (f"/meetings/items/{other.id}/defer", {"note": ""}),
        (f"/meetings/{meeting.id}/close", {"confirm_unsigned": "y"}),
    ]
    for url, data in steps:
        response = post(client, meeting, url, data)
        assert response.status_code == 302, (url, text_of(response))
        versions.append(fresh(Meeting, meeting.id).live_version)
    assert versions == sorted(set(versions)), versions


def test_signing_a_plan_moves_the_live_version_on(app, members):
    item = add_item(members)
    plan = make_plan(members, item)
    before = fresh(Meeting, item.meeting_id).live_version
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    assert fresh(Meeting, item.meeting_id).live_version == before + 1


def test_live_changes_are_audited_with_ids_and_codes_only(client, members):
    meeting, (first, _, _) = open_with_items(client, members, title="Private title board")
    post(client, meeting, f"/meetings/items/{first.id}/discuss")
    post(client, meeting, f"/meetings/items/{first.id}/defer", {"note": "Secret clinical note"})
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action != "viewed").order_by(AuditEvent.id)
    ).all()
    opened = [e for e in events if e.entity_type == "meeting" and e.detail.get("status") == "open"]
    assert len(opened) == 1
    deferred = [e for e in events if e.detail.get("status") == "deferred"]
    assert len(deferred) == 1 and deferred[0].entity_id == first.id
    assert deferred[0].patient_id == first.case.patient_id
    for event in events:
        text = repr(event.detail)
        assert "Secret clinical note" not in text and "Private title" not in text
        assert first.case.patient.mrn not in text


@pytest.mark.parametrize("username", ["surgeon2", "oncologist", "physio"])
def test_members_who_do_not_chair_cannot_run_the_meeting(client, members, username):
    meeting = make_meeting(members)
    item = add_item(members, meeting)
    login(client, username)
    page = text_of(client.get(page_of(meeting)))
    assert "Open the meeting" not in page and "Next case" not in page
    for url, data in (
        (f"/meetings/{meeting.id}/open", {}),
        (f"/meetings/{meeting.id}/next", {}),
        (f"/meetings/{meeting.id}/previous", {}),
        (f"/meetings/items/{item.id}/discuss", {}),
        (f"/meetings/items/{item.id}/defer", {"note": ""}),
        (f"/meetings/{meeting.id}/close", {}),
    ):
        assert post(client, meeting, url, data).status_code == 403, url
    stored = fresh(Meeting, meeting.id)
    assert stored.status == "scheduled" and stored.current_item_id is None


def test_a_coordinator_runs_the_meeting_like_the_chair(client, members):
    meeting = make_meeting(members)
    item = add_item(members, meeting)
    login(client, "coordinator")
    assert post(client, meeting, f"/meetings/{meeting.id}/open").status_code == 302
    assert post(client, meeting, f"/meetings/items/{item.id}/discuss").status_code == 302
    assert fresh(Meeting, meeting.id).current_item_id == item.id
