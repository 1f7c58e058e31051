"""The meeting page is the agenda: what it shows, who may change it, and how."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.extensions import db
from app.meetings.models import AgendaItem, Meeting
from tests.factories import (
    add_item,
    agenda_order,
    close_meeting,
    future,
    make_case,
    make_meeting,
    utc,
)
from tests.support import count_queries, login, logout, post_form, text_of

LONG_QUESTION = (
    "Cord compression at T7 with progressive weakness over two weeks; is separation surgery "
    "followed by stereotactic body radiotherapy appropriate, or conventional radiotherapy "
    "alone given the expected survival?"
)


def page_of(meeting) -> str:
    return f"/meetings/{meeting.id}"


def add_case(client, meeting, case_id, minutes="10"):
    return post_form(
        client,
        f"/meetings/{meeting.id}/agenda",
        {"case_id": str(case_id), "planned_minutes": minutes},
        form_url=page_of(meeting),
    )


def test_the_agenda_page_shows_the_meeting_and_its_cases(client, members):
    meeting = make_meeting(
        members,
        title="Spine tumour board",
        starts_at=utc(2031, 7, 15, 13, 0),
        location="Seminar room 2",
        video_url="https://video.example.org/spine",
    )
    urgent = make_case(
        members, is_urgent=True, family_name="Quinn", question=LONG_QUESTION, levels=["T7"]
    )
    routine = make_case(
        members, family_name="Brook", levels=["L2", "L3"], question="Cement or not?"
    )
    urgent_item = add_item(members, meeting, urgent, minutes=20)
    routine_item = add_item(members, meeting, routine, minutes=15)
    login(client, "oncologist")
    response = client.get(page_of(meeting))
    assert response.status_code == 200
    page = text_of(response)
    for expected in (
        "Spine tumour board",
        "15 Jul 2031, 14:00",  # London summer time
        "Seminar room 2",
        'href="https://video.example.org/spine"',
        "Sven Surgeon",
        "Scheduled",
        "QUINN, Alex",
        urgent.patient.mrn,
        "BROOK, Alex",
        '<span class="badge urgent">Urgent</span>',
        "L2, L3",
        "Cement or not?",
        "Waiting",
        f'href="/cases/{routine.id}"',
        "35 min",
        "Expected end:\n        14:35",
    ):
        assert expected in page, expected
    assert LONG_QUESTION not in page
    assert LONG_QUESTION[:60] in page
    assert page.index("QUINN") < page.index("BROOK")
    for item in (urgent_item, routine_item):
        assert f'id="item-{item.id}"' in page
    # A member without the coordinator role or the chair sees no controls.
    assert "Add a case" not in page
    assert "Order urgent first" not in page
    assert "/remove" not in page


def test_items_link_to_their_discussion_page_and_case(client, members, app):
    meeting = make_meeting(members)
    item = add_item(members, meeting)
    login(client, "oncologist")
    page = text_of(client.get(page_of(meeting)))
    with app.test_request_context():
        discussion = url_for("decisions.show_item", item_id=item.id)
        case = url_for("cases.show_case", case_id=item.case_id)
    assert f'href="{discussion}"' in page
    assert f'href="{case}"' in page


def test_viewing_the_agenda_records_one_event(client, members):
    meeting = make_meeting(members)
    cases = [make_case(members), make_case(members)]
    for case in cases:
        add_item(members, meeting, case)
    login(client, "radiation")
    client.get(page_of(meeting))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "viewed")).all()
    assert len(events) == 1
    assert (events[0].entity_type, events[0].entity_id) == ("meeting", meeting.id)
    assert events[0].user_id == members["radiation"].id
    assert sorted(link.patient_id for link in events[0].patients) == sorted(
        c.patient_id for c in cases
    )


@pytest.mark.parametrize("username", ["coordinator", "oncologist"])
def test_query_count_does_not_grow_with_the_agenda(client, members, username):
    def queries_for(number_of_items: int) -> int:
        meeting = make_meeting(members, starts_at=future(number_of_items))
        for index in range(number_of_items):
            add_item(members, meeting, make_case(members, is_urgent=index % 3 == 0))
        make_case(members)  # one more that could be added
        client.get(page_of(meeting))  # warm up: same state for both counts
        with count_queries() as queries:
            response = client.get(page_of(meeting))
        assert response.status_code == 200
        assert text_of(response).count('id="item-') == number_of_items
        return queries[0]

    login(client, username)
    assert queries_for(3) == queries_for(30)


def test_a_missing_meeting_is_404(client, members):
    login(client, "oncologist")
    assert client.get("/meetings/4242").status_code == 404


def test_coordinator_adds_a_case_with_default_minutes(client, members):
    meeting = make_meeting(members)
    case = make_case(members, family_name="Adams", levels=["T7"])
    login(client, "coordinator")
    page = text_of(client.get(page_of(meeting)))
    assert "Add a case" in page
    assert 'name="planned_minutes"' in page and 'value="10"' in page
    assert f'<option value="{case.id}">ADAMS, Alex ({case.patient.mrn}) · T7</option>' in page
    response = add_case(client, meeting, case.id)
    assert response.status_code == 302
    assert agenda_order(meeting.id) == [case.id]
    item = db.session.get(Meeting, meeting.id).items[0]
    assert item.planned_minutes == 10
    assert db.session.get(Case, case.id).status == "on_agenda"
    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "agenda_item", AuditEvent.action == "created"
        )
    ).one()
    assert (event.entity_id, event.patient_id) == (item.id, case.patient_id)
    assert "Case added to the agenda." in text_of(client.get(page_of(meeting)))


def test_the_case_list_offers_only_addable_cases_urgent_first(client, members):
    # Closed while no later meeting is scheduled, the old meeting leaves its case ready.
    released = make_case(members, family_name="Fromclosed")
    old_meeting = make_meeting(members, title="Old board", starts_at=future(1))
    add_item(members, old_meeting, released)
    close_meeting(old_meeting)
    meeting = make_meeting(members)
    other_meeting = make_meeting(members, title="Other board", starts_at=future(14))
    make_case(members, family_name="Routine", status="ready")
    make_case(members, family_name="Drafty", status="draft")
    make_case(members, family_name="Urgentone", is_urgent=True)
    make_case(members, family_name="Closedcase", status="closed")
    held = make_case(members, family_name="Heldelsewhere")
    add_item(members, other_meeting, held)
    login(client, "coordinator")
    page = text_of(client.get(page_of(meeting)))
    select_html = page[page.index('name="case_id"') : page.index("</select>")]
    offered = re.findall(r"([A-Z]+), Alex", select_html)
    assert offered[0] == "URGENTONE"
    assert set(offered) == {"URGENTONE", "ROUTINE", "DRAFTY", "FROMCLOSED"}
    assert "Alex (SYN-" in select_html and " · URGENT</option>" in select_html
    assert f'value="{held.id}"' not in select_html


def test_adding_a_case_held_by_another_meeting_names_that_meeting(client, members):
    other = make_meeting(members, title="Thursday board", starts_at=utc(2031, 1, 9, 9, 0))
    meeting = make_meeting(members)
    case = make_case(members)
    add_item(members, other, case)
    login(client, "coordinator")
    response = add_case(client, meeting, case.id)  # a stale list, or a forged request
    assert response.status_code == 409
    page = text_of(response)
    assert "This case is already on the agenda of" in page
    assert f'href="/meetings/{other.id}"' in page
    assert "Thursday board, 09 Jan 2031 09:00" in page
    assert "Nothing was changed." in page
    assert agenda_order(meeting.id) == []
    assert agenda_order(other.id) == [case.id]


def test_adding_the_same_case_twice_to_one_meeting_is_refused(client, members):
    meeting = make_meeting(members)
    case = make_case(members)
    login(client, "coordinator")
    assert add_case(client, meeting, case.id).status_code == 302
    response = add_case(client, meeting, case.id)
    assert response.status_code == 409
    assert "This case is already on this meeting's agenda." in text_of(response)
    assert agenda_order(meeting.id) == [case.id]


def test_a_case_from_a_closed_meeting_can_be_added_through_the_page(client, members):
    old = make_meeting(members, title="Last week")
    case = make_case(members)
    add_item(members, old, case)
    close_meeting(old)
    meeting = make_meeting(members, starts_at=future(14))
    login(client, "coordinator")
    assert add_case(client, meeting, case.id).status_code == 302
    assert agenda_order(meeting.id) == [case.id]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"case_id": "", "planned_minutes": "10"}, "Choose a case to add."),
        ({"planned_minutes": "0"}, "Enter planned minutes between 1 and 120."),
        ({"planned_minutes": "121"}, "Enter planned minutes between 1 and 120."),
        ({"planned_minutes": "ten"}, "Enter the planned minutes as a whole number"),
        ({"planned_minutes": ""}, "Enter the planned minutes."),
    ],
)
def test_bad_add_input_is_explained(client, members, data, message):
    meeting = make_meeting(members)
    case = make_case(members)
    login(client, "coordinator")
    data = {"case_id": str(case.id), **data}
    response = post_form(client, f"/meetings/{meeting.id}/agenda", data, form_url=page_of(meeting))
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    if data["planned_minutes"]:
        assert f'value="{data["planned_minutes"]}"' in page
    assert agenda_order(meeting.id) == []


def test_an_urgent_case_added_through_the_page_goes_after_the_urgent_ones(client, members):
    meeting = make_meeting(members)
    urgent_a, routine, urgent_b = (
        make_case(members, is_urgent=True),
        make_case(members),
        make_case(members, is_urgent=True),
    )
    login(client, "coordinator")
    for case in (urgent_a, routine, urgent_b):
        add_case(client, meeting, case.id)
    assert agenda_order(meeting.id) == [urgent_a.id, urgent_b.id, routine.id]


def test_chair_manages_the_agenda_but_cannot_edit_the_meeting(client, members):
    meeting = make_meeting(members, chair="surgeon")
    case = make_case(members)
    login(client, "surgeon")
    page = text_of(client.get(page_of(meeting)))
    assert "Add a case" in page and "Edit meeting" not in page
    assert add_case(client, meeting, case.id).status_code == 302
    assert agenda_order(meeting.id) == [case.id]
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403


def test_other_members_cannot_change_the_agenda(client, members):
    meeting = make_meeting(members, chair="surgeon")
    case = make_case(members)
    item = add_item(members, meeting, case)
    waiting = make_case(members)
    login(client, "surgeon2")
    form_url = page_of(meeting)
    attempts = [
        (f"/meetings/{meeting.id}/agenda", {"case_id": waiting.id, "planned_minutes": "10"}),
        (f"/meetings/{meeting.id}/agenda/urgent-first", {}),
        (f"/meetings/items/{item.id}/move", {"direction": "down"}),
        (f"/meetings/items/{item.id}/minutes", {"minutes": "30"}),
        (f"/meetings/items/{item.id}/remove", {}),
    ]
    for url, data in attempts:
        assert post_form(client, url, data, form_url=form_url).status_code == 403, url
    assert agenda_order(meeting.id) == [case.id]
    assert db.session.get(AgendaItem, item.id).planned_minutes == 10


def test_changes_without_a_csrf_token_are_refused(client, members):
    meeting = make_meeting(members)
    case = make_case(members)
    login(client, "coordinator")
    response = client.post(
        f"/meetings/{meeting.id}/agenda", data={"case_id": case.id, "planned_minutes": "10"}
    )
    assert response.status_code == 400
    assert agenda_order(meeting.id) == []


def test_move_buttons_reorder_the_agenda(client, members):
    meeting = make_meeting(members)
    a, b, c = make_case(members), make_case(members), make_case(members)
    items = [add_item(members, meeting, case) for case in (a, b, c)]
    login(client, "coordinator")
    page = text_of(client.get(page_of(meeting)))
    # No "up" for the first row, no "down" for the last.
    first_row = page[
        page.index(f'id="item-{items[0].id}"') : page.index(f'id="item-{items[1].id}"')
    ]
    assert 'value="up"' not in first_row and 'value="down"' in first_row
    response = post_form(
        client,
        f"/meetings/items/{items[2].id}/move",
        {"direction": "up"},
        form_url=page_of(meeting),
    )
    assert response.status_code == 302
    assert agenda_order(meeting.id) == [a.id, c.id, b.id]
    post_form(
        client,
        f"/meetings/items/{items[0].id}/move",
        {"direction": "down"},
        form_url=page_of(meeting),
    )
    assert agenda_order(meeting.id) == [c.id, a.id, b.id]


def test_planned_minutes_are_changed_per_item(client, members):
    meeting = make_meeting(members)
    items = [add_item(members, meeting) for _ in range(2)]
    login(client, "coordinator")
    url = f"/meetings/items/{items[1].id}/minutes"
    response = post_form(client, url, {"minutes": "25"}, form_url=page_of(meeting))
    assert response.status_code == 302
    assert db.session.get(AgendaItem, items[1].id).planned_minutes == 25
    assert "35 min" in text_of(client.get(page_of(meeting)))

    response = post_form(client, url, {"minutes": "500"}, form_url=page_of(meeting))
    assert response.status_code == 200
    page = text_of(response)
    row = page[page.index(f'id="item-{items[1].id}"') :]
    assert 'value="500"' in row
    assert "Enter planned minutes between 1 and 120." in row
    db.session.expire_all()
    assert db.session.get(AgendaItem, items[1].id).planned_minutes == 25


def test_remove_is_offered_and_allowed_only_for_waiting_items(client, members):
    meeting = make_meeting(members)
    waiting_case, started_case = make_case(members), make_case(members)
    waiting = add_item(members, meeting, waiting_case)
    started = add_item(members, meeting, started_case)
    started.status = "discussed"
    db.session.commit()
    login(client, "coordinator")
    page = text_of(client.get(page_of(meeting)))
    assert f"/meetings/items/{waiting.id}/remove" in page
    assert f"/meetings/items/{started.id}/remove" not in page

    response = post_form(
        client, f"/meetings/items/{started.id}/remove", {}, form_url=page_of(meeting)
    )
    assert response.status_code == 409
    assert "Only a case that is still waiting can be taken off the agenda" in text_of(response)
    assert agenda_order(meeting.id) == [waiting_case.id, started_case.id]

    response = post_form(
        client, f"/meetings/items/{waiting.id}/remove", {}, form_url=page_of(meeting)
    )
    assert response.status_code == 302
    assert agenda_order(meeting.id) == [started_case.id]
    assert db.session.get(Case, waiting_case.id).status == "ready"


def test_order_urgent_first_button(client, members):
    meeting = make_meeting(members)
    a, b, c = make_case(members), make_case(members), make_case(members)
    for case in (a, b, c):
        add_item(members, meeting, case)
    db.session.get(Case, c.id).is_urgent = True
    db.session.commit()
    login(client, "coordinator")
    response = post_form(
        client, f"/meetings/{meeting.id}/agenda/urgent-first", {}, form_url=page_of(meeting)
    )
    assert response.status_code == 302
    assert agenda_order(meeting.id) == [c.id, a.id, b.id]
    assert "Urgent cases are now first." in text_of(client.get(page_of(meeting)))


def test_a_closed_meeting_shows_no_controls_and_refuses_changes(client, members):
    meeting = make_meeting(members)
    case = make_case(members)
    item = add_item(members, meeting, case)
    close_meeting(meeting)
    login(client, "coordinator")
    page = text_of(client.get(page_of(meeting)))
    assert "Closed" in page
    assert "Add a case" not in page and "Edit meeting" not in page and "/move" not in page
    response = post_form(
        client,
        f"/meetings/{meeting.id}/agenda",
        {"case_id": make_case(members).id, "planned_minutes": "10"},
        form_url=page_of(meeting),
    )
    assert response.status_code == 409
    assert "This meeting is closed" in text_of(response)
    response = post_form(
        client, f"/meetings/items/{item.id}/minutes", {"minutes": "30"}, form_url=page_of(meeting)
    )
    assert response.status_code == 409
    assert db.session.get(AgendaItem, item.id).planned_minutes == 10


def test_switching_member_changes_what_the_page_offers(client, members):
    meeting = make_meeting(members, chair="surgeon")
    login(client, "coordinator")
    assert "Edit meeting" in text_of(client.get(page_of(meeting)))
    logout(client)
    login(client, "physio")
    assert "Edit meeting" not in text_of(client.get(page_of(meeting)))


def test_closing_frees_unfinished_cases_for_the_next_meeting(client, members):
    meeting = make_meeting(members)
    waiting = add_item(members, meeting=meeting, case=make_case(members, status="ready"))
    login(client, "surgeon")  # the chair
    response = post_form(
        client, f"/meetings/{meeting.id}/close", {}, form_url=f"/meetings/{meeting.id}"
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "The meeting is closed. 1 case(s) not reached" in page
    assert "Close the meeting" not in page
    db.session.expire_all()
    assert (meeting.status, waiting.status, waiting.is_active) == ("closed", "not_reached", False)
    assert waiting.case.status == "ready"
    # The case may now go on the next meeting's agenda.
    later = make_meeting(members, title="Next board")
    assert add_item(members, meeting=later, case=waiting.case).is_active


def test_only_the_chair_or_a_coordinator_closes_a_meeting(client, members):
    meeting = make_meeting(members)
    login(client, "oncologist")
    response = post_form(
        client, f"/meetings/{meeting.id}/close", {}, form_url=f"/meetings/{meeting.id}"
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert meeting.status == "scheduled"
