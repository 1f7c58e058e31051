"""The minutes of a meeting: header, attendance and quorum, each item's outcome, all actions."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.decisions.services import sign_plan
from app.extensions import db
from app.meetings import services
from tests.exports.conftest import flat, inked_share, pages_text, render_page
from tests.factories import add_item, future, make_case, make_meeting, make_plan
from tests.support import count_queries, login, text_of


def run_meeting(members, cases=3):
    """A meeting that decided its first case, deferred the second and did not reach the rest."""
    meeting = make_meeting(members, title="Spine board, minutes test")
    later = make_meeting(members, title="Next spine board", starts_at=future(days=14), present=())
    items = [
        add_item(members, meeting, make_case(members, family_name=f"Minutes{n}"))
        for n in range(cases)
    ]
    chair = members["surgeon"]
    services.open_meeting(meeting=meeting, author=chair)
    services.bring_up(item=items[0], author=chair)
    plan = make_plan(
        members,
        items[0],
        actions=[
            {
                "description": "Refer for SBRT planning",
                "owner_specialty": "radiation_oncology",
                "due_date": date(2030, 2, 1),
            }
        ],
    )
    sign_plan(plan=plan, author=chair, base_lock_version=plan.lock_version)
    services.defer_item(item=items[1], note="Awaiting the biopsy result", author=chair)
    services.close_meeting(meeting=meeting, author=chair, confirm_unsigned=True)
    return meeting, later, items


def test_the_minutes_give_every_items_outcome_and_the_actions(client, members):
    meeting, _later, items = run_meeting(members)
    login(client, "coordinator")
    response = client.get(f"/meetings/{meeting.id}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = [flat(page) for page in pages_text(response.data)]
    text = " ".join(pages)
    assert "Minutes of the spine tumour board" in text and "Spine board, minutes test" in text
    assert "Sven Surgeon" in text and "Quorate" in text and "Attendees (4)" in text
    first, second, third = (item.case.patient for item in items)
    assert first.display_name in text and "Decided:" in text and "Separation surgery" in text
    assert second.display_name in text and "Deferred to Next spine board" in text
    assert "Awaiting the biopsy result" in text
    assert third.display_name in text and "Not reached" in text
    assert "Refer for SBRT planning" in text and "Radiation oncology" in text
    assert "1 Feb 2030" in text
    for number, page in enumerate(pages, start=1):
        assert "Spine board, minutes test" in page and f"Page {number} of {len(pages)}" in page
        assert "Confidential" in page
    # One audit event for the export, naming every patient in the minutes, with the file's hash.
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "exported").order_by(AuditEvent.id.desc())
    ).first()
    assert event.entity_type == "meeting_minutes" and event.entity_id == meeting.id
    assert {link.patient_id for link in event.patients} == {i.case.patient_id for i in items}
    assert event.detail["sha256"] == hashlib.sha256(response.data).hexdigest()


def test_the_minutes_preview_and_the_meeting_page_link(client, members):
    meeting, _, _ = run_meeting(members, cases=2)
    login(client, "coordinator")
    preview = text_of(client.get(f"/meetings/{meeting.id}/minutes"))
    assert "Minutes of the spine tumour board" in preview
    assert f'href="/meetings/{meeting.id}/minutes.pdf"' in preview
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    assert f'href="/meetings/{meeting.id}/minutes"' in page


def test_the_minutes_cost_the_same_queries_for_any_number_of_cases(client, members):
    login(client, "coordinator")
    counts = []
    for cases in (3, 8):
        meeting, _, _ = run_meeting(members, cases=cases)
        with count_queries() as queries:
            assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 200
        counts.append(queries[0])
    assert counts[0] == counts[1], counts


def test_a_minutes_page_renders_to_a_non_blank_image(client, members, pdftoppm, tmp_path):
    meeting, _, _ = run_meeting(members)
    login(client, "coordinator")
    pdf = client.get(f"/meetings/{meeting.id}/minutes.pdf").data
    assert inked_share(render_page(pdftoppm, pdf, tmp_path, "minutes-page-1")) > 0.01
