"""Concordance of the agreed plan through the pages: departures shown, a reason to sign them."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.assessment.fitness import record_fitness
from app.assessment.radiosensitivity import seed_radiosensitivity
from app.audit.models import AuditEvent
from app.cases.services import add_presentation
from app.decisions.models import Plan
from app.decisions.services import current_plan
from app.extensions import db
from tests.factories import add_item, make_case, plan_data
from tests.support import login, post_form, text_of

CONCORDANT = "Concordant with the documented indications and the NOMS suggestion"
REASON_NEEDED = "Give the reason for departing from the documented indications before signing."
EXAMPLE_7_PLAN = (
    ("corticosteroids", "Dexamethasone 16 mg daily until surgery"),
    ("separation_surgery", "Posterior approach"),
    ("sbrt", "24 Gy in 2 fractions"),
)


def _lesion(escc_grade: str) -> dict:
    # REFERENCE §10 Example 7: L1 lytic, occasional pain, normal alignment, > 50% involved
    # without collapse, unilateral pedicle: SINS 8.
    return {
        "level": "L1",
        "pain": "occasional",
        "lesion_quality": "lytic",
        "alignment": "normal",
        "collapse": "involved_no_collapse",
        "posterolateral": "unilateral",
        "escc_grade": escc_grade,
        "is_index": True,
    }


def _present_lesion(members, case, escc_grade: str) -> None:
    add_presentation(
        case=case,
        author=members["radiologist"],
        specialty="interventional_radiology",
        summary="MRI whole spine.",
        fields={},
        lesions=[_lesion(escc_grade)],
    )


def _example_7_item(members, *, escc_grade: str = "2", fit: bool = True):
    """A clear-cell RCC case as in Example 7, on an agenda, with the board's fitness recorded."""
    seed_radiosensitivity()
    db.session.commit()
    case = make_case(
        members, primary_site="kidney", histology="Clear-cell renal cell carcinoma", levels=["L1"]
    )
    _present_lesion(members, case, escc_grade)
    add_presentation(
        case=case,
        author=members["surgeon"],
        specialty="spine_surgery",
        summary="Frankel D.",
        fields={"frankel": "D"},
        lesions=[],
    )
    add_presentation(
        case=case,
        author=members["oncologist"],
        specialty="medical_oncology",
        summary="On systemic therapy.",
        fields={
            "kps": 80,
            "extraspinal_bone_mets": 1,
            "vertebral_mets": 1,
            "tokuhashi_visceral": "unremovable",
            "tomita_visceral": "treatable",
        },
        lesions=[],
    )
    item = add_item(members, case=case)
    record_fitness(
        item=item,
        author=members["surgeon"],
        fit_for_open_surgery=fit,
        fit_for_mis=True,
        fit_for_sbrt=True,
        fit_for_radiotherapy=True,
    )
    return item


def _save(client, item, steps, **values):
    plan = current_plan(item)
    data = plan_data(lock_version=plan.lock_version if plan else "", steps=steps, **values)
    response = post_form(client, f"/items/{item.id}/plan", data)
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    return current_plan(item)


def _sign(client, plan, reason: str | None = None, lock_version: int | None = None):
    data = {"lock_version": str(lock_version or plan.lock_version)}
    if reason is not None:
        data["departure_reason"] = reason
    return post_form(
        client, f"/plans/{plan.id}/sign", data, form_url=f"/items/{plan.agenda_item_id}"
    )


def _plan_section(page: str) -> str:
    return page[page.index("Agreed plan</h2>") :]


def test_cement_for_escc_2_lists_the_contraindication_as_unverified(client, members):
    item = _example_7_item(members)
    login(client, "surgeon")
    plan = _save(client, item, [("cement_augmentation", "T12 and L1")])

    page = _plan_section(text_of(client.get(f"/items/{item.id}")))
    assert CONCORDANT not in page
    assert "Departs from the documented indications or the NOMS suggestion" in page
    assert re.search(
        r"Contraindication</span>\s*Step 1: Cement augmentation with ESCC grade 2 "
        r"\(cord compression\)",
        page,
    )
    cement = page[page.index("Cement augmentation with ESCC grade 2") :]
    assert re.match(r"[^<]*<span class=\"tag tag-r\"[^>]*>\[R\] unverified</span>", cement)
    assert "Source: Catalogue row 7 (vertebroplasty / kyphoplasty)" in page
    # The NOMS comparison: separation surgery and SBRT were suggested, cement was not.
    assert "NOMS suggests Separation surgery, not in the plan." in page
    assert "is not in the NOMS suggestion (Corticosteroids, Separation surgery, SBRT)." in page

    stored = {(d["option_code"], d["kind"], d["tag"]) for d in plan.departures}
    assert ("cement_augmentation", "contraindication", "R") in stored
    assert ("sbrt", "noms", "C2") in stored
    assert all(d["source"] and d["message"] and d["rule"] for d in plan.departures)


def test_sbrt_alone_for_escc_3_warns(client, members):
    item = _example_7_item(members, escc_grade="3")
    login(client, "surgeon")
    _save(client, item, [("sbrt", "24 Gy in 2 fractions")])
    page = _plan_section(text_of(client.get(f"/items/{item.id}")))
    assert "Step 1: SBRT with high-grade ESCC (grade 3) and no separation surgery before it" in page
    assert "Source: Catalogue row 2 (SBRT), contraindications; REFERENCE §2; R11" in page
    assert CONCORDANT not in page
    assert 'name="departure_reason"' in page


def test_example_7_plan_is_concordant(client, members):
    item = _example_7_item(members)
    login(client, "surgeon")
    response = post_form(client, f"/items/{item.id}/plan", plan_data(steps=EXAMPLE_7_PLAN))
    assert response.status_code == 302
    page = text_of(client.get(f"/items/{item.id}"))
    assert "The plan is saved." in page
    plan_part = _plan_section(page)
    assert CONCORDANT in plan_part
    assert "Not checked" not in plan_part
    assert 'name="departure_reason"' not in plan_part
    assert current_plan(item).departures == []

    form = text_of(client.get(f"/items/{item.id}/plan"))
    assert "Concordance of the saved plan" in form and CONCORDANT in form

    assert _sign(client, current_plan(item)).status_code == 302
    db.session.expire_all()
    plan = current_plan(item)
    assert plan.status == "signed" and plan.departure_reason is None


def test_signing_with_departures_needs_a_reason_which_is_kept_and_shown(client, members):
    item = _example_7_item(members)
    login(client, "surgeon")
    plan = _save(client, item, [("cebrt", "8 Gy in 1 fraction")])
    saved = text_of(client.get(f"/items/{item.id}"))
    assert "It departs from the documented indications or the NOMS suggestion" in saved

    refused = _sign(client, plan, reason="   ")
    assert refused.status_code == 200
    page = text_of(refused)
    assert re.search(r'id="departure_reason-error"><li>' + re.escape(REASON_NEEDED), page), (
        "the message belongs next to the reason field"
    )
    db.session.expire_all()
    assert current_plan(item).status == "draft"
    assert current_plan(item).departure_reason is None

    reason = "Patient declined surgery after discussion of the risks."
    assert _sign(client, current_plan(item), reason=reason).status_code == 302
    db.session.expire_all()
    plan = current_plan(item)
    assert (plan.status, plan.departure_reason) == ("signed", reason)
    for url in (f"/items/{item.id}", f"/plans/{plan.id}"):
        shown = text_of(client.get(url))
        assert "Reason for departing:" in shown and reason in shown

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "plan", AuditEvent.action == "signed")
    ).one()
    assert event.detail["concordant"] is False and event.detail["has_departure_reason"] is True
    assert reason not in str(event.detail)


def test_departures_are_checked_again_when_signing(client, members):
    item = _example_7_item(members, escc_grade="1a")
    login(client, "surgeon")
    plan = _save(client, item, [("sbrt", "24 Gy in 2 fractions")])
    # Low-grade, radioresistant, fit: NOMS suggests SBRT alone.
    assert [d for d in plan.departures if d["kind"] != "not_checked"] == []
    page = text_of(client.get(f"/items/{item.id}"))
    assert CONCORDANT in _plan_section(page)

    # New imaging after the plan was saved: the cord is now compressed.
    _present_lesion(members, item.case, "3")
    refused = _sign(client, plan)
    assert refused.status_code == 409
    page = text_of(refused)
    assert "it departs differently from the list you were shown" in page
    assert "SBRT with high-grade ESCC (grade 3)" in page
    assert 'name="departure_reason"' in page
    db.session.expire_all()
    plan = current_plan(item)
    assert plan.status == "draft"
    assert any(d["kind"] == "contraindication" for d in plan.departures)

    assert _sign(client, plan).status_code == 200
    assert (
        _sign(client, plan, reason="Surgery refused; SBRT with a cord constraint.").status_code
        == 302
    )


def test_an_amendment_keeps_the_reason_and_is_checked_again_when_saved(client, members):
    item = _example_7_item(members)
    login(client, "surgeon")
    plan = _save(client, item, [("cebrt", "8 Gy in 1 fraction")])
    reason = "Patient declined surgery."
    assert _sign(client, plan, reason=reason).status_code == 302

    response = post_form(
        client, f"/plans/{plan.id}/amend", {"reason": "New imaging"}, form_url=f"/items/{item.id}"
    )
    assert response.status_code == 302
    db.session.expire_all()
    amendment = current_plan(item)
    assert amendment.version == 2 and amendment.departure_reason == reason
    page = text_of(client.get(f"/items/{item.id}"))
    # Offered again on the sign form.
    assert re.search(r'name="departure_reason"[^>]*>\s*' + re.escape(reason) + "</textarea>", page)

    amendment = _save(client, item, EXAMPLE_7_PLAN)
    assert amendment.departures == []
    page = _plan_section(text_of(client.get(f"/items/{item.id}")))
    assert CONCORDANT in page
    assert _sign(client, amendment).status_code == 302
    db.session.expire_all()
    assert current_plan(item).departure_reason is None
    assert db.session.get(Plan, plan.id).departure_reason == reason


def test_a_case_without_inputs_lists_what_was_not_checked(client, members):
    item = add_item(members, case=make_case(members))
    login(client, "surgeon")
    plan = _save(client, item, [("separation_surgery", ""), ("sbrt", "")])
    page = _plan_section(text_of(client.get(f"/items/{item.id}")))
    assert CONCORDANT in page
    notes = page[page.index("Not checked, for want of the case") :]
    assert "NOMS not assessed: needs ESCC grade" in notes
    assert "Step 1: Separation surgery: “Unfit for open surgery” not checked: needs" in notes
    assert (
        "Step 2: SBRT: “High-grade ESCC without prior separation (cord dose)” not checked" in notes
    )
    assert {d["kind"] for d in plan.departures} == {"not_checked"}
    # Notes need no decision: the plan is signed without a reason.
    assert _sign(client, plan).status_code == 302


def test_a_patient_not_fit_for_open_surgery_departs_from_a_surgical_plan(client, members):
    item = _example_7_item(members, fit=False)
    login(client, "surgeon")
    _save(client, item, EXAMPLE_7_PLAN)
    page = _plan_section(text_of(client.get(f"/items/{item.id}")))
    assert (
        "Step 2: Separation surgery, but the board judged the patient not fit for open surgery"
        in page
    )
    assert "NOMS suggests cEBRT, not in the plan." in page
    # The cEBRT fallback (R12) is unverified in the reference.
    fallback = page[page.index("NOMS suggests cEBRT, not in the plan.") :]
    assert re.match(r"[^<]*<span class=\"tag tag-r\"", fallback)
