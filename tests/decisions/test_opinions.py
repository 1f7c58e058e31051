"""Members' opinions on an agenda item: giving, editing with history, and refusals."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.decisions.models import Opinion, OpinionChoice
from app.decisions.services import current_opinion, save_opinion
from app.extensions import db
from tests.factories import OPTION_NAMES, add_item
from tests.support import login, post_form, text_of


def _opinion_url(item) -> str:
    return f"/items/{item.id}/opinion"


def _missing_specialties(page: str) -> str:
    match = re.search(r'class="missing-opinions">(.*?)</p>', page, re.S)
    return match.group(1) if match else ""


def test_member_gives_an_opinion_shown_on_the_item_page(client, members):
    item = add_item(members)
    login(client, "oncologist")
    response = post_form(
        client,
        _opinion_url(item),
        {
            "option_1": "separation_surgery",
            "option_2": "sbrt",
            "reasoning": "Radioresistant; cord compressed.",
            "agrees_with_consensus": "y",
        },
    )
    assert response.status_code == 302

    page = text_of(client.get(f"/items/{item.id}"))
    assert "Olga Oncologist" in page
    assert "Medical oncology" in page
    surgery, sbrt = OPTION_NAMES["separation_surgery"], OPTION_NAMES["sbrt"]
    assert page.index(surgery) < page.index(sbrt)
    assert "Radioresistant; cord compressed." in page
    assert "In agreement with the emerging consensus: <strong>Yes</strong>" in page
    missing = _missing_specialties(page)
    assert "Medical oncology" not in missing
    for label in (
        "Radiation oncology",
        "Interventional radiology",
        "Spine surgery",
        "Physiotherapy",
    ):
        assert label in missing

    stored = db.session.scalars(select(Opinion)).one()
    assert (stored.specialty, stored.version, stored.is_current) == ("medical_oncology", 1, True)
    assert [choice.option_version.code for choice in stored.choices] == [
        "separation_surgery",
        "sbrt",
    ]


def test_editing_keeps_every_version_and_the_form_is_prefilled(client, members):
    item = add_item(members)
    login(client, "radiation")
    post_form(client, _opinion_url(item), {"option_1": "cebrt", "reasoning": "First view."})
    form = text_of(client.get(_opinion_url(item)))
    assert re.search(r'<option selected value="cebrt">|<option value="cebrt" selected>', form)
    assert "First view." in form

    response = post_form(
        client,
        _opinion_url(item),
        {"option_1": "sbrt", "option_2": "corticosteroids", "reasoning": "Second view."},
    )
    assert response.status_code == 302

    versions = db.session.scalars(select(Opinion).order_by(Opinion.version)).all()
    assert [(o.version, o.is_current) for o in versions] == [(1, False), (2, True)]

    page = text_of(client.get(f"/items/{item.id}"))
    assert "Second view." in page
    assert "First view." not in page
    history_url = f"/items/{item.id}/opinions/{members['radiation'].id}"
    assert history_url in page

    history = text_of(client.get(history_url))
    assert "First view." in history
    assert "Second view." in history
    assert history.index("Second view.") < history.index("First view.")
    assert OPTION_NAMES["cebrt"] in history


def test_a_repeated_option_is_refused_next_to_the_field(client, members):
    item = add_item(members)
    login(client, "surgeon")
    response = post_form(
        client,
        _opinion_url(item),
        {"option_1": "sbrt", "option_2": "cebrt", "option_3": "sbrt", "reasoning": "Kept text"},
    )
    assert response.status_code == 200
    page = text_of(response)
    assert f"{OPTION_NAMES['sbrt']} is already your first choice: choose each option once." in page
    assert 'id="option_3-error"' in page
    assert "Kept text" in page
    assert db.session.scalars(select(Opinion)).first() is None


def test_the_first_option_is_required(client, members):
    item = add_item(members)
    login(client, "physio")
    response = post_form(client, _opinion_url(item), {"option_1": "", "reasoning": "No choice"})
    assert response.status_code == 200
    assert "Choose your first option from the catalogue." in text_of(response)
    assert 'id="option_1-error"' in text_of(response)


def test_a_member_without_specialty_cannot_give_an_opinion(client, members):
    item = add_item(members)
    login(client, "coordinator")
    assert client.get(_opinion_url(item)).status_code == 403
    response = post_form(
        client, _opinion_url(item), {"option_1": "sbrt"}, form_url=f"/items/{item.id}"
    )
    assert response.status_code == 403
    assert db.session.scalars(select(Opinion)).first() is None


def test_the_opinion_form_needs_login(client, members):
    item = add_item(members)
    response = client.get(_opinion_url(item))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("username", "codes", "refusal", "match"),
    [
        ("coordinator", ["sbrt"], PermissionError, None),
        ("surgeon", ["sbrt", "laser"], ValueError, "'laser'"),
        ("surgeon", ["sbrt", "sbrt"], ValueError, "'sbrt'"),
        ("surgeon", [], ValueError, "at least one"),
    ],
    ids=["no-specialty", "unknown-option", "repeated-option", "no-option"],
)
def test_service_refuses_bad_opinions(app, members, username, codes, refusal, match):
    item = add_item(members)
    with pytest.raises(refusal, match=match):
        save_opinion(
            item=item,
            author=members[username],
            option_codes=codes,
            reasoning="",
            agrees_with_consensus=True,
        )
    assert db.session.scalars(select(Opinion)).first() is None


def test_saving_records_an_audit_event_without_free_text(app, members):
    item = add_item(members)
    first = save_opinion(
        item=item,
        author=members["surgeon"],
        option_codes=["separation_surgery", "sbrt"],
        reasoning="Secret clinical reasoning",
        agrees_with_consensus=False,
    )
    second = save_opinion(
        item=item,
        author=members["surgeon"],
        option_codes=["separation_surgery", "sbrt"],
        reasoning="Changed reasoning",
        agrees_with_consensus=False,
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "opinion").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.entity_id) for e in events] == [
        ("created", first.id),
        ("changed", second.id),
    ]
    assert events[1].patient_id == item.case.patient_id
    assert events[1].detail["fields"] == ["reasoning"]
    assert events[1].detail["options"] == ["separation_surgery", "sbrt"]
    assert "Secret" not in str([e.detail for e in events])


def test_a_save_from_another_window_is_kept_as_its_own_version(app, members):
    item = add_item(members)
    first = save_opinion(
        item=item,
        author=members["surgeon"],
        option_codes=["sbrt"],
        reasoning="First",
        agrees_with_consensus=True,
    )
    assert current_opinion(item, members["surgeon"]).version == 1

    # Another window saves version 2 after ours loaded version 1.
    with Session(db.engine) as other:
        other.get(Opinion, first.id).is_current = False
        other.flush()
        other.add(
            Opinion(
                agenda_item_id=item.id,
                author_id=members["surgeon"].id,
                specialty="spine_surgery",
                version=2,
                is_current=True,
                reasoning="From the other window",
                agrees_with_consensus=True,
                choices=[
                    OpinionChoice(position=1, option_version_id=first.choices[0].option_version_id)
                ],
            )
        )
        other.commit()

    ours = save_opinion(
        item=item,
        author=members["surgeon"],
        option_codes=["cebrt"],
        reasoning="Ours",
        agrees_with_consensus=False,
    )
    assert ours.version == 3
    db.session.expire_all()
    versions = db.session.scalars(select(Opinion).order_by(Opinion.version)).all()
    assert [(o.reasoning, o.is_current) for o in versions] == [
        ("First", False),
        ("From the other window", False),
        ("Ours", True),
    ]
