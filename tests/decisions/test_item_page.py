"""The agenda item page: case, presentations, meeting, opinions and plan, at a fixed query cost."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.cases.models import Presentation
from app.clinical.vocabulary import SPECIALTIES
from app.decisions.services import save_opinion
from app.extensions import db
from tests.factories import add_item, make_case, make_meeting, make_plan
from tests.support import count_queries, login, text_of


def _opinions(item, authors) -> None:
    for number, author in enumerate(authors):
        save_opinion(
            item=item,
            author=author,
            option_codes=["sbrt", "cebrt"] if number % 2 else ["separation_surgery"],
            reasoning=f"Reasoning number {number}",
            agrees_with_consensus=bool(number % 2),
        )


def _extra_members(count: int) -> list[User]:
    codes = list(SPECIALTIES)
    extra = [
        User(
            username=f"member{n}",
            full_name=f"Member Number{n}",
            specialty=codes[n % len(codes)],
            password_hash="not-a-usable-hash",
        )
        for n in range(count)
    ]
    db.session.add_all(extra)
    db.session.commit()
    return extra


def _decided_item(members, mrn: str, authors):
    item = add_item(
        members,
        make_meeting(members, title=f"Spine board {mrn}"),
        make_case(members, mrn=mrn, question="Radiotherapy alone or separation surgery first?"),
    )
    db.session.add(
        Presentation(
            case_id=item.case_id,
            author_id=members["radiologist"].id,
            specialty="interventional_radiology",
            summary=f"MRI for {mrn}",
        )
    )
    db.session.commit()
    _opinions(item, authors)
    make_plan(
        members,
        item,
        rationale="Plan",
        steps=[("separation_surgery", ""), ("sbrt", "24 Gy in 2 fractions")],
        dissents=[(members["physio"].id, "Prefers rehabilitation first")],
        actions=[
            {
                "description": "Book",
                "owner_member_id": members["surgeon"].id,
                "owner_specialty": None,
                "due_date": None,
            }
        ],
    )
    return item


def test_the_page_shows_case_presentations_meeting_opinions_and_plan(client, members):
    item = _decided_item(members, "SYN-0201", [members["oncologist"], members["surgeon"]])
    login(client, "physio")
    response = client.get(f"/items/{item.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "TESTPERSON, Alex" in page
    assert "Radiotherapy alone or separation surgery first?" in page
    assert "MRI for SYN-0201" in page
    assert f'href="/meetings/{item.meeting_id}"' in page
    assert "Spine board SYN-0201" in page
    assert "Reasoning number 0" in page and "Reasoning number 1" in page
    assert "Prefers rehabilitation first" in page and "Pia Physio" in page
    assert "No opinion yet from:" in page


def test_viewing_the_page_records_one_audit_event(client, members):
    item = _decided_item(members, "SYN-0202", [members["oncologist"]])
    login(client, "radiation")

    def viewed() -> int:
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "viewed", AuditEvent.entity_type == "agenda_item")
        )

    before = viewed()
    client.get(f"/items/{item.id}")
    assert viewed() == before + 1
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.entity_id, event.patient_id, event.user_id) == (
        item.id,
        item.case.patient_id,
        members["radiation"].id,
    )


def test_query_count_does_not_grow_with_the_number_of_opinions(client, members):
    extra = _extra_members(30)
    few = _decided_item(members, "SYN-0301", extra[:3])
    many = _decided_item(members, "SYN-0302", extra)
    login(client, "surgeon")
    client.get(f"/items/{few.id}")
    client.get(f"/items/{many.id}")

    with count_queries() as few_queries:
        few_page = client.get(f"/items/{few.id}")
    with count_queries() as many_queries:
        many_page = client.get(f"/items/{many.id}")

    assert text_of(many_page).count('class="card opinion') == 30
    assert text_of(few_page).count('class="card opinion') == 3
    assert few_queries[0] == many_queries[0]


def test_an_unknown_item_is_404_and_the_page_needs_login(client, members):
    item = add_item(members)
    assert client.get(f"/items/{item.id}").status_code == 302
    login(client, "surgeon")
    assert client.get("/items/999999").status_code == 404
    assert client.get("/plans/999999").status_code == 404
