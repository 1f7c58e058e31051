"""The follow-up actions page: every action in force across meetings, whose it is, overdue
ones marked, done by whom and when; a stale page cannot undo a colleague's change."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.decisions.models import Action, Plan
from app.decisions.services import amend_plan, save_plan, sign_plan
from app.extensions import db
from app.followup.services import StaleAction, set_done
from app.meetings import services
from app.meetings.models import Meeting
from app.timestamps import board_today, utcnow
from tests.factories import add_item, make_case, make_meeting, make_plan
from tests.support import count_queries, get_token, login, text_of


def decided(members, meeting, family_name: str, actions: list[dict], *, sign: bool = True):
    """A case on `meeting` with a plan carrying `actions`, signed unless told otherwise."""
    item = add_item(members, meeting, make_case(members, family_name=family_name))
    plan = make_plan(members, item, actions=actions)
    if sign:
        sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    return item, plan


@pytest.fixture
def board(members):
    """An open meeting with two signed plans and one unsigned draft, their actions varied."""
    meeting = make_meeting(members, title="Tuesday spine board")
    services.open_meeting(meeting=meeting, author=members["surgeon"])
    today = board_today()
    _item, first = decided(
        members,
        meeting,
        "Actionone",
        [
            {
                "description": "Book the MRI",
                "owner_member_id": members["radiologist"].id,
                "due_date": today - timedelta(days=3),
            },
            {"description": "Refer for SBRT planning", "owner_specialty": "radiation_oncology"},
        ],
    )
    _item, second = decided(
        members,
        meeting,
        "Actiontwo",
        [
            {
                "description": "Fit a brace",
                "owner_specialty": "physiotherapy",
                "due_date": today + timedelta(days=5),
            }
        ],
    )
    decided(
        members,
        meeting,
        "Actionthree",
        [{"description": "Not agreed yet", "owner_specialty": "physiotherapy"}],
        sign=False,
    )
    return meeting, first, second


def rows(page: str) -> list[str]:
    """Each action's row of the page, as text."""
    return [
        re.sub(r"<[^>]+>|\s+", " ", row)
        for row in re.findall(r'<tr id="action-\d+".*?</tr>', page, re.S)
    ]


def test_all_open_lists_the_signed_plans_actions_soonest_due_first(client, members, board):
    login(client, "coordinator")
    page = text_of(client.get("/actions/?view=open"))
    listed = rows(page)
    assert len(listed) == 3  # not the unsigned draft's
    assert "Book the MRI" in listed[0] and "Overdue" in listed[0]
    assert "Ines Radiologist" in listed[0] and "TESTPERSON" not in listed[0]
    assert "ACTIONONE" in listed[0] and "MRN SYN-" in listed[0]
    assert "Tuesday spine board" in listed[0]
    assert "Fit a brace" in listed[1] and "Overdue" not in listed[1]
    assert "Refer for SBRT planning" in listed[2] and "No date" in listed[2]
    assert "Not agreed yet" not in page
    overdue = rows(text_of(client.get("/actions/?view=overdue")))
    assert len(overdue) == 1 and "Book the MRI" in overdue[0]


def test_mine_is_the_members_own_and_their_specialtys(client, members, board):
    login(client, "radiologist")
    mine = rows(text_of(client.get("/actions/")))  # a specialist sees their own first
    assert len(mine) == 1 and "Book the MRI" in mine[0]
    client.post("/logout", data={"csrf_token": get_token(client, "/actions/")})
    login(client, "radiation")
    mine = rows(text_of(client.get("/actions/?view=mine")))
    assert len(mine) == 1 and "Refer for SBRT planning" in mine[0]


def mark(client, action: Action, *, done: bool, was_done: bool, view: str = "open"):
    token = get_token(client, f"/actions/?view={view}")
    return client.post(
        f"/actions/{action.id}/done",
        data={
            "csrf_token": token,
            "done": "1" if done else "0",
            "was_done": "1" if was_done else "0",
            "view": view,
        },
    )


def test_marking_done_records_who_and_when_and_tells_the_live_meeting(client, members, board):
    meeting, first, _second = board
    action = first.actions[0]
    versions = meeting.live_version
    login(client, "radiologist")
    response = mark(client, action, done=True, was_done=False)
    assert response.status_code == 302 and response.location.endswith("/actions/?view=open")
    page = text_of(client.get(response.location))
    assert "“Book the MRI” is done." in page
    assert all("Book the MRI" not in row for row in rows(page))
    done = rows(text_of(client.get("/actions/?view=done")))
    assert len(done) == 1 and "Book the MRI" in done[0] and "Done by Ines Radiologist" in done[0]
    db.session.expire_all()
    stored = db.session.get(Action, action.id)
    assert stored.is_done and stored.done_by_id == members["radiologist"].id
    assert stored.done_at is not None
    # One audit event for the change, naming the patient; the open meeting's pages hear of it.
    changes = (
        db.session.query(AuditEvent)
        .where(AuditEvent.entity_type == "action")
        .order_by(AuditEvent.id)
        .all()
    )
    assert [(e.action, e.entity_id, e.patient_id) for e in changes] == [
        ("changed", action.id, first.item.case.patient_id)
    ]
    assert db.session.get(Meeting, meeting.id).live_version > versions
    # The item's plan shows it done.
    assert "Done by Ines Radiologist" in text_of(client.get(f"/items/{first.agenda_item_id}"))

    # Reopened: open again, and who marked it is cleared.
    assert mark(client, action, done=False, was_done=True, view="done").status_code == 302
    db.session.expire_all()
    stored = db.session.get(Action, action.id)
    assert not stored.is_done and stored.done_by_id is None and stored.done_at is None


def test_a_stale_page_cannot_undo_a_colleagues_change(client, members, board):
    _meeting, first, _second = board
    action = first.actions[1]
    login(client, "radiation")
    assert mark(client, action, done=True, was_done=False).status_code == 302
    # A page loaded before that still offers "Mark done"; then "Reopen" from a page loaded
    # when it was open is refused too: each names what happened, and nothing changes.
    client.post("/logout", data={"csrf_token": get_token(client, "/actions/")})
    login(client, "coordinator")
    refused = mark(client, action, done=True, was_done=False)
    assert refused.status_code == 409
    assert "Rafael Radiation marked this action done since the page was loaded" in text_of(refused)
    assert "Nothing was changed." in text_of(refused)
    db.session.expire_all()
    assert db.session.get(Action, action.id).done_by_id == members["radiation"].id
    assert mark(client, action, done=False, was_done=True, view="done").status_code == 302
    refused = mark(client, action, done=False, was_done=True, view="done")
    assert refused.status_code == 409
    assert "reopened since the page was loaded" in text_of(refused)


def test_while_a_plan_is_amended_its_signed_actions_stay_and_then_carry_over(
    client, members, board
):
    _meeting, first, _second = board
    mri, referral = first.actions
    login(client, "radiologist")
    assert mark(client, mri, done=True, was_done=False).status_code == 302
    db.session.expire_all()
    amendment = amend_plan(plan=first, author=members["surgeon"], reason="New MRI findings")
    # The chair drafts: one action more. Nothing of the draft is the board's yet.
    draft_actions = [
        {
            "id": a.id,
            "description": a.description,
            "owner_member_id": a.owner_member_id,
            "owner_specialty": a.owner_specialty,
            "due_date": a.due_date,
        }
        for a in amendment.actions
    ]
    amendment = save_plan(
        item=amendment.item,
        author=members["surgeon"],
        base_lock_version=amendment.lock_version,
        intent=amendment.intent,
        rationale=amendment.rationale,
        steps=[(s.option_version.code, s.details) for s in amendment.steps],
        dissents=[],
        actions=[*draft_actions, {"description": "Draft only", "owner_specialty": "physiotherapy"}],
    )
    listed = rows(text_of(client.get("/actions/?view=done")))
    assert len(listed) == 1 and "Book the MRI" in listed[0]
    assert "an amendment of the plan is being drafted" in listed[0]
    open_now = text_of(client.get("/actions/?view=open"))
    assert len(rows(open_now)) == 2 and "Draft only" not in open_now
    # The signed version's actions can still be marked meanwhile.
    assert mark(client, referral, done=True, was_done=False).status_code == 302

    sign_plan(plan=amendment, author=members["surgeon"], base_lock_version=amendment.lock_version)
    # Signed: the amendment's actions are the board's, each unchanged one with its state as it
    # was at signing (the referral was marked after the draft copied it).
    done = rows(text_of(client.get("/actions/?view=done")))
    assert len(done) == 2 and all("Done by" in row for row in done)
    assert all("being drafted" not in row for row in done)
    assert any("Draft only" in row for row in rows(text_of(client.get("/actions/?view=open"))))
    # A page loaded before the signing acts on the old version's action: refused.
    refused = mark(client, mri, done=False, was_done=True, view="done")
    assert refused.status_code == 409
    assert "has been amended since the page was loaded" in text_of(refused)
    db.session.expire_all()
    new_mri = next(a for a in amendment.actions if a.description == "Book the MRI")
    assert mark(client, new_mri, done=False, was_done=True, view="done").status_code == 302


def test_a_bad_or_missing_state_is_refused_and_changes_nothing(client, members, board):
    _meeting, first, _second = board
    login(client, "coordinator")
    token = get_token(client, "/actions/")
    action = first.actions[0]
    response = client.post(
        f"/actions/{action.id}/done", data={"csrf_token": token, "done": "maybe", "was_done": "0"}
    )
    assert response.status_code == 400 and "could not be understood" in text_of(response)
    assert (
        client.post(
            "/actions/999999/done", data={"csrf_token": token, "done": "1", "was_done": "0"}
        ).status_code
        == 404
    )
    db.session.expire_all()
    assert not db.session.get(Action, action.id).is_done


def test_the_page_costs_the_same_queries_for_any_number_of_actions(client, members):
    meeting = make_meeting(members)
    services.open_meeting(meeting=meeting, author=members["surgeon"])
    login(client, "coordinator")
    counts = []
    for cases in (2, 6):
        while db.session.scalar(select(db.func.count(Action.id))) < cases * 2:
            number = db.session.scalar(select(db.func.count(Action.id)))
            decided(
                members,
                meeting,
                f"Queries{number}",
                [
                    {"description": "Book the MRI", "owner_member_id": members["surgeon"].id},
                    {"description": "Refer", "owner_specialty": "radiation_oncology"},
                ],
            )
        with count_queries() as queries:
            page = text_of(client.get("/actions/?view=open"))
        assert len(rows(page)) == cases * 2
        counts.append(queries[0])
    assert counts[0] == counts[1]


def test_a_long_list_is_paged_and_keeps_its_tab(app, client, members, board):
    size, app.config["PAGE_SIZE"] = app.config["PAGE_SIZE"], 2
    try:
        login(client, "coordinator")
        first = text_of(client.get("/actions/?view=open"))
        assert len(rows(first)) == 2 and "Page 1 of 2" in first
        assert "/actions/?page=2&amp;view=open" in first
        second = rows(text_of(client.get("/actions/?page=2&view=open")))
        assert len(second) == 1 and "Refer for SBRT planning" in second[0]
    finally:
        app.config["PAGE_SIZE"] = size


def test_the_list_records_one_view_naming_the_patients_it_shows(client, members, board):
    _meeting, first, second = board
    login(client, "coordinator")
    before = db.session.query(AuditEvent).count()
    client.get("/actions/?view=open")
    db.session.expire_all()
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).offset(before).all()
    assert [(event.action, event.entity_type) for event in events] == [("viewed", "action_list")]
    named = {link.patient_id for link in events[0].patients}
    assert named == {first.item.case.patient_id, second.item.case.patient_id}
    # A list with nothing in it shows no patient and records nothing.
    client.get("/actions/?view=done")
    db.session.expire_all()
    assert db.session.query(AuditEvent).count() == before + 1


@pytest.mark.only_on("postgresql")
def test_a_mark_during_the_signing_of_an_amendment_waits_and_is_then_refused(app, members, board):
    _meeting, first, _second = board
    action = first.actions[1]
    amendment = amend_plan(plan=first, author=members["surgeon"], reason="New imaging")
    # Another server process is signing the amendment: it holds the amended version's row.
    signer = db.engine.connect()
    signing = signer.begin()
    signer.execute(select(Plan.id).where(Plan.id == first.id).with_for_update())
    outcome = {}

    def mark_meanwhile():
        with app.app_context():
            member = db.session.get(User, members["radiation"].id)
            try:
                set_done(action_id=action.id, done=True, was_done=False, author=member)
                outcome["marked"] = True
            except StaleAction as refusal:
                outcome["refused"] = str(refusal)
            finally:
                db.session.remove()

    marking = threading.Thread(target=mark_meanwhile)
    marking.start()
    marking.join(timeout=1.0)
    assert marking.is_alive()  # waiting for the signing to finish
    signer.execute(
        update(Plan).where(Plan.id == amendment.id).values(status="signed", signed_at=utcnow())
    )
    signing.commit()
    signer.close()
    marking.join(timeout=10)
    assert "has been amended since the page was loaded" in outcome["refused"]
    db.session.expire_all()
    assert not db.session.get(Action, action.id).is_done
