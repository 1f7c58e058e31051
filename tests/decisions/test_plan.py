"""The agreed plan: recording, refusals, signing, amending, and catalogue changes afterwards."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.catalogue.services import current_version_by_code, sync_catalogue
from app.clinical.catalogue import load_catalogue
from app.decisions.models import Plan
from app.decisions.services import PlanLocked, amend_plan, current_plan, save_plan, sign_plan
from app.editing import StaleEdit
from app.extensions import db
from tests.factories import OPTION_NAMES, add_item, in_days, make_meeting, make_plan, plan_data
from tests.support import login, post_form, text_of

LOCKED = "This plan is signed and locked. Amend it to make changes: the signed version is kept."


def _plan_url(item) -> str:
    return f"/items/{item.id}/plan"


def _sign_through_page(client, plan: Plan):
    return post_form(
        client,
        f"/plans/{plan.id}/sign",
        {"lock_version": str(plan.lock_version)},
        form_url=f"/items/{plan.agenda_item_id}",
    )


@pytest.mark.parametrize(
    ("username", "status"), [("oncologist", 403), ("surgeon", 200), ("coordinator", 200)]
)
def test_only_the_chair_or_a_coordinator_records_the_plan(client, members, username, status):
    item = add_item(members, make_meeting(members, chair="surgeon"))
    login(client, username)
    assert client.get(_plan_url(item)).status_code == status
    response = post_form(client, _plan_url(item), plan_data(), form_url=f"/items/{item.id}")
    assert response.status_code == (403 if status == 403 else 302)
    assert (current_plan(item) is None) == (status == 403)


def test_the_chair_records_a_plan_shown_on_the_item_page(client, members):
    item = add_item(members)
    login(client, "surgeon")
    data = plan_data(
        steps=[
            ("separation_surgery", "Posterior approach"),
            ("", ""),
            ("sbrt", "24 Gy in 2 fractions"),
        ],
        dissents=[(members["radiation"].id, "Would treat with SBRT alone")],
        actions=[
            {
                "description": "Book theatre",
                "owner_member": members["surgeon2"].id,
                "due_date": in_days(3),
            },
            {
                "description": "Plan the SBRT",
                "owner_specialty": "radiation_oncology",
                "due_date": in_days(14),
            },
        ],
    )
    response = post_form(client, _plan_url(item), data)
    assert response.status_code == 302, text_of(response)

    page = text_of(client.get(f"/items/{item.id}"))
    assert '<span class="badge draft">Draft</span>' in page
    assert "Agreed plan · version 1" in page
    assert "Palliative" in page
    surgery = page.index(OPTION_NAMES["separation_surgery"], page.index("Agreed plan · version 1"))
    sbrt = page.index(OPTION_NAMES["sbrt"], surgery)
    assert surgery < sbrt
    assert "/catalogue/sbrt?version=1" in page
    assert "24 Gy in 2 fractions" in page
    assert "Radioresistant primary with high-grade compression." in page
    assert "Rafael Radiation" in page and "Would treat with SBRT alone" in page
    assert "Book theatre" in page and "Sam Second-Surgeon" in page
    assert "Plan the SBRT" in page
    assert "Not signed yet" in page

    plan = current_plan(item)
    assert [(s.position, s.option_version.code) for s in plan.steps] == [
        (1, "separation_surgery"),
        (2, "sbrt"),
    ]
    assert [(a.owner_member_id, a.owner_specialty) for a in plan.actions] == [
        (members["surgeon2"].id, None),
        (None, "radiation_oncology"),
    ]
    assert plan.dissents[0].member_id == members["radiation"].id


def test_a_plan_without_steps_is_refused_with_a_message(client, members):
    item = add_item(members)
    login(client, "surgeon")
    response = post_form(client, _plan_url(item), plan_data(steps=[], rationale="Kept rationale"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Add at least one step: choose an option from the catalogue." in page
    assert 'id="steps-0-option-error"' in page
    assert "Kept rationale" in page
    assert current_plan(item) is None


def test_dissent_without_a_reason_and_action_owner_errors_are_shown_by_the_field(client, members):
    item = add_item(members)
    login(client, "coordinator")
    data = plan_data(
        dissents=[(members["physio"].id, "")],
        actions=[
            {
                "description": "Two owners",
                "owner_member": members["surgeon"].id,
                "owner_specialty": "physiotherapy",
                "due_date": in_days(1),
            },
            {"description": "No owner", "due_date": in_days(1)},
            {
                "description": "Overdue already",
                "owner_specialty": "physiotherapy",
                "due_date": in_days(-1),
            },
        ],
    )
    response = post_form(client, _plan_url(item), data)
    assert response.status_code == 200
    page = text_of(response)
    assert re.search(r'id="dissents-0-reason-error"><li>Say why this member dissents.', page)
    assert re.search(
        r'id="actions-0-owner_member-error"><li>'
        r"Choose a member or a specialty as the owner, not both.",
        page,
    )
    assert re.search(
        r'id="actions-1-owner_member-error"><li>'
        r"Choose who owns this action: a member or a specialty.",
        page,
    )
    assert re.search(
        r'id="actions-2-due_date-error"><li>The due date cannot be before today.', page
    )
    assert current_plan(item) is None


def test_a_non_chair_cannot_sign(client, members):
    item = add_item(members)
    plan = make_plan(members, item)
    login(client, "oncologist")
    assert _sign_through_page(client, plan).status_code == 403
    assert current_plan(item).status == "draft"


def test_the_item_page_offers_signing_only_to_the_chair_or_a_coordinator(client, members):
    item = add_item(members)
    plan = make_plan(members, item)
    login(client, "oncologist")
    assert f"/plans/{plan.id}/sign" not in text_of(client.get(f"/items/{item.id}"))
    client_chair = client.application.test_client()
    login(client_chair, "surgeon")
    assert f"/plans/{plan.id}/sign" in text_of(client_chair.get(f"/items/{item.id}"))


def test_signing_locks_the_plan_and_marks_the_item_discussed(client, members):
    item = add_item(members)
    plan = make_plan(members, item)
    login(client, "surgeon")
    response = _sign_through_page(client, plan)
    assert response.status_code == 302

    page = text_of(client.get(f"/items/{item.id}"))
    assert '<span class="badge signed">Signed</span>' in page
    assert "Signed by Sven Surgeon on" in page
    db.session.expire_all()
    assert (item.status, item.is_active, item.case.status) == ("discussed", False, "discussed")

    form = client.get(_plan_url(item))
    assert form.status_code == 200
    assert LOCKED in text_of(form)
    assert 'name="steps-0-option"' not in text_of(form)

    response = post_form(
        client,
        _plan_url(item),
        plan_data(lock_version=2, rationale="Too late"),
        form_url=f"/items/{item.id}",
    )
    # Signed while this member was typing: refused, with what they typed given back.
    assert response.status_code == 409
    page = text_of(response)
    assert "signed this plan at" in page
    assert "Too late" in page
    assert "Amend the signed plan" in page
    assert "Save the plan" not in page
    db.session.expire_all()
    assert current_plan(item).rationale == "Agreed at the board."


def test_amendment_makes_a_new_version_and_keeps_the_signed_one(client, members):
    item = add_item(members)
    plan = make_plan(members, item)
    login(client, "surgeon")
    _sign_through_page(client, plan)

    refused = post_form(
        client, f"/plans/{plan.id}/amend", {"reason": ""}, form_url=f"/items/{item.id}"
    )
    assert refused.status_code == 200
    assert "Say why the plan is amended." in text_of(refused)

    response = post_form(
        client,
        f"/plans/{plan.id}/amend",
        {"reason": "Patient declined surgery"},
        form_url=f"/items/{item.id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    amendment = current_plan(item)
    assert (amendment.version, amendment.status, amendment.amends_id) == (2, "draft", plan.id)
    assert amendment.amendment_reason == "Patient declined surgery"
    assert [s.option_version_id for s in amendment.steps] == [
        s.option_version_id for s in db.session.get(Plan, plan.id).steps
    ]

    page = text_of(client.get(f"/items/{item.id}"))
    assert "Agreed plan · version 2" in page
    assert '<span class="badge draft">Draft</span>' in page

    data = plan_data(
        lock_version=amendment.lock_version,
        steps=[("cebrt", "8 Gy in 1 fraction")],
        rationale="Radiotherapy alone after the patient's decision.",
    )
    assert post_form(client, _plan_url(item), data).status_code == 302

    old = text_of(client.get(f"/plans/{plan.id}"))
    assert "Agreed at the board." in old
    assert "24 Gy in 2 fractions" in old
    assert "Signed by Sven Surgeon on" in old
    assert "superseded by an amendment" in old
    assert "8 Gy in 1 fraction" not in old

    db.session.expire_all()
    amendment = current_plan(item)
    login_coordinator = client.application.test_client()
    login(login_coordinator, "coordinator")
    assert _sign_through_page(login_coordinator, amendment).status_code == 302

    page = text_of(client.get(f"/items/{item.id}"))
    assert "Agreed plan · version 2" in page
    assert "Signed by Cora Coordinator on" in page
    assert "8 Gy in 1 fraction" in page
    earlier = page[page.index("Earlier versions of the plan") :]
    assert f"/plans/{plan.id}" in earlier
    assert "Version 1" in earlier
    assert "Superseded by an amendment" in earlier


def test_a_catalogue_change_after_signing_leaves_the_signed_plan_as_agreed(client, members):
    item = add_item(members)
    plan = make_plan(members, item)
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    old_name = OPTION_NAMES["sbrt"]

    edited = tuple(
        dataclasses.replace(option, name="SBRT (revised wording)")
        if option.code == "sbrt"
        else option
        for option in load_catalogue()
    )
    sync_catalogue(edited)
    db.session.commit()
    assert current_version_by_code("sbrt").version == 2

    login(client, "physio")
    page = text_of(client.get(f"/plans/{plan.id}"))
    assert old_name in page
    assert "SBRT (revised wording)" not in page
    assert "/catalogue/sbrt?version=1" in page
    assert "(catalogue version 1)" in page

    catalogue = client.get("/catalogue/sbrt")
    if catalogue.status_code == 200 and "SBRT" in text_of(catalogue):
        assert "SBRT (revised wording)" in text_of(catalogue)


def test_services_refuse_what_the_rules_forbid(app, members):
    item = add_item(members)
    plan = make_plan(members, item)

    def save_over(base_lock_version: int, steps: list[tuple[str, str]]):
        return save_plan(
            item=item,
            author=members["surgeon"],
            base_lock_version=base_lock_version,
            intent="curative",
            rationale="",
            steps=steps,
            dissents=[],
            actions=[],
        )

    with pytest.raises(StaleEdit):
        make_plan(members, item)
    with pytest.raises(StaleEdit) as stale:
        save_over(plan.lock_version + 5, [("sbrt", "")])
    assert stale.value.current.id == plan.id
    with pytest.raises(ValueError, match="steps"):
        save_over(plan.lock_version, [])
    with pytest.raises(ValueError, match="'laser'"):
        save_over(plan.lock_version, [("laser", "")])
    with pytest.raises(ValueError, match="draft"):
        amend_plan(plan=plan, author=members["surgeon"], reason="Why not")
    signed = sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    with pytest.raises(PlanLocked):
        save_over(signed.lock_version, [("sbrt", "")])
    with pytest.raises(PlanLocked):
        sign_plan(plan=signed, author=members["surgeon"], base_lock_version=signed.lock_version)
    amendment = amend_plan(plan=signed, author=members["surgeon"], reason="New imaging")
    with pytest.raises(StaleEdit):
        amend_plan(plan=db.session.get(Plan, plan.id), author=members["surgeon"], reason="Again")
    assert current_plan(item).id == amendment.id


def test_plan_changes_are_audited_with_codes_and_field_names_only(app, members):
    item = add_item(members)
    plan = make_plan(members, item, rationale="Free text that stays out of the audit trail")
    plan = save_plan(
        item=item,
        author=members["surgeon"],
        base_lock_version=plan.lock_version,
        intent="curative",
        rationale="Free text that stays out of the audit trail",
        steps=[("sbrt", "Changed details")],
        dissents=[],
        actions=[],
    )
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "plan").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["created", "changed", "signed"]
    assert {e.patient_id for e in events} == {item.case.patient_id}
    assert events[1].detail["fields"] == ["intent", "steps"]
    assert events[1].detail["options"] == ["sbrt"]
    assert "Free text" not in str([e.detail for e in events])
    assert "Changed details" not in str([e.detail for e in events])
