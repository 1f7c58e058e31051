"""Exactly one audit event for each change, signature and export of patient data, through the
pages a member uses (views are counted over every page in tests/test_routes.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.decisions.services import current_plan
from app.extensions import db
from tests.factories import add_item, make_case, make_meeting, make_patient, plan_data
from tests.support import login, post_form

EXPECTED_WRITE = ("created", "changed", "signed", "exported")


def new_events(since: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.id > since).order_by(AuditEvent.id))
    )


def last_id() -> int:
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def writes(events) -> list[tuple[str, str]]:
    """The events other than page views (a redirect's next page is a view of its own)."""
    return [(e.action, e.entity_type) for e in events if e.action in EXPECTED_WRITE]


def test_each_change_sign_and_export_records_exactly_one_event(client, members):
    patient = make_patient(members)
    case = make_case(members, patient=patient)
    item = add_item(members, make_meeting(members), case)
    login(client, "surgeon")
    steps = [
        (
            "edit the patient",
            lambda: post_form(
                client,
                f"/patients/{patient.id}/edit",
                {
                    "mrn": patient.mrn,
                    "family_name": "Renamed",
                    "given_name": patient.given_name,
                    "birth_date": patient.birth_date.isoformat(),
                    "sex": patient.sex,
                    "lock_version": str(patient.lock_version),
                },
            ),
            [("changed", "patient")],
        ),
        (
            "add a presentation",
            lambda: post_form(
                client,
                f"/cases/{case.id}/presentations/new",
                {"specialty": "spine_surgery", "summary": "Mechanical pain on loading."},
            ),
            [("created", "presentation")],
        ),
        (
            "give an opinion",
            lambda: post_form(
                client, f"/items/{item.id}/opinion", {"option_1": "sbrt", "reasoning": "SBRT."}
            ),
            [("created", "opinion")],
        ),
        (
            "record the plan",
            lambda: post_form(client, f"/items/{item.id}/plan", plan_data()),
            [("created", "plan")],
        ),
    ]
    for label, act, expected in steps:
        since = last_id()
        response = act()
        assert response.status_code == 302, (label, response.status_code)
        assert writes(new_events(since)) == expected, label

    plan = current_plan(item)
    since = last_id()
    signed = post_form(
        client, f"/plans/{plan.id}/sign", {"lock_version": str(plan.lock_version)},
        form_url=f"/items/{item.id}",
    )  # fmt: skip
    assert signed.status_code == 302
    assert writes(new_events(since)) == [("signed", "plan")]

    since = last_id()
    assert client.get(f"/items/{item.id}/summary.pdf").status_code == 200
    events = new_events(since)
    assert [(e.action, e.entity_type) for e in events] == [("exported", "consensus_summary")]
