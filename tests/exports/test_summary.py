"""The consensus summary of a case: every part the record needs, on the right pages, audited."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.decisions.services import save_opinion, sign_plan
from app.extensions import db
from tests.exports.conftest import flat, inked_share, pages_text, render_page
from tests.factories import add_item, make_case, make_meeting, make_plan
from tests.support import login, text_of


@pytest.fixture
def decided(members):
    """A case discussed at a quorate meeting: two opinions, a plan with dissent and actions."""
    meeting = make_meeting(members, title="Spine board, Thursday")
    case = make_case(
        members,
        family_name="Lindqvist",
        given_name="Maja",
        question="Separation surgery before SBRT for T7?",
        referring_clinician="Dr Referrer, Oncology clinic",
    )
    item = add_item(members, meeting, case)
    save_opinion(
        item=item,
        author=members["oncologist"],
        option_codes=["separation_surgery", "sbrt"],
        reasoning="Radioresistant histology: surgery first.",
        agrees_with_consensus=True,
    )
    save_opinion(
        item=item,
        author=members["radiation"],
        option_codes=["sbrt"],
        reasoning="SBRT alone would do.",
        agrees_with_consensus=False,
    )
    plan = make_plan(
        members,
        item,
        dissents=[(members["radiation"].id, "Prefers SBRT alone.")],
        actions=[
            {
                "description": "Book the MRI of the whole spine",
                "owner_member_id": members["radiologist"].id,
                "due_date": date(2030, 1, 15),
            }
        ],
    )
    return meeting, item, plan


def pdf_of(client, item, archive=False):
    response = client.get(f"/items/{item.id}/summary.pdf" + ("?archive=1" if archive else ""))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    return response


def test_before_signing_the_summary_is_marked_draft(client, members, decided):
    _, item, _ = decided
    login(client, "oncologist")
    response = pdf_of(client, item)
    text = flat(" ".join(pages_text(response.data)))
    assert "DRAFT" in text and "the plan is not signed" in text
    assert "-draft.pdf" in response.headers["Content-Disposition"]


def test_the_signed_summary_holds_what_the_record_needs(client, members, decided):
    _meeting, item, plan = decided
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    login(client, "oncologist")
    response = pdf_of(client, item)
    pages = [flat(page) for page in pages_text(response.data)]
    text = " ".join(pages)
    assert 1 <= len(pages) <= 12
    assert "DRAFT" not in text
    patient = item.case.patient
    for number, page in enumerate(pages, start=1):
        # The patient's identifiers and the confidentiality note on every page, and "n of m".
        assert patient.display_name in page and f"MRN {patient.mrn}" in page, number
        assert "born 15 Jan 1960" in page, number
        assert "Confidential" in page, number
        assert f"Page {number} of {len(pages)}" in page, number
    # The board and meeting, the chair, attendees and quorum.
    assert "Spine Tumor Board" in text and "Spine board, Thursday" in text
    assert "Sven Surgeon" in text and "Quorate" in text and "Olga Oncologist" in text
    # Referrer, question, scores with their source, the spine map's text.
    assert "Dr Referrer, Oncology clinic" in text
    assert "Separation surgery before SBRT for T7?" in text
    assert "SINS" in text and "Source:" in text
    # Every opinion with its specialty.
    assert "Radioresistant histology: surgery first." in text and "Medical oncology" in text
    assert "SBRT alone would do." in text and "Radiation oncology" in text
    # The plan: steps with the catalogue option, details and documented sources; dissent,
    # actions with owner and due date; who signed, when, which version.
    plan_pages = [page for page in pages if "Agreed plan" in page]
    assert plan_pages, "no page holds the agreed plan"
    assert "Separation surgery" in text and "Posterior approach" in text
    assert "Stereotactic body radiotherapy" in text or "SBRT" in text
    assert "Sources:" in text
    assert "Prefers SBRT alone." in text and "Rafael Radiation" in text
    assert "Book the MRI of the whole spine" in text and "15 Jan 2030" in text
    assert "Ines Radiologist" in text
    last = pages[-1]
    assert re.search(r"Signed by Sven Surgeon \(Spine surgery\) on .*plan version 1", last)


def test_each_export_is_audited_with_its_hash_and_listed_on_the_case(client, members, decided):
    _, item, plan = decided
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    login(client, "oncologist")
    first = pdf_of(client, item)
    archived = pdf_of(client, item, archive=True)
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "exported").order_by(AuditEvent.id)
    ).all()
    assert [e.detail["sha256"] for e in events] == [
        hashlib.sha256(first.data).hexdigest(),
        hashlib.sha256(archived.data).hexdigest(),
    ]
    assert {e.user_id for e in events} == {members["oncologist"].id}
    assert [e.detail["variant"] for e in events] == [None, "pdf/a-3b"]
    assert events[0].entity_type == "consensus_summary" and events[0].entity_id == item.id
    assert events[0].patient_id == item.case.patient_id
    page = text_of(client.get(f"/cases/{item.case_id}"))
    assert hashlib.sha256(first.data).hexdigest() in page
    assert hashlib.sha256(archived.data).hexdigest() in page
    assert "PDF/A-3b" in page and "Olga Oncologist" in page


def test_the_archival_option_produces_pdf_a_3b(client, members, decided):
    _, item, _ = decided
    login(client, "oncologist")
    response = pdf_of(client, item, archive=True)
    reader = PdfReader(io.BytesIO(response.data))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp[:500]
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp), xmp[:500]
    assert "-pdfa.pdf" in response.headers["Content-Disposition"]


def test_fonts_are_the_named_ones_and_embedded(client, members, decided):
    _, item, _ = decided
    login(client, "oncologist")
    reader = PdfReader(io.BytesIO(pdf_of(client, item).data))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            descriptor = font.get("/FontDescriptor") or (
                font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                if "/DescendantFonts" in font
                else None
            )
            if descriptor is not None:
                descriptor = descriptor.get_object()
                assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all("DejaVu" in name for name in fonts), fonts


def test_the_preview_is_the_same_document_in_the_browser(client, members, decided):
    _, item, _ = decided
    login(client, "oncologist")
    page = text_of(client.get(f"/items/{item.id}/summary"))
    assert '<link rel="stylesheet" href="/static/print.css">' in page
    assert "Consensus summary of the spine tumour board" in page
    assert f'href="/items/{item.id}/summary.pdf"' in page
    assert "Radioresistant histology: surgery first." in page


def test_a_page_renders_to_a_non_blank_image(client, members, decided, pdftoppm, tmp_path):
    _, item, plan = decided
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    login(client, "oncologist")
    png = render_page(pdftoppm, pdf_of(client, item).data, tmp_path, "consensus-summary-page-1")
    assert inked_share(png) > 0.01


def test_the_item_and_case_pages_link_to_the_summary(client, members, decided):
    _, item, _ = decided
    login(client, "oncologist")
    for url in (f"/items/{item.id}", f"/cases/{item.case_id}"):
        assert f'href="/items/{item.id}/summary.pdf"' in text_of(client.get(url)), url
