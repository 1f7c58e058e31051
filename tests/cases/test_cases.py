"""Opening, editing and marking a case ready; the case page and its audit."""

import json
from datetime import UTC, date, datetime

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.cases.services import add_presentation, update_case
from app.extensions import db
from tests.factories import add_item, make_case, make_patient, make_plan
from tests.support import count_queries, login, post_form, text_of

NEW_CASE = {
    "question": "Separation surgery then SBRT, or radiotherapy alone?",
    "primary_site": "colon",
    "histology": "Sigmoid adenocarcinoma",
    "levels": ["L3", "T9"],
    "referring_clinician": "Dr Referrer",
}


def a_patient(members):
    return make_patient(
        members,
        mrn="SYN-0001",
        family_name="Everleigh",
        given_name="Martin",
        birth_date=date(1969, 1, 30),
        sex="male",
        author="coordinator",
    )


def viewed_events():
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "viewed").order_by(AuditEvent.id)
    ).all()


def test_opening_a_case(client, members):
    patient = a_patient(members)
    login(client, "oncologist")
    url = f"/cases/new?patient_id={patient.id}"
    response = post_form(client, url, {**NEW_CASE, "suspected_mscc": "y"})
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert response.location.endswith(f"/cases/{case.id}")
    assert case.patient_id == patient.id
    assert case.levels == ["T9", "L3"]  # cranio-caudal
    assert case.suspected_mscc and case.is_urgent  # cord compression is urgent
    assert case.status == "draft"
    assert case.created_by_id == members["oncologist"].id
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "case"))
    assert created.action == "created"
    assert created.patient_id == patient.id
    assert "Everleigh" not in json.dumps(created.detail)
    assert "SYN-0001" not in json.dumps(created.detail)


def test_urgent_without_mscc(client, members):
    patient = a_patient(members)
    login(client, "oncologist")
    post_form(client, f"/cases/new?patient_id={patient.id}", {**NEW_CASE, "is_urgent": "y"})
    case = db.session.scalar(select(Case))
    assert case.is_urgent and not case.suspected_mscc
    page = text_of(client.get(f"/cases/{case.id}"))
    assert '<span class="badge urgent">Urgent</span>' in page
    assert "suspected cord compression" not in page


def test_opening_a_case_explains_each_missing_answer_and_keeps_the_rest(client, members):
    patient = a_patient(members)
    login(client, "oncologist")
    response = post_form(
        client,
        f"/cases/new?patient_id={patient.id}",
        {"question": "  ", "primary_site": "", "histology": "Clear cell", "levels": []},
    )
    assert response.status_code == 200
    page = text_of(response)
    for message in (
        "Enter the clinical question for the board.",
        "Choose the primary tumour site (Unidentified primary if it is not known).",
        "Choose at least one affected level.",
        "Enter the referring clinician.",
    ):
        assert message in page
    assert 'value="Clear cell"' in page
    assert db.session.scalar(select(Case)) is None


def test_unknown_codes_are_refused(client, members):
    patient = a_patient(members)
    login(client, "oncologist")
    response = post_form(
        client,
        f"/cases/new?patient_id={patient.id}",
        {**NEW_CASE, "primary_site": "spleen", "levels": ["T4", "T13"]},
    )
    page = text_of(response)
    assert "Choose the primary tumour site" in page
    assert "Choose levels from C1 to S5 and coccyx." in page
    assert 'value="T4" checked' in page


def test_new_case_without_a_patient_finds_one_by_mrn(client, members):
    patient = a_patient(members)
    login(client, "oncologist")
    assert "Find the patient" in text_of(client.get("/cases/new"))
    found = client.get("/cases/new?mrn=syn-0001")
    assert found.status_code == 302
    assert found.location.endswith(f"/cases/new?patient_id={patient.id}")
    missing = text_of(client.get("/cases/new?mrn=NOPE-1"))
    assert "No patient with MRN NOPE-1 is registered." in missing
    assert client.get("/cases/new?patient_id=999").status_code == 404


def test_case_pages_need_login(client, members):
    case = make_case(members)
    for url in ("/cases/", f"/cases/{case.id}", f"/cases/{case.id}/edit", "/cases/new"):
        assert client.get(url).status_code == 302


def test_case_page_shows_the_summary_and_who_has_presented(client, members):
    case = make_case(
        members, family_name="Calloway", given_name="Helen", suspected_mscc=True, levels=("T7",)
    )
    add_presentation(
        case=case,
        author=members["oncologist"],
        specialty="medical_oncology",
        summary="ECOG 1.\nLiver lesions stable.",
        fields={"kps": 80, "ecog": 1},
        lesions=[],
    )
    login(client, "physio")
    page = text_of(client.get(f"/cases/{case.id}"))
    for shown in (
        "CALLOWAY, Helen",
        "SYN-0001",
        "15 Jan 1960",
        "Female",
        "Urgent: suspected cord compression",
        "Radiotherapy alone, or surgery first?",
        "Lung: Adenocarcinoma",
        "T7",
        "Dr Referrer",
        "Draft",
        "Olga Oncologist, Medical oncology",
        "ECOG 1.<br>Liver lesions stable.",
        "Karnofsky performance status (KPS)</dt><dd>80",
        "Not yet presented:</strong> Radiation oncology, Interventional radiology, "
        "Spine surgery, Physiotherapy.",
        f"/cases/{case.id}/presentations?specialty=medical_oncology",
        "Add my presentation (Physiotherapy)",
        "Mark ready for the board",
        f"/cases/{case.id}/edit",
    ):
        assert shown in page, shown


def test_members_without_a_specialty_are_not_offered_a_presentation(client, members):
    case = make_case(members)
    login(client, "coordinator")
    page = text_of(client.get(f"/cases/{case.id}"))
    assert "Add my presentation" not in page


def test_viewing_a_case_records_one_event(client, members):
    case = make_case(members)
    login(client, "radiation")
    client.get(f"/cases/{case.id}")
    (viewed,) = viewed_events()
    assert (viewed.entity_type, viewed.entity_id) == ("case", case.id)
    assert viewed.patient_id == case.patient_id
    assert viewed.user_id == members["radiation"].id


def test_unknown_case_is_404(client, members):
    login(client, "radiation")
    assert client.get("/cases/4242").status_code == 404


def test_case_page_query_count_does_not_grow_with_entries(client, members):
    case = make_case(members)
    authors = [
        ("oncologist", "medical_oncology", {"kps": 70}),
        ("radiologist", "interventional_radiology", {"vertebral_mets": 2}),
        ("surgeon", "spine_surgery", {"frankel": "D"}),
        ("radiation", "radiation_oncology", {"prior_rt_fractions": 5}),
        ("physio", "physiotherapy", {"mobility": "with_aid"}),
        ("surgeon2", "spine_surgery", {"asia": "D"}),
    ]

    def present(n):
        for i in range(n):
            username, specialty, fields = authors[i % len(authors)]
            lesions = (
                [{"level": "T4", "pain": "mechanical"}] if specialty == "spine_surgery" else []
            )
            add_presentation(
                case=case,
                author=members[username],
                specialty=specialty,
                summary=f"Entry {i}",
                fields=fields,
                lesions=lesions,
            )

    login(client, "surgeon")
    present(3)
    client.get(f"/cases/{case.id}")
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}").status_code == 200
    present(27)
    client.get(f"/cases/{case.id}")
    with count_queries() as many:
        assert client.get(f"/cases/{case.id}").status_code == 200
    assert few[0] == many[0]


def test_board_history_shows_meetings_items_and_plans(client, members):
    from app.decisions.models import Plan
    from app.meetings.models import AgendaItem, Meeting

    case = make_case(members)
    meeting = Meeting(
        title="Spine board, week 12",
        starts_at=datetime(2025, 3, 20, 16, 0, tzinfo=UTC),
        chair_id=members["surgeon"].id,
        status="closed",
    )
    db.session.add(meeting)
    db.session.flush()
    item = AgendaItem(
        meeting_id=meeting.id, case_id=case.id, position=1, status="discussed", is_active=False
    )
    db.session.add(item)
    db.session.flush()
    for version, status in ((1, "superseded"), (2, "signed")):
        db.session.add(
            Plan(
                agenda_item_id=item.id,
                version=version,
                status=status,
                intent="palliative",
                created_by_id=members["coordinator"].id,
                updated_by_id=members["coordinator"].id,
            )
        )
    db.session.commit()
    login(client, "physio")
    page = text_of(client.get(f"/cases/{case.id}"))
    assert "Spine board, week 12" in page
    assert "Discussed" in page
    assert '<span class="badge signed">Signed</span> version 2' in page


def test_editing_a_case(client, members):
    case = make_case(members)
    login(client, "radiologist")
    form_page = text_of(client.get(f"/cases/{case.id}/edit"))
    assert 'value="T4" checked' in form_page
    response = post_form(
        client,
        f"/cases/{case.id}/edit",
        {**NEW_CASE, "levels": ["L3", "T4"], "suspected_mscc": "y", "lock_version": "1"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert case.levels == ["T4", "L3"]
    assert case.is_urgent
    assert case.primary_site == "colon"
    changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "changed"))
    assert set(changed.detail["fields"]) >= {"levels", "is_urgent", "suspected_mscc", "question"}


def test_a_stale_case_edit_is_refused_with_409_and_keeps_the_text(client, members):
    case = make_case(members)
    login(client, "radiologist")
    client.get(f"/cases/{case.id}/edit")
    update_case(
        case=case, base_lock_version=1, author=members["surgeon"], question="Changed meanwhile"
    )
    mine = {**NEW_CASE, "question": "My reworded question", "lock_version": "1"}
    response = post_form(client, f"/cases/{case.id}/edit", mine)
    assert response.status_code == 409
    page = text_of(response)
    assert "someone else changed this case after you opened this form" in page
    assert "My reworded question" in page  # the member's text, kept in the form
    assert "Changed meanwhile" in page  # the saved version, shown beside it
    assert 'name="lock_version" type="hidden" value="2"' in page
    db.session.expire_all()
    assert case.question == "Changed meanwhile"


def test_mark_ready(client, members):
    case = make_case(members)
    login(client, "coordinator")
    response = post_form(client, f"/cases/{case.id}/ready", {}, form_url=f"/cases/{case.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status == "ready"
    page = text_of(client.get(f"/cases/{case.id}"))
    assert "Case marked ready for the board." in page
    assert "Mark ready for the board</button>" not in page
    again = post_form(client, f"/cases/{case.id}/ready", {}, form_url=f"/cases/{case.id}/edit")
    assert again.status_code == 302
    assert "Only a draft case can be marked ready" in text_of(client.get(again.location))


def test_mark_ready_needs_the_csrf_token(client, members):
    case = make_case(members)
    login(client, "coordinator")
    assert client.post(f"/cases/{case.id}/ready").status_code == 400
    db.session.expire_all()
    assert case.status == "draft"


def test_case_page_shows_the_boards_latest_plan_in_full(client, members):
    from app.decisions.services import sign_plan

    item = add_item(members, case=make_case(members, status="ready"))
    plan = make_plan(
        members,
        item,
        dissents=[(members["radiation"].id, "Would give cEBRT alone.")],
        actions=[
            {
                "description": "Book the SBRT planning CT",
                "owner_member_id": None,
                "owner_specialty": "radiation_oncology",
                "due_date": None,
            }
        ],
    )
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    login(client, "physio")
    page = text_of(client.get(f"/cases/{item.case_id}"))
    assert "The board&#39;s plan" in page or "The board's plan" in page
    assert "24 Gy in 2 fractions" in page
    assert "Would give cEBRT alone." in page
    assert "Book the SBRT planning CT" in page
    assert "Signed by Sven Surgeon" in page
    assert "Case opened" in page
