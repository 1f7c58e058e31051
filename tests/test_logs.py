"""No patient data, password or session token in the application's log output."""

from __future__ import annotations

import http.client
import logging
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from tests.factories import add_item, make_case, make_meeting, make_patient
from tests.live.conftest import live_server  # noqa: F401 (the fixture)
from tests.support import PASSWORD

CANARY_NAME = "Canarysurname"
CANARY_GIVEN = "Canarygiven"
CANARY_MRN = "CANARY-4471"
CANARY_PASSWORD = "canary-password-never-logged-8812"


@pytest.fixture
def all_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_main_flows_log_no_patient_data_password_or_session(
    live_server,  # noqa: F811
    members,
    all_logs,
):
    patient = make_patient(members, mrn=CANARY_MRN, family_name=CANARY_NAME)
    case = make_case(members, patient=patient)
    item = add_item(members, make_meeting(members), case)
    visitor = live_server.visitor()
    # A failed login with a canary password, then a real one.
    visitor.post(
        "/login", {"username": "oncologist", "password": CANARY_PASSWORD}, form_path="/login"
    )
    visitor.post("/login", {"username": "oncologist", "password": PASSWORD}, form_path="/login")
    session_token = visitor.cookies.get("session", "")
    assert session_token
    pages = [
        f"/cases/?q={CANARY_NAME}",
        f"/cases/?q={CANARY_MRN}",
        f"/cases/new?mrn={CANARY_MRN}",
        f"/patients/{patient.id}",
        f"/cases/{case.id}",
        f"/items/{item.id}",
        f"/items/{item.id}/summary",
    ]
    for path in pages:
        status, _, _ = visitor.request("GET", path)
        assert status in (200, 302), path
    # The PDF export (read as bytes).
    conn = http.client.HTTPConnection(live_server.host, live_server.port, timeout=30)
    conn.request(
        "GET", f"/items/{item.id}/summary.pdf", headers={"Cookie": visitor._cookie_header()}
    )
    exported = conn.getresponse()
    assert exported.status == 200 and exported.read().startswith(b"%PDF")
    conn.close()
    # Registering a second patient with the same MRN is refused (and must not log the values).
    visitor.post(
        "/patients/new",
        {
            "mrn": CANARY_MRN,
            "family_name": CANARY_NAME,
            "given_name": CANARY_GIVEN,
            "birth_date": "1961-02-03",
            "sex": "female",
        },
        form_path="/patients/new",
    )
    logged = all_logs.text
    assert "GET /cases/" in logged  # the request log is there, and was read
    for canary in (CANARY_NAME, CANARY_GIVEN, CANARY_MRN, CANARY_PASSWORD, session_token):
        assert canary not in logged, canary


def test_a_failed_statement_logs_neither_its_values_nor_the_refused_row(app, members, all_logs):
    make_patient(members, mrn=CANARY_MRN, family_name=CANARY_NAME)
    try:
        db.session.execute(
            text(
                "INSERT INTO patient (mrn, family_name, given_name, birth_date, sex, created_at) "
                "VALUES (:mrn, :family, :given, '1960-01-01', 'female', CURRENT_TIMESTAMP)"
            ),
            {"mrn": CANARY_MRN, "family": CANARY_NAME, "given": CANARY_GIVEN},
        )
    except IntegrityError:
        # What Flask does with an exception a request did not handle.
        with app.test_request_context("/patients/new", method="POST"):
            app.log_exception(sys.exc_info())
    finally:
        db.session.rollback()
    logged = all_logs.text
    assert "IntegrityError from the database" in logged  # the failure is logged, with its type
    assert "Traceback" in logged
    for canary in (CANARY_NAME, CANARY_GIVEN, CANARY_MRN):
        assert canary not in logged, canary
