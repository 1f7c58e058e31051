"""Scheduling and editing meetings: board time, place or video, the chair, stale edits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.editing import StaleEdit
from app.extensions import db
from app.meetings import services
from app.meetings.models import DEFAULT_REQUIRED_SPECIALTIES, Meeting
from app.timestamps import utcnow
from tests.factories import make_meeting, utc
from tests.support import login, logout, post_form, text_of

NEW = "/meetings/new"


def meeting_data(members, **overrides) -> dict:
    data = {
        "title": "Spine tumour board",
        "date": (utcnow() + timedelta(days=10)).date().isoformat(),
        "time": "14:00",
        "location": "Seminar room 2",
        "video_url": "",
        "chair_id": str(members["surgeon"].id),
        # Only the edit form has the quorum's specialties; the new form ignores them.
        "required_specialties": list(DEFAULT_REQUIRED_SPECIALTIES),
    }
    data.update(overrides)
    return data


@pytest.fixture
def london(app, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_TIMEZONE", "Europe/London")


def test_new_meeting_form_offers_default_title_and_active_members(client, members):
    members["physio"].is_active = False
    db.session.commit()
    login(client, "coordinator")
    page = text_of(client.get(NEW))
    assert 'value="Spine tumour board"' in page
    assert "Sven Surgeon (Spine surgery)" in page
    assert "Pia Physio" not in page


def test_summer_time_in_london_is_stored_as_utc(client, members, london):
    login(client, "coordinator")
    summer = date(utcnow().year + 1, 7, 15)
    response = post_form(client, NEW, meeting_data(members, date=summer.isoformat(), time="14:00"))
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.starts_at == utc(summer.year, 7, 15, 13, 0)
    assert meeting.chair_id == members["surgeon"].id
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}")
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert "15 Jul" in page and "14:00" in page


def test_winter_time_in_london_equals_utc(client, members, london):
    login(client, "coordinator")
    winter = date(utcnow().year + 1, 1, 20)
    post_form(client, NEW, meeting_data(members, date=winter.isoformat(), time="14:00"))
    meeting = db.session.scalars(select(Meeting)).one()
    assert meeting.starts_at == utc(winter.year, 1, 20, 14, 0)


def test_scheduling_is_audited_without_free_text(client, members):
    login(client, "coordinator")
    post_form(client, NEW, meeting_data(members, location="Room of Dr Secret"))
    meeting = db.session.scalars(select(Meeting)).one()
    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "meeting", AuditEvent.action == "created"
        )
    ).one()
    assert event.entity_id == meeting.id
    assert event.user_id == members["coordinator"].id
    assert "Secret" not in repr(event.detail)


def test_a_new_meeting_cannot_be_in_the_past(client, members):
    login(client, "coordinator")
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    response = post_form(client, NEW, meeting_data(members, date=yesterday, title="Kept title"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Choose a date and time in the future." in page
    assert 'value="Kept title"' in page
    assert db.session.scalars(select(Meeting)).all() == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"location": "", "video_url": ""}, "Enter a place, a video link, or both."),
        (
            {"video_url": "http://video.example.org/board"},
            "Enter the video link as a full web address starting with https://",
        ),
        ({"video_url": "meet board"}, "starting with https://"),
        ({"title": ""}, "Enter a title for the meeting."),
        ({"date": ""}, "Enter the date of the meeting."),
        ({"date": "tomorrow"}, "Enter the date as year-month-day"),
        ({"time": ""}, "Enter the start time."),
        ({"time": "2pm"}, "Enter the start time as hours:minutes"),
        ({"chair_id": ""}, "Choose the chair."),
        ({"chair_id": "999999"}, "Choose the chair from the list of active members."),
    ],
)
def test_bad_input_is_explained_next_to_the_field(client, members, overrides, message):
    login(client, "coordinator")
    response = post_form(client, NEW, meeting_data(members, **overrides))
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert 'class="errors"' in page
    assert db.session.scalars(select(Meeting)).all() == []


def test_video_only_meeting_is_accepted(client, members):
    login(client, "coordinator")
    response = post_form(
        client,
        NEW,
        meeting_data(members, location="", video_url="https://video.example.org/spine"),
    )
    assert response.status_code == 302
    meeting = db.session.scalars(select(Meeting)).one()
    assert (meeting.location, meeting.video_url) == ("", "https://video.example.org/spine")


def test_a_time_skipped_by_the_clocks_is_refused(client, members, london):
    login(client, "coordinator")
    # The last Sunday of March: in London 01:00 jumps to 02:00.
    day = date(utcnow().year + 1, 3, 31)
    while day.weekday() != 6:
        day -= timedelta(days=1)
    response = post_form(client, NEW, meeting_data(members, date=day.isoformat(), time="01:30"))
    assert response.status_code == 200
    assert "This time does not exist on that day" in text_of(response)


@pytest.mark.parametrize("username", ["surgeon", "oncologist", "admin"])
def test_only_coordinators_schedule_and_edit(client, members, username):
    meeting = make_meeting(members, chair="surgeon")
    login(client, username)
    assert client.get(NEW).status_code == 403
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403
    token_page = f"/meetings/{meeting.id}"
    assert post_form(client, NEW, meeting_data(members), form_url=token_page).status_code == 403
    response = post_form(
        client, f"/meetings/{meeting.id}/edit", meeting_data(members), form_url=token_page
    )
    assert response.status_code == 403
    assert db.session.scalars(select(Meeting)).one().title == "Spine tumour board"


def test_anonymous_visitor_is_sent_to_log_in(client, members):
    assert client.get(NEW).status_code == 302
    assert client.get("/meetings/").status_code == 302


def edit_data(members, meeting, **overrides) -> dict:
    data = meeting_data(
        members,
        date=(utcnow() + timedelta(days=20)).date().isoformat(),
        lock_version=str(meeting.lock_version),
    )
    data.update(overrides)
    return data


def test_coordinator_edits_a_meeting(client, members, london):
    meeting = make_meeting(members)
    login(client, "coordinator")
    page = text_of(client.get(f"/meetings/{meeting.id}/edit"))
    assert 'value="Seminar room 2"' in page
    assert f'name="lock_version" type="hidden" value="{meeting.lock_version}"' in page
    day = date(utcnow().year + 1, 6, 1)
    response = post_form(
        client,
        f"/meetings/{meeting.id}/edit",
        edit_data(
            members,
            meeting,
            title="Extra spine board",
            date=day.isoformat(),
            time="08:30",
            chair_id=str(members["oncologist"].id),
            video_url="https://video.example.org/extra",
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    assert meeting.title == "Extra spine board"
    assert meeting.starts_at == utc(day.year, 6, 1, 7, 30)
    assert meeting.chair_id == members["oncologist"].id
    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "changed", AuditEvent.entity_type == "meeting"
        )
    ).one()
    assert set(event.detail["fields"]) == {"title", "starts_at", "video_url", "chair_id"}


def test_stale_edit_is_refused_with_409_and_the_typed_text_kept(client, members):
    meeting = make_meeting(members)
    login(client, "coordinator")
    loaded_version = meeting.lock_version
    # Someone else saves the meeting after this editor opened the form.
    services.update_meeting(
        meeting=meeting,
        base_lock_version=loaded_version,
        author=members["coordinator"],
        location="Lecture theatre",
    )
    response = post_form(
        client,
        f"/meetings/{meeting.id}/edit",
        edit_data(members, meeting, title="My new title", lock_version=str(loaded_version)),
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "Someone else changed this meeting after you opened it." in page
    assert "Lecture theatre" in page
    assert 'value="My new title"' in page
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).title == "Spine tumour board"

    # Saving again from the conflict page replaces the current version knowingly.
    current_version = db.session.get(Meeting, meeting.id).lock_version
    assert f'name="lock_version" type="hidden" value="{current_version}"' in page
    response = post_form(
        client,
        f"/meetings/{meeting.id}/edit",
        edit_data(members, meeting, title="My new title", lock_version=str(current_version)),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).title == "My new title"


def test_update_meeting_service_refuses_an_old_version(app, members):
    meeting = make_meeting(members)
    old = meeting.lock_version
    services.update_meeting(
        meeting=meeting, base_lock_version=old, author=members["coordinator"], title="Changed"
    )
    with pytest.raises(StaleEdit):
        services.update_meeting(
            meeting=meeting, base_lock_version=old, author=members["coordinator"], title="Lost"
        )
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).title == "Changed"


def test_coordinator_logged_out_then_surgeon_cannot_edit(client, members):
    meeting = make_meeting(members)
    login(client, "coordinator")
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 200
    logout(client)
    login(client, "surgeon")
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403
