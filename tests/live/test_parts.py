"""The live view's parts: each change names the parts it touches, each part can be refetched
alone and comes back as the same element, and the chair's controls hold against a stale tab."""

from __future__ import annotations

import queue
import re

import pytest

from app.audit.models import AuditEvent
from app.cases.services import add_presentation
from app.decisions.services import current_opinion, save_opinion, sign_plan
from app.extensions import db
from app.live import broker
from app.meetings import services
from app.meetings.models import Meeting
from tests.factories import add_item, make_case, make_meeting, make_plan
from tests.support import count_queries, get_token, login, logout, post_form, text_of

PART = re.compile(r'<(\w+)[^>]*\sid="([^"]+)"[^>]*\sdata-live-fragment="([^"]+)"')


def drain(subscription) -> list[tuple[str, ...]]:
    """The fragments named by every event delivered so far."""
    names = []
    while True:
        try:
            names.append(subscription.get(timeout=0).fragments)
        except queue.Empty:
            return names


@pytest.fixture
def running(members):
    """An open meeting chaired by "surgeon", with two cases, the first under discussion."""
    meeting = make_meeting(members)
    first, second = add_item(members, meeting), add_item(members, meeting, minutes=15)
    services.open_meeting(meeting=meeting, author=members["surgeon"])
    services.bring_up(item=first, author=members["surgeon"])
    return meeting, first, second


@pytest.fixture
def events(app, running):
    subscription = broker.subscribe(running[0].id)
    yield subscription
    broker.unsubscribe(subscription)


def test_each_change_names_the_parts_it_touches(members, running, events):
    meeting, first, second = running
    surgeon = members["surgeon"]
    save_opinion(
        item=first,
        author=members["oncologist"],
        option_codes=["sbrt"],
        reasoning="",
        agrees_with_consensus=True,
    )
    plan = make_plan(members, first)
    sign_plan(plan=plan, author=surgeon, base_lock_version=plan.lock_version)
    services.check_in(meeting=meeting, member=members["physio"])
    services.set_planned_minutes(item=second, minutes=20, author=surgeon)
    services.next_item(meeting=meeting, author=surgeon)
    assert drain(events) == [
        (f"opinions-{first.id}",),
        (f"plan-{first.id}",),
        (f"plan-{first.id}", "current", "agenda"),
        ("attendance", "meeting", "opinions"),
        ("agenda", "current"),
        ("current", "agenda", "meeting"),
    ]


def test_a_new_presentation_of_the_case_under_discussion_reaches_the_live_view(
    members, running, events
):
    _, first, _ = running
    add_presentation(
        case=first.case,
        author=members["oncologist"],
        specialty="medical_oncology",
        summary="Responding to systemic therapy.",
        fields={},
        lesions=[],
    )
    assert drain(events) == [("current", "agenda")]
    # A case on no open meeting tells nobody.
    other = make_case(members)
    add_presentation(
        case=other,
        author=members["oncologist"],
        specialty="medical_oncology",
        summary="Stable disease.",
        fields={},
        lesions=[],
    )
    assert drain(events) == []


def test_every_part_of_the_page_comes_back_alone_as_the_same_element(client, members, running):
    meeting, first, _ = running
    login(client, "oncologist")
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    parts = PART.findall(page)
    names = {name for _, _, name in parts}
    assert names == {"meeting", "current", "agenda", "attendance", f"opinions-{first.id}",
                     f"plan-{first.id}"}  # fmt: skip
    for tag, element_id, name in parts:
        response = client.get(f"/meetings/{meeting.id}/live?parts={name}")
        assert response.status_code == 200, name
        body = text_of(response).lstrip()
        # Swapped out of band into the element with the same id: same tag, id and name.
        top = PART.match(body)
        assert top is not None and top.groups() == (tag, element_id, name), body[:300]
        assert 'hx-swap-oob="true"' in body.split(">", 1)[0]
        assert "<html" not in body


def test_several_parts_come_in_one_answer_each_swapped_on_its_own(client, members, running):
    meeting, first, _ = running
    login(client, "oncologist")
    body = text_of(client.get(f"/meetings/{meeting.id}/live?parts=current,agenda,plan-{first.id}"))
    # Three top-level parts; the opinions and plan inside "current" travel with it.
    assert body.count('hx-swap-oob="true"') == 3
    assert [name for _, _, name in PART.findall(body)] == [
        "current",
        f"opinions-{first.id}",
        f"plan-{first.id}",
        "agenda",
        f"plan-{first.id}",
    ]


def test_unknown_or_foreign_parts_are_refused(client, members, running):
    meeting, _, _ = running
    other = add_item(members)
    login(client, "radiation")
    base = f"/meetings/{meeting.id}/live"
    assert client.get(base).status_code == 400
    assert client.get(f"{base}?parts=secrets").status_code == 404
    assert client.get(f"{base}?parts=opinions-{other.id}").status_code == 404
    assert client.get(f"{base}?parts=opinions-x").status_code == 404


def test_the_current_part_shows_the_case_the_timer_and_the_members_opinion_form(
    client, members, running
):
    meeting, first, _ = running
    patient = first.case.patient
    login(client, "oncologist")
    part = text_of(client.get(f"/meetings/{meeting.id}/live?parts=current"))
    assert patient.display_name in part and patient.mrn in part
    assert "Spine map" in part and "Scores" in part and "Presentation by role" in part
    assert f'data-timer-planned="{first.planned_minutes}"' in part
    assert re.search(rf"0:\d\d of {first.planned_minutes} min", part)
    assert f'id="opinion-form-{first.id}"' in part
    # The inline form's fields are named after the item: a half-typed opinion never lands on
    # the next case's form.
    assert f'id="opinion-{first.id}-reasoning"' in part


def test_an_opinion_entered_on_the_live_view_appears_in_the_others_opinions_part(
    client, members, running
):
    meeting, first, _ = running
    login(client, "oncologist")
    prefix = f"opinion-{first.id}-"
    response = post_form(
        client,
        f"/items/{first.id}/opinion",
        {
            "back": "meeting",
            prefix + "option_1": "sbrt",
            prefix + "reasoning": "Radioresistant histology; SBRT.",
            prefix + "agrees_with_consensus": "y",
        },
        form_url=f"/meetings/{meeting.id}",
        token_field=prefix + "csrf_token",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/meetings/{meeting.id}#live")

    logout(client)
    login(client, "radiation")
    part = text_of(client.get(f"/meetings/{meeting.id}/live?parts=opinions-{first.id}"))
    assert "Radioresistant histology; SBRT." in part
    assert "opinion given" in part


def test_a_bad_inline_opinion_keeps_the_text_and_says_what_is_wrong(client, members, running):
    meeting, first, _ = running
    login(client, "oncologist")
    prefix = f"opinion-{first.id}-"
    response = post_form(
        client,
        f"/items/{first.id}/opinion",
        {"back": "meeting", prefix + "reasoning": "My long reasoning, kept."},
        form_url=f"/meetings/{meeting.id}",
        token_field=prefix + "csrf_token",
    )
    page = text_of(response)
    assert response.status_code == 200
    assert "Choose your first option from the catalogue." in page
    assert "My long reasoning, kept." in page


def post_inline_opinion(client, meeting, item, fields: dict, *, before=lambda: None):
    """The live view's opinion form as htmx sends it; `before` runs once the page is loaded."""
    prefix = f"opinion-{item.id}-"
    data = {"back": "meeting", **{prefix + name: value for name, value in fields.items()}}
    data[prefix + "csrf_token"] = get_token(client, f"/meetings/{meeting.id}")
    before()
    return client.post(f"/items/{item.id}/opinion", data=data, headers={"HX-Request": "true"})


def test_the_live_views_opinion_form_saves_in_place(client, members, running):
    meeting, first, _ = running
    login(client, "oncologist")
    fields = {
        "option_1": "sbrt",
        "reasoning": "SBRT; no compression.",
        "agrees_with_consensus": "y",
    }
    events = []

    def count_events():
        db.session.expire_all()
        events.append(db.session.query(AuditEvent).count())

    response = post_inline_opinion(client, meeting, first, fields, before=count_events)
    # The answer is the form itself, saved and filled with the opinion: no page load, so the
    # live page keeps its place and its event stream.
    assert response.status_code == 200
    form = text_of(response)
    assert form.lstrip().startswith("<form") and f'id="opinion-form-{first.id}"' in form
    assert "Your opinion is saved." in form and "SBRT; no compression." in form
    assert '<option selected value="sbrt">' in form
    assert f'hx-post="/items/{first.id}/opinion"' in form
    db.session.expire_all()
    assert current_opinion(first, members["oncologist"]).reasoning == "SBRT; no compression."
    assert "data-saved" in form and "data-unsaved" not in form
    # The opinion saved, and the view of the form that names the patient.
    added = db.session.query(AuditEvent).order_by(AuditEvent.id).offset(events[0]).all()
    assert [(event.action, event.entity_type) for event in added] == [
        ("created", "opinion"),
        ("viewed", "agenda_item"),
    ]
    assert added[1].patient_id == first.case.patient_id


def test_a_refused_in_place_opinion_keeps_the_text_beside_the_message(client, members, running):
    meeting, first, _ = running
    login(client, "oncologist")
    fields = {"option_1": "sbrt", "option_2": "sbrt", "reasoning": "Typed at length, kept."}
    response = post_inline_opinion(client, meeting, first, fields)
    assert response.status_code == 200  # htmx swaps in only successful answers
    form = text_of(response)
    assert form.lstrip().startswith("<form")
    assert "is already your first choice" in form and "Typed at length, kept." in form
    assert f'aria-describedby="opinion-{first.id}-option_2-error"' in form
    assert "Your opinion is saved." not in form
    # Marked unsaved: the live page keeps the typed values through the next refresh.
    assert "data-unsaved" in form and "data-saved" not in form
    db.session.expire_all()
    assert current_opinion(first, members["oncologist"]) is None


def test_reading_parts_that_show_patients_is_audited_once(client, members, running):
    meeting, first, second = running
    login(client, "radiation")
    before = db.session.query(AuditEvent).count()
    client.get(f"/meetings/{meeting.id}/live?parts=current,agenda")
    client.get(f"/meetings/{meeting.id}/live?parts=attendance")  # no patient in it
    db.session.expire_all()
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()[before:]
    assert [(e.action, e.entity_type, e.entity_id) for e in events] == [
        ("viewed", "meeting", meeting.id)
    ]
    named = {link.patient_id for link in events[0].patients}
    assert named == {first.case.patient_id, second.case.patient_id}


@pytest.mark.parametrize("name", ["current", "agenda", "attendance", "meeting", "current,agenda"])
def test_a_part_costs_the_same_queries_whatever_the_agenda_length(client, members, name):
    counts = []
    login(client, "surgeon")
    for size in (2, 6):
        meeting = make_meeting(members)
        items = [add_item(members, meeting) for _ in range(size)]
        services.open_meeting(meeting=meeting, author=members["surgeon"])
        services.bring_up(item=items[0], author=members["surgeon"])
        with count_queries() as queries:
            assert client.get(f"/meetings/{meeting.id}/live?parts={name}").status_code == 200
        counts.append(queries[0])
        services.close_meeting(meeting=meeting, author=members["surgeon"], confirm_unsigned=True)
    assert counts[0] == counts[1], counts


def test_a_second_tab_pressing_next_from_an_older_view_moves_nothing(client, members, running):
    meeting, first, second = running
    login(client, "surgeon")
    page = f"/meetings/{meeting.id}"
    # Tab A moves on; tab B still shows the first case and presses "Next" too.
    moved = post_form(client, f"{page}/next", {"seen_current": str(first.id)}, form_url=page)
    assert moved.status_code == 302
    stale = post_form(client, f"{page}/next", {"seen_current": str(first.id)}, form_url=page)
    assert stale.status_code == 409
    assert "already moved to another case" in text_of(stale)
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).current_item_id == second.id
    # From the page that shows the second case, "Previous" goes back as asked.
    back = post_form(client, f"{page}/previous", {"seen_current": str(second.id)}, form_url=page)
    assert back.status_code == 302
    db.session.expire_all()
    assert db.session.get(Meeting, meeting.id).current_item_id == first.id


def test_moving_between_cases_leaves_the_meeting_details_editable(client, members, running):
    meeting, _first, second = running
    lock_before = meeting.lock_version
    services.next_item(meeting=meeting, author=members["surgeon"])
    db.session.expire_all()
    stored = db.session.get(Meeting, meeting.id)
    assert stored.current_item_id == second.id
    assert stored.lock_version == lock_before


def test_a_closed_meeting_page_holds_no_event_stream(client, members, running):
    meeting, first, _ = running
    services.close_meeting(meeting=meeting, author=members["surgeon"], confirm_unsigned=True)
    login(client, "radiation")
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert "sse-connect" not in page and "<script" not in page
    item_page = text_of(client.get(f"/items/{first.id}"))
    assert "sse-connect" not in item_page


def test_the_item_page_follows_its_meeting(client, members, running):
    meeting, first, _ = running
    login(client, "radiation")
    page = text_of(client.get(f"/items/{first.id}"))
    assert f'sse-connect="/meetings/{meeting.id}/events"' in page
    assert f'data-live-version="{db.session.get(Meeting, meeting.id).live_version}"' in page
    assert f'data-live-fragment="opinions-{first.id}"' in page
    assert f'data-live-fragment="plan-{first.id}"' in page
