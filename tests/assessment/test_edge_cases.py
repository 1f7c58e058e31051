"""Edge cases across the clinical assessment: KPS 0, neurological signs, NOMS rule numbers."""

from __future__ import annotations

from datetime import timedelta

from app.clinical import noms
from app.timestamps import utcnow
from tests.assessment.test_scores_page import squeeze
from tests.assessment.test_urgency import timeline
from tests.factories import make_case
from tests.support import login, logout, post_form, text_of


def post_presentation(client, case, username, fields=None, lesions=()):
    """Present as a member does: through the presentation form."""
    login(client, username)
    data = {"summary": "findings", **{name: str(value) for name, value in (fields or {}).items()}}
    for row, lesion in enumerate(lesions):
        for name, value in lesion.items():
            data[f"lesions-{row}-{name}"] = str(value)
    response = post_form(client, f"/cases/{case.id}/presentations/new", data)
    logout(client)
    return response


def test_kps_0_accepted_by_the_form_does_not_break_the_case_page(client, members):
    # KPS 0 is a valid code (ECOG 5) but Tokuhashi's bands start at 10: the page still shows,
    # with no Tokuhashi total.
    case = make_case(members, primary_site="lung", levels=("T6",))
    saved = post_presentation(
        client, case, "oncologist",
        {"kps": 0, "extraspinal_bone_mets": 0, "vertebral_mets": 1,
         "tokuhashi_visceral": "none", "tomita_visceral": "none"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert post_presentation(client, case, "surgeon", {"frankel": "E"}).status_code == 302
    login(client, "physio")
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    assert "of 15" not in squeeze(text_of(response))  # never a Tokuhashi total for KPS 0


def test_a_case_with_neurological_signs_sorts_with_the_urgent_cases(client, members):
    # R17: cancer plus neurological signs is suspected MSCC, an emergency: recording the signs
    # flags the case urgent, so it is listed before routine cases.
    emergency = make_case(members, primary_site="lung", levels=("T6",))
    routine = make_case(members, primary_site="breast", levels=("L2",))
    login(client, "surgeon")
    onset = utcnow() - timedelta(hours=2)
    data = timeline(
        emergency,
        neurological=True,
        symptom_onset_at=(onset.strftime("%Y-%m-%d"), onset.strftime("%H:%M")),
    )
    assert post_form(client, f"/cases/{emergency.id}/urgency", data).status_code == 302
    page = text_of(client.get(f"/cases/{emergency.id}"))
    assert "within 24 h" in page  # the pathway treats it as an MSCC emergency
    listing = text_of(client.get("/cases/"))
    first, second = f'href="/cases/{emergency.id}"', f'href="/cases/{routine.id}"'
    assert listing.index(first) < listing.index(second)


def test_noms_rules_are_the_reference_rules_r9_to_r15_only():
    # CONTRACT: `rules` are "the rule numbers of the reference (R9…R15) that produced them";
    # R17 (dexamethasone for MSCC) is cited only beside the corticosteroids option.
    suggestion = noms.suggest(
        escc_group="high",
        radiosensitive=True,
        mechanical="stable",
        fit_for_open_surgery=True,
        fit_for_mis=True,
        fit_for_sbrt=True,
    )
    assert set(suggestion.rules) <= {f"R{n}" for n in range(9, 16)}
