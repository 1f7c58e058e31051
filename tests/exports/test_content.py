"""Any content renders whole: long text, many steps and attendees, non-Latin names, symbols."""

from __future__ import annotations

from weasyprint.formatting_structure.boxes import MarginBox, TextBox

from app.accounts.services import create_member
from app.decisions.services import save_opinion, sign_plan
from app.exports import documents
from app.exports.pdf import render_document, render_pdf
from app.extensions import db
from app.meetings.services import add_guest, record_present
from tests.exports.conftest import flat, pages_text
from tests.factories import add_item, make_case, make_meeting, make_plan
from tests.support import PASSWORD, login

LONG_WORD = "Hemilaminectomy" * 30  # 450 letters without a break
SYMBOLS = "ESCC ≥ 2, SINS ≥ 7, 8 Gy × 1, creatinine 88 µmol/L, café-au-lait macules ±"


def crowded(members):
    """A case with non-Latin names, long text, six plan steps and 40 people present."""
    olga = create_member(
        username="petrova",
        full_name="Ольга Петрова",
        password=PASSWORD,
        specialty="medical_oncology",
    )
    db.session.commit()
    meeting = make_meeting(members)
    record_present(meeting=meeting, members=[olga], author=members["coordinator"])
    for number in range(35):
        add_guest(
            meeting=meeting,
            name=f"Gäst Ångström-Σπύρος {number + 1:02d}",
            specialty="physiotherapy",
            author=members["coordinator"],
        )
    case = make_case(members, family_name="Παπαδοπούλου", given_name="Zoë", question=SYMBOLS)
    item = add_item(members, meeting, case)
    long_text = " ".join(f"Paragraph {n}: the board weighed the options again." for n in range(60))
    save_opinion(
        item=item,
        author=olga,
        option_codes=["sbrt", "separation_surgery", "cement_augmentation"],
        reasoning=f"{long_text} {LONG_WORD} Ende.",
        agrees_with_consensus=True,
    )
    steps = [
        ("separation_surgery", f"Step with a long note {LONG_WORD[:200]}"),
        ("sbrt", "24 Gy in 2 fractions, ≥ 2 mm margin"),
        ("cement_augmentation", "Cement at T8"),
        ("systemic_therapy", "Continue as planned"),
        ("bone_modifying_agent", "Denosumab 120 mg"),
        ("rehabilitation", "Analgesia and physiotherapy"),
    ]
    plan = make_plan(members, item, steps=steps, rationale=f"{long_text} {SYMBOLS} The end.")
    sign_plan(
        plan=plan,
        author=members["surgeon"],
        base_lock_version=plan.lock_version,
        departure_reason="Agreed after discussion.",
    )
    return meeting, item


def test_long_text_non_latin_names_and_symbols_come_through_whole(client, members):
    _meeting, item = crowded(members)
    login(client, "oncologist")
    response = client.get(f"/items/{item.id}/summary.pdf")
    assert response.status_code == 200
    pages = [flat(page) for page in pages_text(response.data)]
    text = " ".join(pages)
    assert "PAPADOPOULOU" not in text  # names are never transliterated
    assert "ΠΑΠΑΔΟΠΟΎΛΟΥ, Zoë" in text or "ΠΑΠΑΔΟΠΟΥΛΟΥ, Zoë" in text
    assert "Ольга Петрова" in text
    assert SYMBOLS in text
    for number in range(1, 36):
        assert f"Gäst Ångström-Σπύρος {number:02d}" in text
    assert "Attendees (40)" in text
    # The ends of the long texts are there: nothing was cut off.
    assert "Paragraph 59" in text and "Ende." in text and "The end." in text
    assert "Denosumab 120 mg" in text and "Analgesia and physiotherapy" in text
    assert len(pages) < 25


def layout_problems(document) -> list[tuple]:
    """Text that leaves the page's content area or lies over other text, page by page.

    Page headers and footers live in the margins (margin boxes) and are left out; every other
    line of text must lie inside the content area and apart from every other line.
    """
    problems = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        left, top = box.margin_left - 0.5, box.margin_top - 0.5
        right = page.width - box.margin_right + 0.5
        bottom = page.height - box.margin_bottom + 0.5
        root = next(child for child in box.children if not isinstance(child, MarginBox))
        lines = [
            child
            for child in root.descendants()
            if isinstance(child, TextBox)
            and child.text.strip()
            and child.width > 0
            and child.style["visibility"] == "visible"  # not the hidden running-header source
        ]
        for line in lines:
            x, y = line.position_x, line.position_y
            if x < left or y < top or x + line.width > right or y + line.height > bottom:
                problems.append((number, "outside", line.text[:40]))
        for index, one in enumerate(lines):
            for other in lines[index + 1 :]:
                if overlap(one, other) > 0.5:  # points in both directions: not a shared edge
                    problems.append((number, "over", one.text[:30], other.text[:30]))
    return problems


def overlap(one, other) -> float:
    across = min(one.position_x + one.width, other.position_x + other.width) - max(
        one.position_x, other.position_x
    )
    down = min(one.position_y + one.height, other.position_y + other.height) - max(
        one.position_y, other.position_y
    )
    return min(across, down)


def test_nothing_is_clipped_or_overlaps_on_any_page(app, members):
    meeting, item = crowded(members)
    with app.test_request_context():
        htmls = [
            documents.summary_html(documents.case_summary(item), preview=False),
            documents.minutes_html(documents.meeting_minutes(meeting), preview=False),
        ]
    for html in htmls:
        document = render_document(html)
        assert len(document.pages) > 1
        assert layout_problems(document) == []
        # And the PDF is the document that was checked.
        assert render_pdf(html).pages == len(document.pages)
