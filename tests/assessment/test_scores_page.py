"""The scores on the case page, the completeness list, and the choices left to the board."""

from __future__ import annotations

import json
import re
from html import unescape

from sqlalchemy import select

from app.assessment.models import BoardChoice
from app.audit.models import AuditEvent
from app.cases.services import add_presentation
from app.extensions import db
from tests.factories import make_case
from tests.support import count_queries, csrf_token, get_token, login, logout, text_of

# REFERENCE §10 Example 5: colon, L3; SINS 12, Tokuhashi 8, Tomita 8.
EXAMPLE_5_LESION = {
    "level": "L3",
    "pain": "mechanical",
    "lesion_quality": "lytic",
    "alignment": "normal",
    "collapse": "under_50",
    "posterolateral": "bilateral",
    "escc_grade": "2",
}
EXAMPLE_5_ONCOLOGY = {
    "kps": 70,
    "extraspinal_bone_mets": 0,
    "vertebral_mets": 2,
    "tokuhashi_visceral": "removable",
    "tomita_visceral": "treatable",
}


def present(members, case, username, specialty, fields=None, lesions=()):
    return add_presentation(
        case=case,
        author=members[username],
        specialty=specialty,
        summary=f"{specialty} findings",
        fields=dict(fields or {}),
        lesions=[dict(lesion) for lesion in lesions],
    )


def example_5(members, **case_fields):
    case = make_case(
        members, primary_site="colon", histology="Sigmoid adenocarcinoma", levels=("T9", "L3"),
        **case_fields,
    )  # fmt: skip
    present(members, case, "oncologist", "medical_oncology", EXAMPLE_5_ONCOLOGY)
    present(members, case, "surgeon", "spine_surgery", {"frankel": "D"}, [EXAMPLE_5_LESION])
    return case


def page_of(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return squeeze(text_of(response))


def squeeze(html: str) -> str:
    """The page's text with tags dropped and runs of white space made one space."""
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
    return text.replace(" .", ".").replace(" ,", ",")


def choices_url(case, kind, subject=""):
    return f"/cases/{case.id}/choices?kind={kind}&subject={subject}"


def choose(client, case, kind, value, subject="", reason="", **extra):
    """Record a choice as a member does: from the case page's form, with what it shows."""
    prefix = f"{kind}-{subject}" if subject else kind
    page = text_of(client.get(f"/cases/{case.id}"))
    seen = re.search(rf'name="{re.escape(prefix)}-seen"[^>]*value="(\d*)"', page)
    data = {
        "csrf_token": csrf_token(page),
        f"{prefix}-value": value,
        f"{prefix}-reason": reason,
        f"{prefix}-seen": seen.group(1) if seen else "",
        **extra,
    }
    return client.post(choices_url(case, kind, subject), data=data)


def test_a_fully_presented_case_shows_every_score(client, members):
    case = example_5(members)
    login(client, "physio")
    page = page_of(client, case)
    # SINS with its components, total, category, the consultation flag and the source.
    assert "Lesion L3 (the only lesion)" in page
    for component in (
        "Location Mobile spine (C3–C6, L2–L4) (from the level L3 (REFERENCE §1.3)) 2",
        "Pain Mechanical pain 3",
        "Bone lesion Lytic 2",
        "Alignment Normal alignment 0",
        "Vertebral body collapse < 50% collapse 2",
        "Posterolateral involvement Bilateral 3",
    ):
        assert component in page
    assert "12 of 18: Potentially unstable" in page
    assert "Surgical consultation recommended (R3)" in page
    assert "Source: Fisher 2010 Spine 35:E1221 (REFERENCE §1)" in page
    # ESCC, performance status, neurology.
    assert "Grade 2: cord compressed, CSF visible" in page
    assert "Group for NOMS: High grade" in page
    assert "KPS ECOG 70 Not recorded KPS 70 corresponds to ECOG 1" in page
    assert "Frankel D: motor useful ASIA Not recorded" in page
    # Tokuhashi and Tomita, each with components, total, band, source and rule ids.
    assert "Primary site Colon, scored as 'others' 2" in page
    assert "Colon: scored as 'others' (a literal reading, REFERENCE §5.1 [I])" in page
    assert "8 of 15: < 6 months (conservative)" in page
    assert "Source: Tokuhashi 2005 Spine 30:2186 (REFERENCE §5.1)" in page
    assert "rules R22" in page
    assert "Primary tumour growth Rapid growth (Colon) 4" in page
    assert "Bone metastases (including spine) Multiple (vertebral 2, extraspinal 0) 2" in page
    assert "8 of 10: Non-operative supportive care" in page
    assert "Source: Tomita 2001 Spine 26:298 (REFERENCE §5.2)" in page
    # The caveat: scores support the decision, never make it.
    assert "they do not make it" in page and "never selects a plan (R26)" in page
    assert "Every input the scores need has been presented." in page


def test_missing_inputs_are_listed_by_role_and_nothing_is_scored_from_them(client, members):
    case = make_case(members, primary_site="breast", levels=("T7",))
    present(
        members, case, "surgeon", "spine_surgery", {"frankel": "E"},
        [{"level": "T7", "pain": "occasional", "lesion_quality": "mixed", "escc_grade": "1b"}],
    )  # fmt: skip
    login(client, "oncologist")
    page = page_of(client, case)
    assert "Missing before the meeting" in page
    for line in (
        "SINS needs: alignment (interventional radiologist or spine surgeon)",
        "SINS needs: collapse (interventional radiologist or spine surgeon)",
        "SINS needs: posterolateral involvement (interventional radiologist or spine surgeon)",
        "Tokuhashi needs: KPS (medical oncologist)",
        "Tomita needs: visceral metastases: treatable? (medical oncologist)",
    ):
        assert line in page
    assert "Not scored: an input is missing" in page
    assert "of 18" not in page  # no SINS total
    assert "of 15" not in page and "of 10" not in page
    # Grouped by role: the spine surgeon's list names the SINS items.
    surgery = page.split("Missing before the meeting", 1)[1].split("Spine surgery", 1)[1]
    assert surgery.lstrip().startswith("SINS needs: alignment")


def test_several_lesions_show_a_table_with_the_index_lesion(client, members):
    case = make_case(members, primary_site="colon", levels=("T9", "L3"))
    present(
        members, case, "radiologist", "interventional_radiology", {"vertebral_mets": 2},
        [
            {"level": "T9", "pain": "occasional", "lesion_quality": "mixed", "alignment": "normal",
             "collapse": "none", "posterolateral": "none", "escc_grade": "1a"},
            {**EXAMPLE_5_LESION, "is_index": True},
        ],
    )  # fmt: skip
    login(client, "surgeon")
    page = page_of(client, case)
    assert "SINS and ESCC of each lesion" in page
    assert "T9 Semi-rigid (T3–T10) (from the level T9 (REFERENCE §1.3)) 3 Stable" in page
    assert "12 Potentially unstable · surgical consultation recommended (R3)" in page
    assert "Index lesion L3 (marked as the index lesion)" in page
    assert page.count("Index lesion") >= 2


def test_escc_1c_ecog_1_and_myeloma_are_asked_and_then_used(client, members):
    # Example 6 (myeloma, T11, ESCC 1c) with only ECOG 1 recorded.
    case = make_case(members, primary_site="myeloma", levels=("T11",))
    present(
        members, case, "oncologist", "medical_oncology",
        {"ecog": 1, "extraspinal_bone_mets": 3, "vertebral_mets": 3,
         "tokuhashi_visceral": "none", "tomita_visceral": "none"},
    )  # fmt: skip
    present(
        members, case, "surgeon", "spine_surgery", {"frankel": "E"},
        [{"level": "T11", "pain": "mechanical", "lesion_quality": "lytic",
          "alignment": "deformity", "collapse": "under_50", "posterolateral": "unilateral",
          "escc_grade": "1c"}],
    )  # fmt: skip
    login(client, "radiation")
    page = page_of(client, case)
    assert "13 of 18: Unstable" in page
    assert "ESCC 1c: treat as low or high grade for NOMS The board must choose" in page
    assert "KPS for Tokuhashi (only ECOG 1 is recorded) The board must choose" in page
    assert "Tomita growth class for Myeloma The board must choose" in page
    assert "Band ambiguous" in page
    assert "If KPS is Total Band 70 7 of 15 < 6 months (conservative) 80 8 of 15" in page
    assert "Myeloma is not classified by Tomita: the board must choose the growth class" in page
    assert "Tokuhashi needs: KPS (medical oncologist)" in page

    assert choose(client, case, "escc_1c_group", "low").status_code == 302
    assert choose(client, case, "kps_for_ecog", "70", subject="1").status_code == 302
    response = choose(
        client, case, "tomita_growth", "rapid", subject="myeloma", reason="Aggressive course."
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/cases/{case.id}#choices")

    page = page_of(client, case)
    assert "Group for NOMS: Low grade (the board's choice for grade 1c)" in page
    assert "Chosen: Treat as low grade, by Rafael Radiation at" in page
    assert "KPS 70 (the board's choice for ECOG 1)" in page
    assert "7 of 15: < 6 months (conservative)" in page
    assert "Band ambiguous" not in page
    assert "Rapid growth (the board's choice) 4" in page
    assert "6 of 10: Palliative surgery" in page
    assert "Reason: Aggressive course." in page
    assert "The board must choose" not in page


def test_coccyx_location_is_asked_and_then_scored(client, members):
    case = make_case(members, primary_site="prostate", levels=("coccyx",))
    present(
        members, case, "radiologist", "interventional_radiology", {},
        [{"level": "coccyx", "pain": "none", "lesion_quality": "blastic", "alignment": "normal",
          "collapse": "none", "posterolateral": "none", "escc_grade": "0"}],
    )  # fmt: skip
    login(client, "radiologist")
    page = page_of(client, case)
    assert "SINS location of the lesion at Coccyx The board must choose" in page
    assert "SINS needs: location" in page
    assert "of 18" not in page
    assert choose(client, case, "sins_location", "rigid", subject="coccyx").status_code == 302
    page = page_of(client, case)
    assert "Location Rigid (S2–S5) (the board's choice) 0" in page
    assert "0 of 18: Stable" in page
    assert "Chosen: Rigid (S2–S5), 0 points, by Ines Radiologist at" in page


def test_departing_from_the_suggestion_needs_a_reason(client, members):
    case = example_5(members)
    login(client, "oncologist")
    refused = choose(client, case, "tokuhashi_primary", "rectum", subject="colon")
    assert refused.status_code == 200
    page = text_of(refused)
    assert (
        "Give the reason for choosing Rectum, 4 points over the suggested Other, 2 points." in page
    )
    assert db.session.scalar(select(BoardChoice)) is None
    accepted = choose(
        client, case, "tokuhashi_primary", "rectum", subject="colon", reason="Rectosigmoid."
    )
    assert accepted.status_code == 302
    page = page_of(client, case)
    assert "10 of 18" not in page  # SINS is untouched
    assert "Colon, scored as Rectum (the board's choice) 4" in page
    assert "10 of 15: ≥ 6 months (palliative surgery)" in page


def test_a_new_choice_supersedes_and_the_history_is_kept(client, members):
    case = example_5(members)
    login(client, "surgeon")
    choose(client, case, "mechanical", "unstable", reason="Bilateral facet involvement.")
    logout(client)
    login(client, "surgeon2")
    choose(client, case, "mechanical", "mechanical_pain")
    rows = db.session.scalars(select(BoardChoice).order_by(BoardChoice.id)).all()
    assert [(row.value, row.chosen_by.username) for row in rows] == [
        ("unstable", "surgeon"),
        ("mechanical_pain", "surgeon2"),
    ]
    page = page_of(client, case)
    assert "Chosen: Mechanical pain without gross instability, by Sam Second-Surgeon at" in page
    assert "Earlier choices (1)" in page
    assert "Gross instability, by Sven Surgeon at" in page
    assert "Reason: Bilateral facet involvement." in page


def test_each_choice_records_one_audit_event_with_codes_only(client, members):
    case = example_5(members)
    login(client, "coordinator")
    choose(client, case, "tokuhashi_primary", "rectum", subject="colon", reason="Rectosigmoid.")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "changed", AuditEvent.entity_type == "case")
    ).all()
    assert len(events) == 1
    event = events[0]
    assert event.patient_id == case.patient_id
    assert event.user_id == members["coordinator"].id
    assert event.detail["kind"] == "tokuhashi_primary"
    assert event.detail["subject"] == "colon" and event.detail["value"] == "rectum"
    assert "Rectosigmoid" not in json.dumps(event.detail)


def test_a_member_without_a_specialty_who_is_not_coordinator_may_not_choose(client, members):
    case = example_5(members)
    login(client, "admin")
    page = page_of(client, case)
    assert "Record the choice" not in page
    response = client.post(
        choices_url(case, "mechanical"),
        data={"csrf_token": get_token(client, f"/cases/{case.id}"), "mechanical-value": "stable"},
    )
    assert response.status_code == 403
    assert db.session.scalar(select(BoardChoice)) is None


def test_choosing_needs_the_csrf_token(client, members):
    case = example_5(members)
    login(client, "surgeon")
    response = client.post(choices_url(case, "mechanical"), data={"mechanical-value": "stable"})
    assert response.status_code == 400
    assert db.session.scalar(select(BoardChoice)) is None


def test_a_choice_the_case_does_not_ask_is_404(client, members):
    case = example_5(members)  # KPS recorded: no KPS choice; colon has a Tomita class
    login(client, "surgeon")
    assert choose(client, case, "kps_for_ecog", "70", subject="1").status_code == 404
    assert choose(client, case, "tomita_growth", "slow", subject="colon").status_code == 404
    assert db.session.scalar(select(BoardChoice)) is None


def test_an_option_not_offered_is_refused_next_to_the_field(client, members):
    case = example_5(members)
    login(client, "surgeon")
    response = choose(client, case, "mechanical", "wobbly", reason="Typed reason")
    assert response.status_code == 200
    page = text_of(response)
    assert "&#39;wobbly&#39; is not one of the options offered." in page
    assert "Typed reason" in page
    assert db.session.scalar(select(BoardChoice)) is None


def test_a_choice_recorded_meanwhile_is_not_silently_replaced(client, members):
    case = example_5(members)
    login(client, "surgeon")
    token = get_token(client, f"/cases/{case.id}")  # the page shows no choice yet
    other = members["surgeon2"]
    db.session.add(
        BoardChoice(case_id=case.id, kind="mechanical", subject="", value="stable",
                    chosen_by_id=other.id)
    )  # fmt: skip
    db.session.commit()
    response = client.post(
        choices_url(case, "mechanical"),
        data={"csrf_token": token, "mechanical-value": "unstable", "mechanical-seen": ""},
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "Sam Second-Surgeon recorded “Stable” while you were choosing." in page
    assert db.session.scalars(select(BoardChoice.value)).all() == ["stable"]


def test_the_choices_page_lists_the_choices_and_records_a_view(client, members):
    case = example_5(members)
    login(client, "physio")
    response = client.get(f"/cases/{case.id}/choices")
    assert response.status_code == 200
    page = squeeze(text_of(response))
    assert "Mechanical status for NOMS" in page
    assert "Tokuhashi primary-site category for Colon" in page
    assert "Until the board chooses, the tool uses Other, 2 points (its suggestion [I])" in page
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "viewed", AuditEvent.entity_type == "case")
    ).all()
    assert [event.patient_id for event in viewed] == [case.patient_id]


def test_case_page_query_count_does_not_grow_with_choices_or_lesions(client, members):
    case = example_5(members)
    login(client, "surgeon")
    client.get(f"/cases/{case.id}")
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}").status_code == 200
    for n in range(8):
        choose(client, case, "mechanical", "unstable" if n % 2 else "stable", reason=f"Round {n}")
    present(
        members, case, "radiologist", "interventional_radiology", {"vertebral_mets": 4},
        [{**EXAMPLE_5_LESION, "level": level} for level in ("T9", "T10", "T11", "L3")],
    )  # fmt: skip
    client.get(f"/cases/{case.id}")
    with count_queries() as many:
        assert client.get(f"/cases/{case.id}").status_code == 200
    assert few[0] == many[0]
