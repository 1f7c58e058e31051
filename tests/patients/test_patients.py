"""Registering a patient, the patient page, and editing identifiers."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from app.audit.models import AuditEvent
from app.editing import StaleEdit
from app.extensions import db
from app.patients.models import Patient
from app.patients.services import DuplicateMRN, register_patient, update_patient
from tests.factories import make_case
from tests.support import login, post_form, text_of

NEW = {
    "mrn": "SYN-0001",
    "family_name": "Ashdown",
    "given_name": "Peter",
    "birth_date": "1960-03-14",
    "sex": "male",
}


def register(members, **overrides):
    fields = {
        "mrn": "SYN-0001",
        "family_name": "Ashdown",
        "given_name": "Peter",
        "birth_date": date(1960, 3, 14),
        "sex": "male",
        "author": members["surgeon"],
    }
    fields.update(overrides)
    return register_patient(**fields)


def events(action=None, entity_type=None):
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    return db.session.scalars(query).all()


def test_pages_need_login(client, members):
    patient = register(members)
    for url in ("/patients/new", f"/patients/{patient.id}", f"/patients/{patient.id}/edit"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.location


def test_registering_leads_to_opening_a_case(client, members):
    login(client, "physio")
    response = post_form(client, "/patients/new", {**NEW, "mrn": "  SYN-0001 "})
    assert response.status_code == 302
    patient = db.session.scalar(select(Patient))
    assert response.location.endswith(f"/cases/new?patient_id={patient.id}")
    assert (patient.mrn, patient.family_name, patient.given_name) == (
        "SYN-0001",
        "Ashdown",
        "Peter",
    )
    assert patient.birth_date == date(1960, 3, 14)
    assert patient.sex == "male"
    assert patient.created_by_id == members["physio"].id
    page = client.get(response.location)
    assert "Open a case for ASHDOWN, Peter" in text_of(page)


def test_registration_is_audited_without_identifiers(client, members):
    login(client, "coordinator")
    post_form(client, "/patients/new", NEW)
    patient = db.session.scalar(select(Patient))
    (created,) = events("created", "patient")
    assert created.entity_id == patient.id
    assert created.patient_id == patient.id
    assert created.user_id == members["coordinator"].id
    detail = json.dumps(created.detail)
    assert "mrn" in detail  # the field name, not its value
    for secret in ("SYN-0001", "Ashdown", "Peter", "1960"):
        assert secret not in detail


@pytest.mark.parametrize(
    ("blank", "message"),
    [
        ("mrn", "Enter the MRN."),
        ("family_name", "Enter the family name."),
        ("given_name", "Enter the given name."),
        ("birth_date", "Enter the date of birth."),
        ("sex", "Choose the sex (Unknown if it is not recorded)."),
    ],
)
def test_each_required_field_says_what_is_missing(client, members, blank, message):
    login(client, "surgeon")
    response = post_form(client, "/patients/new", {**NEW, blank: ""})
    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalar(select(func.count(Patient.id))) == 0


def test_spaces_only_are_not_an_mrn(client, members):
    login(client, "surgeon")
    response = post_form(client, "/patients/new", {**NEW, "mrn": "   "})
    assert response.status_code == 200
    assert "Enter the MRN." in text_of(response)


def test_an_mrn_has_at_most_64_characters(client, members):
    login(client, "surgeon")
    response = post_form(client, "/patients/new", {**NEW, "mrn": "X" * 65})
    assert "An MRN has at most 64 characters." in text_of(response)


def test_date_of_birth_cannot_be_in_the_future(client, members):
    login(client, "surgeon")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    response = post_form(client, "/patients/new", {**NEW, "birth_date": tomorrow})
    assert response.status_code == 200
    page = text_of(response)
    assert "The date of birth cannot be in the future." in page
    assert 'value="Ashdown"' in page


def test_an_unreadable_date_gets_an_example(client, members):
    login(client, "surgeon")
    response = post_form(client, "/patients/new", {**NEW, "birth_date": "31/02/1960"})
    assert "Enter the date of birth as a date, for example 1956-03-14." in text_of(response)


def test_unknown_sex_code_is_refused(client, members):
    login(client, "surgeon")
    response = post_form(client, "/patients/new", {**NEW, "sex": "x"})
    assert "Choose the sex from the list." in text_of(response)


def test_duplicate_mrn_names_the_patient_and_keeps_what_was_typed(client, members):
    existing = register(members, mrn="SYN-0001", family_name="Brierley", given_name="Graham")
    login(client, "oncologist")
    typed = {
        "mrn": " syn-0001 ",
        "family_name": "Calloway",
        "given_name": "Helen",
        "birth_date": "1971-11-23",
        "sex": "female",
    }
    response = post_form(client, "/patients/new", typed)
    assert response.status_code == 200
    page = text_of(response)
    assert "A patient with MRN SYN-0001 is already registered:" in page
    assert f'<a href="/patients/{existing.id}">BRIERLEY, Graham</a>' in page
    # The message sits with the MRN field, and every typed value is still there.
    mrn_field = page[page.index('id="mrn"') : page.index('id="family_name"')]
    assert "already registered" in mrn_field
    assert 'value=" syn-0001 "' in page
    assert 'value="Calloway"' in page
    assert 'value="Helen"' in page
    assert 'value="1971-11-23"' in page
    assert re.search(r'<option selected value="female">|<option value="female" selected', page)
    assert db.session.scalar(select(func.count(Patient.id))) == 1


def test_duplicate_mrn_from_the_service_carries_the_existing_patient(app, members):
    existing = register(members)
    with pytest.raises(DuplicateMRN) as duplicate:
        register(members, mrn="syn-0001\t", family_name="Other")
    assert duplicate.value.existing.id == existing.id


def test_two_registrations_racing_for_one_mrn(app, members):
    """The unique constraint decides when another registration commits between check and insert."""

    def competitor(mapper, connection, target):
        if fired:
            return
        fired.append(True)
        with db.engine.connect() as other:
            other.execute(
                insert(Patient).values(
                    mrn="SYN-0001",
                    family_name="Quick",
                    given_name="Quentin",
                    birth_date=date(1950, 1, 1),
                    sex="male",
                    lock_version=1,
                    created_at=datetime.now(UTC),
                )
            )
            other.commit()

    fired: list = []
    event.listen(Patient, "before_insert", competitor)
    try:
        with pytest.raises(DuplicateMRN) as duplicate:
            register(members)
    finally:
        event.remove(Patient, "before_insert", competitor)
    assert duplicate.value.existing.family_name == "Quick"
    assert db.session.scalar(select(func.count(Patient.id))) == 1


def test_patient_page_shows_identifiers_and_cases_and_is_audited(client, members):
    patient = register(members)
    case = make_case(
        members,
        patient=patient,
        question="SBRT or conventional radiotherapy?",
        primary_site="prostate",
        histology="",
        levels=["S3"],
    )
    login(client, "physio")
    response = client.get(f"/patients/{patient.id}")
    assert response.status_code == 200
    page = text_of(response)
    for shown in ("ASHDOWN, Peter", "SYN-0001", "14 Mar 1960", "Male", "SBRT or conventional"):
        assert shown in page
    assert f"/cases/{case.id}" in page
    assert f"/cases/new?patient_id={patient.id}" in page
    (viewed,) = events("viewed", "patient")
    assert (viewed.entity_id, viewed.patient_id) == (patient.id, patient.id)
    assert viewed.user_id == members["physio"].id


def test_unknown_patient_is_404(client, members):
    login(client, "physio")
    assert client.get("/patients/999").status_code == 404


def test_editing_a_patient(client, members):
    patient = register(members)
    login(client, "coordinator")
    response = post_form(
        client,
        f"/patients/{patient.id}/edit",
        {**NEW, "given_name": "Pete", "lock_version": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert patient.given_name == "Pete"
    assert patient.lock_version == 2
    (changed,) = events("changed", "patient")
    assert changed.detail == {"fields": ["given_name"]}


def test_a_stale_patient_edit_is_refused_and_keeps_the_text(client, members):
    patient = register(members)
    login(client, "coordinator")
    form_page = text_of(client.get(f"/patients/{patient.id}/edit"))
    assert 'name="lock_version" type="hidden" value="1"' in form_page
    update_patient(
        patient=patient, base_lock_version=1, author=members["surgeon"], family_name="Ashdown-Lee"
    )
    response = post_form(
        client,
        f"/patients/{patient.id}/edit",
        {**NEW, "given_name": "Pierre", "lock_version": "1"},
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "someone else changed this patient after you opened this form" in page
    assert 'value="Pierre"' in page
    assert "ASHDOWN-LEE, Peter" in page  # what is saved now
    db.session.expire_all()
    assert (patient.family_name, patient.given_name) == ("Ashdown-Lee", "Peter")
    # Saving again from the refreshed form applies the member's version knowingly.
    again = post_form(
        client,
        f"/patients/{patient.id}/edit",
        {**NEW, "given_name": "Pierre", "lock_version": "2"},
    )
    assert again.status_code == 302


def test_stale_edit_from_the_service(app, members):
    patient = register(members)
    update_patient(patient=patient, base_lock_version=1, author=members["surgeon"], sex="unknown")
    with pytest.raises(StaleEdit):
        update_patient(patient=patient, base_lock_version=1, author=members["surgeon"], sex="male")


def test_editing_to_another_patients_mrn_is_refused(client, members):
    register(members, mrn="SYN-0001")
    second = register(members, mrn="SYN-0002", family_name="Brierley")
    login(client, "coordinator")
    response = post_form(
        client,
        f"/patients/{second.id}/edit",
        {**NEW, "mrn": "syn-0001", "family_name": "Brierley", "lock_version": "1"},
    )
    assert response.status_code == 200
    assert "A patient with MRN SYN-0001 is already registered" in text_of(response)
    db.session.expire_all()
    assert second.mrn == "SYN-0002"
