"""Two people saving the same plan: the second save is refused, never silently applied."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.decisions.models import Plan
from app.decisions.services import current_plan, save_plan, sign_plan
from app.editing import StaleEdit
from app.extensions import db
from tests.factories import add_item, make_plan, plan_data
from tests.support import csrf_token, login, text_of

CONFLICT = "changed this plan at"
ADVICE = "Your text is below; compare with the current plan and save again."


def _open_form(client, item) -> tuple[str, str]:
    """GET the plan form; return its CSRF token and the lock version it carries."""
    page = text_of(client.get(f"/items/{item.id}/plan"))
    match = re.search(r'id="lock_version" name="lock_version" type="hidden" value="([^"]*)"', page)
    assert match, "the plan form carries no lock version"
    return csrf_token(page), unescape(match.group(1))


def _save(client, item, token: str, data: dict):
    return client.post(f"/items/{item.id}/plan", data={**data, "csrf_token": token})


@pytest.fixture
def chair_and_coordinator(app, members):
    chair, coordinator = app.test_client(), app.test_client()
    login(chair, "surgeon")
    login(coordinator, "coordinator")
    return chair, coordinator


def test_the_second_of_two_editors_gets_a_conflict_with_their_text_kept(
    members, chair_and_coordinator
):
    chair, coordinator = chair_and_coordinator
    item = add_item(members)
    make_plan(members, item, rationale="Initial draft", steps=[("cebrt", "8 Gy in 1 fraction")])

    chair_token, chair_lock = _open_form(chair, item)
    coordinator_token, coordinator_lock = _open_form(coordinator, item)
    assert chair_lock == coordinator_lock == "1"

    first = _save(
        chair,
        item,
        chair_token,
        plan_data(
            lock_version=chair_lock,
            rationale="Chair's rationale",
            steps=[("sbrt", "24 Gy in 2 fractions")],
        ),
    )
    assert first.status_code == 302

    typed = plan_data(
        lock_version=coordinator_lock,
        intent="curative",
        rationale="Coordinator's own wording",
        steps=[("separation_surgery", "Coordinator's details"), ("sbrt", "27 Gy in 3 fractions")],
        dissents=[(members["physio"].id, "Physio's dissent as typed")],
        actions=[
            {
                "description": "Coordinator's action",
                "owner_specialty": "physiotherapy",
                "due_date": "2099-12-31",
            }
        ],
    )
    second = _save(coordinator, item, coordinator_token, typed)
    assert second.status_code == 409
    page = text_of(second)
    assert f"Sven Surgeon {CONFLICT}" in page
    assert re.search(r"changed this plan at \d\d:\d\d while you were editing", page)
    assert ADVICE in page
    # Every field the coordinator typed is still in the form...
    for text in (
        "Coordinator&#39;s own wording",
        'value="Coordinator&#39;s details"',
        'value="27 Gy in 3 fractions"',
        'value="Physio&#39;s dissent as typed"',
        'value="Coordinator&#39;s action"',
        'value="2099-12-31"',
    ):
        assert text in page, text
    assert re.search(r'<option selected value="curative">|<option value="curative" selected>', page)
    # ...and the plan as the chair saved it is shown beside it.
    saved = page[page.index("The plan as saved now") :]
    assert "Chair&#39;s rationale" in saved
    assert "24 Gy in 2 fractions" in saved

    db.session.expire_all()
    assert current_plan(item).rationale == "Chair's rationale"

    # The refused form now carries the current lock version: saving again goes through.
    again = {
        **typed,
        "lock_version": re.search(r'name="lock_version" type="hidden" value="(\d+)"', page).group(
            1
        ),
    }
    assert again["lock_version"] == "2"
    assert _save(coordinator, item, coordinator_token, again).status_code == 302
    db.session.expire_all()
    assert current_plan(item).rationale == "Coordinator's own wording"


def test_two_editors_creating_the_first_plan(members, chair_and_coordinator):
    chair, coordinator = chair_and_coordinator
    item = add_item(members)
    chair_token, _ = _open_form(chair, item)
    coordinator_token, lock = _open_form(coordinator, item)
    assert lock == ""
    assert _save(chair, item, chair_token, plan_data(rationale="Chair first")).status_code == 302
    second = _save(coordinator, item, coordinator_token, plan_data(rationale="Mine too"))
    assert second.status_code == 409
    assert "Sven Surgeon changed this plan at" in text_of(second)
    assert "Mine too" in text_of(second)


def test_signing_a_plan_changed_since_the_page_was_opened_is_refused(
    members, chair_and_coordinator
):
    _, coordinator = chair_and_coordinator
    item = add_item(members)
    plan = make_plan(members, item, rationale="Draft", steps=[("cebrt", "")])
    page = text_of(coordinator.get(f"/items/{item.id}"))
    token = csrf_token(page)
    save_plan(
        item=item,
        author=members["surgeon"],
        base_lock_version=plan.lock_version,
        intent="palliative",
        rationale="Changed under the coordinator",
        steps=[("cebrt", "")],
        dissents=[],
        actions=[],
    )
    response = coordinator.post(
        f"/plans/{plan.id}/sign", data={"csrf_token": token, "lock_version": "1"}
    )
    assert response.status_code == 409
    assert "Sven Surgeon changed this plan at" in text_of(response)
    db.session.expire_all()
    assert current_plan(item).status == "draft"


def test_the_race_between_check_and_write_is_caught_by_the_database(app, members):
    """Both sessions read lock version 1; the other commits first; ours fails at the UPDATE."""
    item = add_item(members)
    plan = make_plan(members, item, rationale="Both start here", steps=[("cebrt", "")])
    ours = current_plan(item)
    assert ours.lock_version == 1

    with Session(db.engine) as other:
        theirs = other.get(Plan, plan.id)
        theirs.rationale = "The other session won"
        theirs.updated_by_id = members["coordinator"].id
        other.commit()
        assert theirs.lock_version == 2

    # Our session still holds lock version 1, so the service's own check passes and only the
    # versioned UPDATE can notice.
    assert ours.lock_version == 1
    with pytest.raises(StaleEdit) as stale:
        save_plan(
            item=item,
            author=members["surgeon"],
            base_lock_version=1,
            intent="curative",
            rationale="Ours, too late",
            steps=[("sbrt", "")],
            dissents=[],
            actions=[],
        )
    assert isinstance(stale.value.__cause__, StaleDataError)
    assert stale.value.current.rationale == "The other session won"
    assert stale.value.current.lock_version == 2
    assert stale.value.current.updated_by.full_name == "Cora Coordinator"
    assert [s.option_version.code for s in stale.value.current.steps] == ["cebrt"]


def test_the_signing_race_is_caught_by_the_database(app, members):
    item = add_item(members)
    plan = make_plan(members, item, rationale="Draft", steps=[("cebrt", "")])
    ours = current_plan(item)
    _ = ours.steps, ours.item.case
    with Session(db.engine) as other:
        other.get(Plan, plan.id).rationale = "Edited elsewhere"
        other.commit()
    with pytest.raises(StaleEdit) as stale:
        sign_plan(plan=ours, author=members["surgeon"], base_lock_version=1)
    assert isinstance(stale.value.__cause__, StaleDataError)
    db.session.expire_all()
    assert current_plan(item).status == "draft"
