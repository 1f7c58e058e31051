"""The live meeting in three real browsers: the chair drives, two members follow without
reloading, opinions and the plan travel between them, and deferral moves a case on."""

from __future__ import annotations

import time

import pytest

from app.cases.services import add_presentation
from app.decisions.services import current_opinion
from app.extensions import db
from app.meetings.models import AgendaItem
from tests.browser.conftest import record_timing, screenshot
from tests.factories import add_item, future, make_case, make_meeting, make_plan

pytestmark = pytest.mark.only_on("sqlite")  # one server process, the in-process broker


@pytest.fixture
def expect():
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def board(members):
    """A meeting chaired by "surgeon" with two cases, and the next meeting a fortnight later."""
    meeting = make_meeting(members)
    first = add_item(
        members, meeting, case=make_case(members, given_name="Ada", family_name="Synthetic")
    )
    second = add_item(
        members, meeting, case=make_case(members, given_name="Ben", family_name="Synthetic")
    )
    later = make_meeting(members, starts_at=future(days=14), present=())
    return meeting, first, second, later


# Notes the moment (epoch ms) the case under discussion first shows the given text.
WATCH_FOR = """(text) => {
  window.shownAt = null;
  const seen = () => {
    const line = document.querySelector("#live .live-case-line");
    if (line && line.textContent.includes(text)) { window.shownAt = window.shownAt || Date.now(); }
  };
  new MutationObserver(seen).observe(document.body, {childList: true, subtree: true});
}"""


def members_named(oncologist, radiation):
    return (("oncologist", oncologist), ("radiation", radiation))


def follow(page, server, meeting):
    page.goto(f"{server.url}/meetings/{meeting.id}")
    # Set once: still there at the end only if the page was never reloaded.
    page.evaluate("window.neverReloaded = true")
    return page


def test_the_board_follows_the_chair_through_a_case(server, open_as, board, members, expect):
    meeting, first, second, later = board
    chair = follow(open_as("surgeon"), server, meeting)
    oncologist = follow(open_as("oncologist"), server, meeting)
    radiation = follow(open_as("radiation"), server, meeting)
    members_pages = (oncologist, radiation)
    for page in members_pages:
        expect(page.locator("#live h2")).to_have_text("Not open yet")

    # The chair opens the meeting and brings up the first case: both members' pages follow.
    chair.get_by_role("button", name="Open the meeting").click()
    for page in members_pages:
        expect(page.locator("#live h2")).to_have_text("Under discussion")
    for page in members_pages:
        page.evaluate(WATCH_FOR, "SYNTHETIC, Ada")
    clicked = time.time() * 1000
    chair.get_by_role("button", name="Bring SYNTHETIC, Ada into discussion").click()
    for page in members_pages:
        expect(page.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ada")
    # Kept for a person to read, never asserted (bench/live_fanout.py measures the stream):
    # from the chair's click to the case showing on each member's page. The first case shown
    # includes the server compiling the case templates.
    for name, page in members_named(oncologist, radiation):
        record_timing(f"first_case_shown_to_{name}_ms", page.evaluate("window.shownAt") - clicked)
    for page in members_pages:
        expect(page.locator(f"#item-{first.id}")).to_contain_text("Under discussion")
        expect(page.locator("#live .timer")).to_contain_text(f"of {first.planned_minutes} min")

    # The oncologist is typing when the radiation oncologist's opinion arrives: nothing lost.
    reasoning = f"#opinion-{first.id}-reasoning"
    oncologist.locator(reasoning).fill("Separation surgery first, then SBRT")
    radiation.locator(f"#opinion-{first.id}-option_1").select_option("sbrt")
    radiation.locator(f"#opinion-{first.id}-reasoning").fill("SBRT alone: low-grade ESCC.")
    radiation.locator(f"#opinion-form-{first.id} button[type=submit]").click()
    # Saved in place: the form says so, the page stays (and keeps its stream).
    expect(radiation.locator(f"#opinion-form-{first.id}")).to_contain_text("Your opinion is saved.")
    expect(oncologist.locator(f"#opinions-{first.id}")).to_contain_text(
        "SBRT alone: low-grade ESCC."
    )
    assert oncologist.locator(reasoning).input_value() == "Separation surgery first, then SBRT"
    assert oncologist.evaluate("document.activeElement.id") == reasoning[1:]

    # The oncologist saves: the chair's page shows the opinion.
    oncologist.locator(f"#opinion-{first.id}-option_1").select_option("separation_surgery")
    oncologist.locator(f"#opinion-form-{first.id} button[type=submit]").click()
    expect(chair.locator(f"#opinions-{first.id}")).to_contain_text(
        "Separation surgery first, then SBRT"
    )
    expect(oncologist.locator(f"#opinion-form-{first.id}")).to_contain_text(
        "Your opinion is saved."
    )
    assert oncologist.locator(reasoning).input_value() == "Separation surgery first, then SBRT"
    for page in members_pages:
        assert page.evaluate("window.neverReloaded") is True

    # The chair's draft plan appears; the chair signs it on the live view; everyone sees it.
    make_plan(members, first)
    expect(chair.locator(f"#plan-{first.id}")).to_contain_text("Sign plan version 1")
    chair.locator(f"#plan-{first.id}").get_by_role("button", name="Sign plan version 1").click()
    for page in members_pages:
        signed = page.locator(f"#plan-{first.id} .badge.signed").filter(has_text="Signed")
        expect(signed).to_have_count(1)
        expect(page.locator(f"#item-{first.id}")).to_contain_text("Discussed")
    screenshot(oncologist, "member-view-signed-plan")

    # Next case, then the chair defers it with a note: it goes to the next meeting.
    chair.goto(f"{server.url}/meetings/{meeting.id}")
    for page in members_pages:
        page.evaluate(WATCH_FOR, "SYNTHETIC, Ben")
    clicked = time.time() * 1000
    chair.get_by_role("button", name="Next case").click()
    for page in members_pages:
        expect(page.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ben")
    for name, page in members_named(oncologist, radiation):
        record_timing(f"next_case_shown_to_{name}_ms", page.evaluate("window.shownAt") - clicked)
    expect(chair.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ben")
    screenshot(chair, "chair-view")
    chair.locator(f"#defer-note-{second.id}-live").fill("Awaiting the MRI")
    chair.get_by_role("button", name="Defer SYNTHETIC, Ben to the next meeting").first.click()
    for page in members_pages:
        expect(page.locator(f"#item-{second.id}")).to_contain_text("Deferred")
        expect(page.locator(f"#item-{second.id}")).to_contain_text(later.title)
        assert page.evaluate("window.neverReloaded") is True
    db.session.expire_all()
    carried = db.session.query(AgendaItem).filter_by(meeting_id=later.id).one()
    assert carried.case_id == second.case_id and "Awaiting the MRI" in carried.note


def opened(server, open_as, meeting):
    """The chair's page and the oncologist's (following), once the chair has opened the meeting."""
    chair = open_as("surgeon")
    member = follow(open_as("oncologist"), server, meeting)
    chair.goto(f"{server.url}/meetings/{meeting.id}")
    chair.get_by_role("button", name="Open the meeting").click()
    return chair, member


def discussing(server, open_as, meeting, expect, patient: str):
    """As `opened`, with `patient`'s case brought up and shown on the member's page."""
    chair, member = opened(server, open_as, meeting)
    chair.get_by_role("button", name=f"Bring {patient} into discussion").click()
    expect(member.locator("#live .live-case-line")).to_contain_text(patient)
    return chair, member


def test_a_dropped_connection_shows_a_notice_and_catches_up(
    server, open_as, board, members, expect
):
    meeting, _first, second, _ = board
    chair, member = opened(server, open_as, meeting)
    expect(member.locator("#live h2")).to_have_text("Under discussion")

    server.outage.down.set()
    expect(member.locator("#live-status")).to_be_visible()
    expect(member.locator("#live-status")).to_contain_text("Reconnecting")
    # The meeting moves on while the member is cut off.
    chair.get_by_role("button", name="Bring SYNTHETIC, Ben into discussion").click()
    member.locator(f"#defer-note-{second.id}").count()  # the member sees no chair controls
    server.outage.down.clear()

    expect(member.locator("#live-status")).to_be_hidden(timeout=15000)
    expect(member.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ben")
    assert member.evaluate("window.neverReloaded") is True


def test_an_opinion_that_fails_to_save_stays_in_the_form_and_saves_later(
    server, open_as, board, members, expect
):
    meeting, first, _second, _ = board
    chair, member = discussing(server, open_as, meeting, expect, "SYNTHETIC, Ada")

    reasoning = member.locator(f"#opinion-{first.id}-reasoning")
    member.locator(f"#opinion-{first.id}-option_1").select_option("sbrt")
    reasoning.fill("Typed during a network fault.")
    save = member.locator(f"#opinion-form-{first.id} button[type=submit]")
    status = member.locator("#live-status")
    # The server answers with an error, then cannot be reached at all: each time the member is
    # told it was not saved, and what they typed stays.
    opinion_url = f"**/items/{first.id}/opinion"
    member.route(opinion_url, lambda route: route.fulfill(status=503, body="unavailable"))
    save.click()
    expect(status).to_contain_text("Not saved (503)")
    member.unroute(opinion_url)
    member.route(opinion_url, lambda route: route.abort("connectionrefused"))
    save.click()
    expect(status).to_contain_text("the server could not be reached")
    assert reasoning.input_value() == "Typed during a network fault."
    member.unroute(opinion_url)
    save.click()
    expect(member.locator(f"#opinion-form-{first.id}")).to_contain_text("Your opinion is saved.")
    expect(status).to_be_hidden()
    expect(chair.locator(f"#opinions-{first.id}")).to_contain_text("Typed during a network fault.")
    assert member.evaluate("window.neverReloaded") is True


def test_a_refused_opinion_keeps_its_text_when_the_case_is_refreshed(
    server, open_as, board, members, expect
):
    meeting, first, _second, _ = board
    _chair, member = discussing(server, open_as, meeting, expect, "SYNTHETIC, Ada")

    member.locator(f"#opinion-{first.id}-option_1").select_option("sbrt")
    member.locator(f"#opinion-{first.id}-option_2").select_option("sbrt")
    member.locator(f"#opinion-{first.id}-reasoning").fill("Typed, refused, kept.")
    member.locator(f"#opinion-form-{first.id} button[type=submit]").click()
    expect(member.locator(f"#opinion-form-{first.id}")).to_contain_text("already your first choice")
    # A colleague adds to the case's presentation: the case part is fetched again.
    add_presentation(
        case=first.case,
        author=members["radiation"],
        specialty="radiation_oncology",
        summary="No prior radiotherapy to the spine.",
        fields={},
        lesions=[],
    )
    expect(member.locator("#live")).to_contain_text("No prior radiotherapy to the spine.")
    form = member.locator(f"#opinion-form-{first.id}")
    assert form.locator(f"#opinion-{first.id}-reasoning").input_value() == "Typed, refused, kept."
    assert form.locator(f"#opinion-{first.id}-option_2").input_value() == "sbrt"
    assert member.evaluate("window.neverReloaded") is True


def test_an_opinion_kept_aside_when_the_board_moves_on_saves_from_there(
    server, open_as, board, members, expect
):
    meeting, first, _second, _ = board
    chair, member = discussing(server, open_as, meeting, expect, "SYNTHETIC, Ada")
    member.locator(f"#opinion-{first.id}-option_1").select_option("sbrt")
    member.locator(f"#opinion-{first.id}-reasoning").fill("Written as the board moved on.")

    chair.get_by_role("button", name="Next case").click()
    expect(member.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ben")
    kept = member.locator(".kept-draft")
    expect(kept).to_contain_text("The meeting moved on while you were writing")
    assert kept.locator(f"#opinion-{first.id}-reasoning").input_value() == (
        "Written as the board moved on."
    )
    kept.get_by_role("button", name="Save my opinion").click()
    expect(member.locator("#kept-drafts")).to_contain_text("The opinion you kept aside is saved.")
    expect(member.locator(".kept-draft")).to_have_count(0)
    db.session.expire_all()
    saved = current_opinion(first, members["oncologist"])
    assert saved is not None and saved.reasoning == "Written as the board moved on."

    # Back to that case: its form appears once, with the saved opinion.
    chair.get_by_role("button", name="Previous case").click()
    expect(member.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ada")
    expect(member.locator(f"#opinion-form-{first.id}")).to_have_count(1)
    expect(member.locator(f"#opinion-{first.id}-reasoning")).to_have_value(
        "Written as the board moved on."
    )
    assert member.evaluate("window.neverReloaded") is True


def test_the_chairs_two_tabs_stay_in_step(server, open_as, board, members, expect):
    meeting, _first, second, _ = board
    tab_a = open_as("surgeon")
    tab_a.goto(f"{server.url}/meetings/{meeting.id}")
    tab_a.get_by_role("button", name="Open the meeting").click()
    tab_b = follow(tab_a.context.new_page(), server, meeting)

    tab_a.get_by_role("button", name="Next case").click()
    expect(tab_b.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ada")
    tab_b.get_by_role("button", name="Next case").click()
    expect(tab_a.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ben")
    expect(tab_b.locator("#live .live-case-line")).to_contain_text("SYNTHETIC, Ben")
    db.session.expire_all()
    assert db.session.get(type(meeting), meeting.id).current_item_id == second.id
