"""The audit trail page: newest first, 50 a page, filters, and its own view recorded."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.patients.models import Patient
from tests.support import count_queries, login, text_of

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _patient(mrn: str = "SYN-0001") -> Patient:
    patient = Patient(
        mrn=mrn, family_name="Example", given_name="Eve", birth_date=date(1960, 1, 1), sex="female"
    )
    db.session.add(patient)
    db.session.commit()
    return patient


def _events(count: int, user=None, **fields) -> list[AuditEvent]:
    """`count` events an hour apart from START, entity ids 1, 2, …"""
    events = [
        AuditEvent(
            created_at=START + timedelta(hours=n),
            user_id=user.id if user else None,
            action=fields.get("action", "viewed"),
            entity_type=fields.get("entity_type", "case"),
            entity_id=n + 1,
            patient_id=fields.get("patient_id"),
            detail=fields.get("detail", {}),
        )
        for n in range(count)
    ]
    db.session.add_all(events)
    db.session.commit()
    return events


def _rows(page: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    return [
        unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip()
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _entity_ids(page: str, entity_type: str = "case") -> list[int]:
    return [int(n) for n in re.findall(rf"{entity_type} #(\d+)", page)]


def _audit_views() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "audit_log")))


def test_only_admins_see_the_audit_trail(client, members):
    assert client.get("/admin/audit").status_code == 302
    login(client, "coordinator")
    assert client.get("/admin/audit").status_code == 403
    assert _audit_views() == []


def test_events_show_time_member_action_entity_patient_and_detail(client, members):
    patient = _patient()
    db.session.add_all(
        [
            AuditEvent(
                created_at=datetime(2026, 7, 1, 12, 0, 5, tzinfo=UTC),
                user_id=members["surgeon"].id,
                action="changed",
                entity_type="case",
                entity_id=7,
                patient_id=patient.id,
                detail={"fields": ["levels", "urgency"], "version": 3},
            ),
            AuditEvent(
                created_at=datetime(2026, 7, 1, 12, 30, tzinfo=UTC),
                action="login_failed",
                entity_type="user",
            ),
        ]
    )
    db.session.commit()
    login(client, "admin")
    page = text_of(client.get("/admin/audit"))

    rows = _rows(page)
    # Newest first: the admin's own view of this page, the refused login, then the change.
    assert rows[0].endswith("Ada Admin Viewed audit_log — page=1")
    assert "Ada Admin Logged in user" in rows[1]
    assert rows[2] == "01 Jul 2026 13:30:00 Not logged in Login refused user —"
    # Shown in the board's time zone (London, summer time: UTC+1).
    assert rows[3] == (
        f"01 Jul 2026 13:00:05 Sven Surgeon Changed case #7 Patient #{patient.id} "
        "fields=levels,urgency; version=3"
    )
    assert f'href="/patients/{patient.id}"' in page
    assert "SYN-0001" not in page and "Example" not in page


def test_viewing_records_one_event_without_a_patient(client, members):
    patient = _patient()
    _events(3, members["surgeon"], patient_id=patient.id)
    login(client, "admin")
    client.get(f"/admin/audit?patient_id={patient.id}&action=viewed&page=1")
    [view] = _audit_views()
    assert (view.action, view.user_id, view.entity_id, view.patient_id) == (
        "viewed",
        members["admin"].id,
        None,
        None,
    )
    assert view.detail == {"filters": ["action", "patient_id"], "page": 1}
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 3 + 2  # + login + view


def test_fifty_a_page_newest_first_and_pages_keep_the_filters(client, members):
    _events(120, members["surgeon"])
    login(client, "admin")

    first = text_of(client.get("/admin/audit?entity_type=case"))
    assert _entity_ids(first) == list(range(120, 70, -1))
    assert "120 events, newest first; page 1 of 3" in first
    assert 'href="/admin/audit?page=2&amp;entity_type=case"' in first
    assert "Newer events" not in first

    second = text_of(client.get("/admin/audit?page=2&entity_type=case"))
    assert _entity_ids(second) == list(range(70, 20, -1))
    assert 'href="/admin/audit?page=1&amp;entity_type=case"' in second
    assert 'href="/admin/audit?page=3&amp;entity_type=case"' in second

    last = text_of(client.get("/admin/audit?page=3&entity_type=case"))
    assert _entity_ids(last) == list(range(20, 0, -1))
    assert "Older events" not in last

    beyond = text_of(client.get("/admin/audit?page=99&entity_type=case"))
    assert _entity_ids(beyond) == _entity_ids(last)
    assert _entity_ids(text_of(client.get("/admin/audit?page=nonsense&entity_type=case"))) == (
        _entity_ids(first)
    )


def test_query_count_does_not_grow_with_the_rows(client, members):
    _events(3, members["surgeon"])
    login(client, "admin")
    # Each request starts as with a fresh database session (the tests share one).
    db.session.expire_all()
    with count_queries() as few:
        client.get("/admin/audit")
    for username in ("oncologist", "radiation", "physio", "surgeon2"):
        _events(12, members[username])
    db.session.expire_all()
    with count_queries() as many:
        page = text_of(client.get("/admin/audit"))
    assert all(name in page for name in ("Olga Oncologist", "Pia Physio", "Sam Second-Surgeon"))
    assert many[0] == few[0]


def test_filters(client, members):
    patient, other_patient = _patient("SYN-0001"), _patient("SYN-0002")
    _events(2, members["surgeon"], entity_type="case", patient_id=patient.id)
    _events(3, members["oncologist"], action="changed", entity_type="presentation")
    _events(4, members["physio"], entity_type="patient", patient_id=other_patient.id)
    login(client, "admin")

    def shown(query: str) -> list[str]:
        page = text_of(client.get("/admin/audit?" + query))
        return [row for row in _rows(page) if "audit_log" not in row and "Logged in" not in row]

    by_member = shown(f"member={members['oncologist'].id}")
    assert len(by_member) == 3 and all("Olga Oncologist" in row for row in by_member)
    assert len(shown("action=changed")) == 3
    assert len(shown("entity_type=patient")) == 4
    assert len(shown(f"patient_id={patient.id}")) == 2
    assert len(shown(f"patient_id={other_patient.id}&member={members['physio'].id}")) == 4
    assert shown(f"patient_id={other_patient.id}&member={members['surgeon'].id}") == [
        "No events match these filters."
    ]

    page = text_of(client.get(f"/admin/audit?member={members['oncologist'].id}&action=changed"))
    assert f'<option selected value="{members["oncologist"].id}">' in page
    assert '<option selected value="changed">Changed</option>' in page
    assert '<option value="presentation">presentation</option>' in page


def test_date_filters_use_the_boards_days(client, members):
    # 23:30 UTC on 1 July is already 2 July in London (summer time).
    for hour, entity_id in ((12, 1), (23, 2)):
        db.session.add(
            AuditEvent(
                created_at=datetime(2026, 7, 1, hour, 30, tzinfo=UTC),
                action="viewed",
                entity_type="case",
                entity_id=entity_id,
            )
        )
    db.session.add(
        AuditEvent(
            created_at=datetime(2026, 7, 3, 10, 0, tzinfo=UTC),
            action="viewed",
            entity_type="case",
            entity_id=3,
        )
    )
    db.session.commit()
    login(client, "admin")

    def ids(query: str) -> list[int]:
        return _entity_ids(text_of(client.get("/admin/audit?entity_type=case&" + query)))

    assert ids("date_from=2026-07-01&date_to=2026-07-01") == [1]
    assert ids("date_from=2026-07-02&date_to=2026-07-02") == [2]
    assert ids("date_from=2026-07-02") == [3, 2]
    assert ids("date_to=2026-07-02") == [2, 1]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("patient_id=abc", "patient_id", "Enter the patient number as digits"),
        ("date_from=31/12/2026", "date_from", "Enter the date as YYYY-MM-DD"),
        ("date_from=2026-07-02&date_to=2026-07-01", "date_to", "The end date is before"),
        ("member=9999", "member", "Choose a member from the list."),
        ("action=deleted", "action", "Choose an action from the list."),
        ("entity_type=nothing", "entity_type", "Choose an entity type from the list."),
    ],
)
def test_bad_filters_are_explained(client, members, query, field, message):
    _events(2, members["surgeon"])
    login(client, "admin")
    response = client.get("/admin/audit?" + query)
    assert response.status_code == 200
    page = text_of(response)
    error = re.search(rf'id="{field}-error">(.*?)</ul>', page, re.S)
    assert error and message in unescape(error.group(1))
    assert "Correct the filters above to see the events." in page
    assert "<tbody>" not in page
