"""Attendance and quorum: marked by the chair, self check-in, guests, and signing without one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.decisions.models import Plan
from app.decisions.services import QuorumNotMet, sign_plan
from app.extensions import db
from app.meetings.models import Attendance, Meeting
from app.meetings.services import is_quorate
from tests.factories import add_item, future, make_case, make_meeting, make_plan
from tests.support import count_queries, login, logout, post_form, text_of


def page_of(meeting) -> str:
    return f"/meetings/{meeting.id}"


def post(client, meeting, url, data=None):
    return post_form(client, url, data or {}, form_url=page_of(meeting))


def mark(client, meeting, member, present=True, specialty=None):
    return post(
        client,
        meeting,
        f"/meetings/{meeting.id}/attendance",
        {
            "member_id": member.id,
            "specialty": member.specialty if specialty is None else specialty,
            "present": "1" if present else "0",
        },
    )


def rows(meeting_id):
    db.session.expire_all()
    return db.session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting_id).order_by(Attendance.id)
    ).all()


def test_the_chair_marks_members_present_and_absent_with_their_specialty(client, members):
    meeting = make_meeting(members, present=())
    login(client, "surgeon")
    assert mark(client, meeting, members["oncologist"]).status_code == 302
    assert mark(client, meeting, members["physio"], specialty="radiation_oncology").status_code
    assert mark(client, meeting, members["oncologist"], present=False).status_code == 302
    stored = {row.member_id: row for row in rows(meeting.id)}
    assert stored[members["oncologist"].id].is_present is False
    assert stored[members["oncologist"].id].checked_in_at is None
    physio = stored[members["physio"].id]
    assert (physio.is_present, physio.specialty) == (True, "radiation_oncology")
    assert physio.recorded_by_id == members["surgeon"].id
    page = text_of(client.get(page_of(meeting)))
    assert "Not quorate" in page
    table = page[page.index('class="quorum"') :]
    assert re.search(r"Radiation oncology.*?</td>\s*<td>Pia Physio</td>", table, re.S)


def test_members_check_themselves_in_once(client, members):
    meeting = make_meeting(members, present=())
    login(client, "radiation")
    page = text_of(client.get(page_of(meeting)))
    assert "I am here" in page
    response = post(client, meeting, f"/meetings/{meeting.id}/check-in")
    assert "You are checked in." in text_of(client.get(response.location))
    response = post(client, meeting, f"/meetings/{meeting.id}/check-in")
    assert "You were already checked in." in text_of(client.get(response.location))
    (row,) = rows(meeting.id)
    assert (row.member_id, row.specialty, row.is_present) == (
        members["radiation"].id,
        "radiation_oncology",
        True,
    )
    assert row.recorded_by_id == members["radiation"].id
    assert "I am here" not in text_of(client.get(page_of(meeting)))


def test_check_in_is_refused_on_a_closed_meeting(client, members):
    meeting = make_meeting(members, present=())
    login(client, "surgeon")
    post(client, meeting, f"/meetings/{meeting.id}/close")
    logout(client)
    login(client, "physio")
    assert "I am here" not in text_of(client.get(page_of(meeting)))
    response = post(client, meeting, f"/meetings/{meeting.id}/check-in")
    assert response.status_code == 409
    assert "This meeting is closed" in text_of(response)
    assert rows(meeting.id) == []


def test_guests_are_added_and_count_towards_the_quorum(client, members):
    meeting = make_meeting(members, present=("oncologist", "radiation", "surgeon"))
    assert not is_quorate(meeting.id)
    login(client, "coordinator")
    response = post(
        client,
        meeting,
        f"/meetings/{meeting.id}/guests",
        {"guest_name": "Dr Vera Visitor", "specialty": "interventional_radiology"},
    )
    assert response.status_code == 302
    assert is_quorate(meeting.id)
    page = text_of(client.get(page_of(meeting)))
    assert "Dr Vera Visitor" in page and "Quorate" in page and "Not quorate" not in page

    (guest,) = [row for row in rows(meeting.id) if row.member_id is None]
    post(
        client,
        meeting,
        f"/meetings/{meeting.id}/guests/presence",
        {"attendance_id": guest.id, "present": "0"},
    )
    assert not is_quorate(meeting.id)
    assert "Missing:\n    Interventional radiology" in text_of(client.get(page_of(meeting)))


def test_a_guest_needs_a_name(client, members):
    meeting = make_meeting(members)
    login(client, "surgeon")
    response = post(
        client, meeting, f"/meetings/{meeting.id}/guests", {"guest_name": "  ", "specialty": ""}
    )
    assert response.status_code == 200
    assert 'id="guest_name-error"><li>Enter the guest&#39;s name.' in text_of(response)


def test_quorum_needs_every_required_specialty(app, members):
    meeting = make_meeting(members, present=("oncologist", "radiation", "radiologist"))
    assert not is_quorate(meeting.id)
    meeting = make_meeting(members, present=("oncologist", "radiation", "radiologist", "surgeon2"))
    assert is_quorate(meeting.id)
    # Physiotherapy is not required by default, and a physio alone makes no quorum.
    meeting = make_meeting(members, present=("physio",))
    assert not is_quorate(meeting.id)


def test_the_required_specialties_come_from_the_configuration_and_the_edit_form(
    client, members, app, monkeypatch
):
    monkeypatch.setitem(app.config, "QUORUM_SPECIALTIES", ("spine_surgery", "physiotherapy"))
    meeting = make_meeting(members, present=("surgeon",))
    assert db.session.get(Meeting, meeting.id).required_specialties == [
        "spine_surgery",
        "physiotherapy",
    ]
    assert not is_quorate(meeting.id)

    login(client, "coordinator")
    form_url = f"/meetings/{meeting.id}/edit"
    page = text_of(client.get(form_url))
    assert re.search(
        r'<input checked id="[^"]+" name="required_specialties" type="checkbox" '
        r'value="physiotherapy">',
        page,
    )
    data = _edit_data(meeting, members, required_specialties=["spine_surgery"])
    assert post_form(client, form_url, data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).required_specialties == ["spine_surgery"]
    assert is_quorate(meeting.id)

    response = post_form(client, form_url, _edit_data(meeting, members, required_specialties=[]))
    assert response.status_code == 200
    assert "Tick at least one specialty that must be present." in text_of(response)


def _edit_data(meeting, members, **changes):
    from app.timestamps import board_zone

    local = meeting.starts_at.astimezone(board_zone())
    db.session.expire_all()
    return {
        "title": meeting.title,
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "location": "Seminar room 2",
        "video_url": "",
        "chair_id": str(members["surgeon"].id),
        "lock_version": str(db.session.get(Meeting, meeting.id).lock_version),
        **changes,
    }


def test_an_unknown_configured_specialty_is_refused(app, members, monkeypatch):
    monkeypatch.setitem(app.config, "QUORUM_SPECIALTIES", ("spine_surgery", "neurology"))
    with pytest.raises(ValueError, match="QUORUM_SPECIALTIES: 'neurology'"):
        make_meeting(members, present=())


# Signing without a quorum ---------------------------------------------------------------------


def _sign(client, plan, **data):
    return post_form(
        client,
        f"/plans/{plan.id}/sign",
        {"lock_version": str(plan.lock_version), **data},
        form_url=f"/items/{plan.agenda_item_id}",
    )


def test_signing_without_a_quorum_needs_a_reason_beside_the_field(client, members):
    meeting = make_meeting(members, present=("oncologist",))
    item = add_item(members, meeting)
    plan = make_plan(members, item)
    login(client, "surgeon")
    page = text_of(client.get(f"/items/{item.id}"))
    assert 'name="quorum_override_reason"' in page

    response = _sign(client, plan)
    assert response.status_code == 200
    assert re.search(
        r'id="quorum_override_reason-error"><li>The meeting is not quorate: give the reason',
        text_of(response),
    )
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).status == "draft"

    response = _sign(client, plan, quorum_override_reason="Radiologist on call; agreed by phone.")
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Plan, plan.id)
    assert stored.status == "signed"
    assert stored.quorum_override_reason == "Radiologist on call; agreed by phone."
    assert "Radiologist on call; agreed by phone." in text_of(client.get(f"/items/{item.id}"))


def test_a_quorate_meeting_signs_without_the_question(client, members):
    item = add_item(members)
    plan = make_plan(members, item)
    login(client, "surgeon")
    assert 'name="quorum_override_reason"' not in text_of(client.get(f"/items/{item.id}"))
    assert _sign(client, plan, quorum_override_reason="Not needed").status_code == 302
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).quorum_override_reason is None


def test_the_service_refuses_to_sign_without_a_quorum_or_a_reason(app, members):
    item = add_item(members, make_meeting(members, present=()))
    plan = make_plan(members, item)
    with pytest.raises(QuorumNotMet):
        sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    signed = sign_plan(
        plan=plan,
        author=members["surgeon"],
        base_lock_version=plan.lock_version,
        quorum_override_reason="Urgent: cord compression.",
    )
    assert signed.quorum_override_reason == "Urgent: cord compression."


# The page's cost ------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_items_or_attendance(client, members):
    def queries_for(number: int) -> int:
        meeting = make_meeting(members, starts_at=future(number))
        for index in range(number):
            add_item(members, meeting, make_case(members, is_urgent=index % 3 == 0))
        for index in range(number):
            post(
                client,
                meeting,
                f"/meetings/{meeting.id}/guests",
                {"guest_name": f"Guest {index}", "specialty": "physiotherapy"},
            )
        post(client, meeting, f"/meetings/{meeting.id}/open")
        post(client, meeting, f"/meetings/{meeting.id}/next")
        client.get(page_of(meeting))  # warm up: same state for both counts
        with count_queries() as queries:
            response = client.get(page_of(meeting))
        assert response.status_code == 200
        assert text_of(response).count('id="item-') == number
        assert text_of(response).count("Guest ") >= number
        return queries[0]

    login(client, "coordinator")
    assert queries_for(3) == queries_for(30)
