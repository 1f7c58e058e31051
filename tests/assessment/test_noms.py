"""The NOMS panel on the item and case pages, and the board's fitness judgement on the item."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from app.assessment.fitness import latest_fitness
from app.assessment.models import FitnessAssessment
from app.assessment.radiosensitivity import seed_radiosensitivity
from app.audit.models import AuditEvent
from app.cases.services import add_presentation
from app.extensions import db
from tests.factories import add_item, make_case, make_meeting
from tests.support import login, logout, post_form, text_of

ALL_FIT = {
    "fit_for_open_surgery": "yes",
    "fit_for_mis": "yes",
    "fit_for_sbrt": "yes",
    "fit_for_radiotherapy": "yes",
}


def _present(members, case, *, lesion: dict, frankel: str, oncology: dict) -> None:
    add_presentation(
        case=case,
        author=members["surgeon"],
        specialty="spine_surgery",
        summary="Imaging and neurology.",
        fields={"frankel": frankel},
        lesions=[lesion | {"is_index": True}],
    )
    add_presentation(
        case=case,
        author=members["oncologist"],
        specialty="medical_oncology",
        summary="Systemic disease.",
        fields=oncology,
        lesions=[],
    )


def example_7(members):
    """REFERENCE §10 Example 7: clear-cell RCC, L1, ESCC 2, SINS 8; radioresistant."""
    case = make_case(
        members, primary_site="kidney", histology="Clear-cell renal cell carcinoma", levels=["L1"]
    )
    _present(
        members,
        case,
        lesion={
            "level": "L1",
            "pain": "occasional",
            "lesion_quality": "lytic",
            "alignment": "normal",
            "collapse": "involved_no_collapse",
            "posterolateral": "unilateral",
            "escc_grade": "2",
        },
        frankel="D",
        oncology={
            "kps": 80,
            "extraspinal_bone_mets": 1,
            "vertebral_mets": 1,
            "tokuhashi_visceral": "unremovable",
            "tomita_visceral": "treatable",
        },
    )
    return case


def example_12(members):
    """REFERENCE §10 Example 12: DLBCL, T9, ESCC 3, SINS 5; radiosensitive."""
    case = make_case(
        members, primary_site="lymphoma", histology="Diffuse large B-cell lymphoma", levels=["T9"]
    )
    _present(
        members,
        case,
        lesion={
            "level": "T9",
            "pain": "occasional",
            "lesion_quality": "lytic",
            "alignment": "normal",
            "collapse": "none",
            "posterolateral": "unilateral",
            "escc_grade": "3",
        },
        frankel="D",
        oncology={
            "kps": 70,
            "extraspinal_bone_mets": 0,
            "vertebral_mets": 1,
            "tokuhashi_visceral": "none",
            "tomita_visceral": "none",
        },
    )
    return case


def _seeded() -> None:
    seed_radiosensitivity()
    db.session.commit()


def _noms_section(html: str) -> str:
    match = re.search(r'<section class="card noms".*?</section>', html, re.S)
    assert match, "the page has no NOMS panel"
    return unescape(re.sub(r"\s+", " ", match.group(0)))


def _words(section: str) -> str:
    """The panel's text as a reader sees it, without the markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).replace(" :", ":")


def _option_links(section: str) -> list[str]:
    return re.findall(r'<a href="/catalogue/([a-z_]+)">', section)


# Fitness on the item ---------------------------------------------------------------------------


def test_the_chair_records_fitness_on_the_item_and_the_latest_counts(client, members):
    item = add_item(members)  # chaired by "surgeon"
    login(client, "surgeon")
    url = f"/items/{item.id}"
    page = text_of(client.get(url))
    assert f'action="/items/{item.id}/fitness"' in page
    assert "Not yet judged" in _noms_section(page)

    response = post_form(client, f"/items/{item.id}/fitness", ALL_FIT | {"note": "KPS 80."})
    assert response.status_code == 302
    assert response.location.endswith(f"/items/{item.id}#noms")
    logout(client)

    login(client, "coordinator")
    response = post_form(
        client,
        f"/items/{item.id}/fitness",
        ALL_FIT | {"fit_for_open_surgery": "no", "note": "Anaesthetic review: high risk."},
    )
    assert response.status_code == 302
    latest = latest_fitness(item)
    assert latest.fit_for_open_surgery is False
    assert latest.recorded_by.username == "coordinator"
    assert db.session.scalar(select(func.count(FitnessAssessment.id))) == 2

    section = _noms_section(text_of(client.get(url)))
    assert "Fit for open surgery: no" in _words(section)
    assert "Judged by Cora Coordinator" in _words(section)
    history = text_of(client.get(f"/items/{item.id}/fitness"))
    assert "Sven Surgeon" in history and "Cora Coordinator" in history
    assert "Anaesthetic review: high risk." in history

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "fitness_assessment")
    ).all()
    assert len(events) == 2
    assert events[1].detail["fit_for_open_surgery"] is False
    assert "Anaesthetic" not in str(events[1].detail)


def test_only_the_chair_or_a_coordinator_records_fitness(client, members):
    item = add_item(members)  # chaired by "surgeon"
    for username in ("surgeon2", "oncologist", "admin"):
        login(client, username)
        page = text_of(client.get(f"/items/{item.id}"))
        assert "Record the fitness judgement" not in page
        history = client.get(f"/items/{item.id}/fitness")
        assert history.status_code == 200
        assert "chair or a coordinator records the judgement." in text_of(history)
        assert 'name="fit_for_sbrt"' not in text_of(history)
        response = post_form(
            client, f"/items/{item.id}/fitness", ALL_FIT, form_url=f"/items/{item.id}"
        )
        assert response.status_code == 403
        logout(client)
    assert latest_fitness(item) is None


def test_each_fitness_judgement_must_be_answered(client, members):
    item = add_item(members)
    login(client, "surgeon")
    data = ALL_FIT | {"note": "Typed note"}
    del data["fit_for_sbrt"]
    response = post_form(client, f"/items/{item.id}/fitness", data)
    assert response.status_code == 200
    page = unescape(text_of(response))
    assert "Answer yes or no: fit for sbrt?" in page
    assert "Typed note" in page
    assert latest_fitness(item) is None


# The NOMS suggestion ---------------------------------------------------------------------------


def test_example_7_rcc_high_grade_fit_gives_separation_surgery_then_sbrt(client, members):
    _seeded()
    item = add_item(members, case=example_7(members))
    login(client, "surgeon")
    section = _noms_section(text_of(client.get(f"/items/{item.id}")))
    assert "NOMS: documented options for discussion" in _words(section)
    assert "documented options for discussion — the board decides" in _words(section)
    assert "NOMS needs: fitness judgement (chair or coordinator)" in _words(section)
    assert _option_links(section) == []

    post_form(client, f"/items/{item.id}/fitness", ALL_FIT)
    section = _noms_section(text_of(client.get(f"/items/{item.id}")))
    assert "NOMS needs" not in _words(section)
    assert "ESCC 2: cord compressed, CSF visible; high grade" in _words(section)
    assert "Radioresistant (table: Renal cell carcinoma" in _words(section)
    assert "M: mechanical Stable" in _words(section)
    assert _option_links(section) == ["corticosteroids", "separation_surgery", "sbrt"]
    assert '<abbr title="Radioresistant + high-grade ESCC + fit for surgery' in section
    assert "R11: Radioresistant + high-grade ESCC + fit for surgery" in _words(section)
    assert "R17: Suspected MSCC is an emergency" in _words(section)
    assert "[S] secondary source" in _words(section)
    assert "Left out for fitness" not in _words(section)


def test_example_12_lymphoma_gives_cebrt_and_no_surgery(client, members):
    _seeded()
    item = add_item(members, case=example_12(members))
    login(client, "coordinator")
    post_form(client, f"/items/{item.id}/fitness", ALL_FIT)
    section = _noms_section(text_of(client.get(f"/items/{item.id}")))
    assert "ESCC 3: cord compressed, no CSF visible; high grade" in _words(section)
    assert "Radiosensitive (table: Lymphoma" in _words(section)
    assert _option_links(section) == ["corticosteroids", "cebrt"]
    assert "R9: Radiosensitive: cEBRT, whatever the ESCC grade" in _words(section)
    assert "separation_surgery" not in section


def test_fitness_drops_what_the_patient_cannot_tolerate(client, members):
    _seeded()
    item = add_item(members, case=example_7(members))
    login(client, "surgeon")
    post_form(client, f"/items/{item.id}/fitness", ALL_FIT | {"fit_for_open_surgery": "no"})
    section = _noms_section(text_of(client.get(f"/items/{item.id}")))
    assert _option_links(section) == ["corticosteroids", "cebrt"]
    assert "Left out for fitness (R15)" in _words(section)
    assert "Separation surgery (posterolateral circumferential decompression" in _words(section)
    assert "not fit for open surgery" in _words(section)
    assert "[R] unverified" in section  # R12: the fallback branch is from recall


def test_an_unlisted_primary_needs_the_board_and_an_override_completes_noms(client, members):
    _seeded()
    case = example_7(members)
    case.primary_site = "uterus"
    db.session.commit()
    item = add_item(members, case=case)
    login(client, "surgeon")
    post_form(client, f"/items/{item.id}/fitness", ALL_FIT)
    section = _noms_section(text_of(client.get(f"/items/{item.id}")))
    assert "NOMS needs: radiosensitivity" in _words(section)
    assert "not in the table: the board must choose" in _words(section)
    assert _option_links(section) == []

    post_form(
        client,
        f"/radiosensitivity/cases/{case.id}",
        {"value": "resistant", "reason": "Endometrial: site practice treats as resistant."},
    )
    section = _noms_section(text_of(client.get(f"/items/{item.id}")))
    assert "board override by Sven Surgeon: Endometrial" in _words(section)
    assert _option_links(section) == ["corticosteroids", "separation_surgery", "sbrt"]


def test_the_case_page_summarises_noms_from_the_latest_item(client, members):
    _seeded()
    case = example_12(members)
    login(client, "oncologist")
    section = _noms_section(text_of(client.get(f"/cases/{case.id}")))
    assert "NOMS needs: fitness judgement (chair or coordinator, on an agenda item)" in _words(
        section
    )
    assert "Record the fitness judgement" not in _words(section)

    meeting = make_meeting(members, title="Tuesday spine board")
    item = add_item(members, meeting, case)
    logout(client)
    login(client, "coordinator")
    post_form(client, f"/items/{item.id}/fitness", ALL_FIT)
    section = _noms_section(text_of(client.get(f"/cases/{case.id}")))
    assert _option_links(section) == ["corticosteroids", "cebrt"]
    assert "at Tuesday spine board" in _words(section)
    assert "Record the fitness judgement" not in _words(section)
    assert "documented options for discussion — the board decides" in _words(section)
