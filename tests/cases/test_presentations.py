"""Presentation by role: own specialty only, its own inputs only, checked values, history."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.cases.models import Presentation
from app.cases.services import add_presentation, current_presentations, presentation_history
from app.extensions import db
from tests.factories import make_case
from tests.support import count_queries, login, logout, post_form, text_of


def url(case):
    return f"/cases/{case.id}/presentations/new"


def stored():
    return db.session.scalars(select(Presentation).order_by(Presentation.id)).all()


@pytest.mark.parametrize(
    ("username", "offered", "not_offered"),
    [
        (
            "oncologist",
            [
                "kps",
                "ecog",
                "extraspinal_bone_mets",
                "vertebral_mets",
                "tokuhashi_visceral",
                "tomita_visceral",
                "albumin_g_dl",
            ],
            ["frankel", "lesions-0-level", "mobility", "prior_rt_dose_gy"],
        ),
        (
            "radiation",
            ["prior_rt_dose_gy", "prior_rt_fractions", "prior_rt_date", "prior_rt_levels"],
            ["kps", "frankel", "lesions-0-level", "mobility"],
        ),
        (
            "radiologist",
            ["lesions-0-level", "lesions-2-escc_grade", "vertebral_mets"],
            ["kps", "frankel", "asia", "mobility", "prior_rt_dose_gy", "lesions-3-level"],
        ),
        (
            "surgeon",
            [
                "lesions-0-level",
                "lesions-1-collapse_percent",
                "frankel",
                "asia",
                "previous_spine_surgery",
            ],
            ["kps", "ecog", "vertebral_mets", "mobility", "prior_rt_levels"],
        ),
        (
            "physio",
            ["mobility"],
            ["kps", "ecog", "frankel", "lesions-0-level", "prior_rt_date"],
        ),
    ],
)
def test_the_form_offers_only_the_inputs_of_the_members_specialty(
    client, members, username, offered, not_offered
):
    case = make_case(members)
    login(client, username)
    page = text_of(client.get(url(case)))
    for name in offered:
        assert f'name="{name}"' in page, name
    for name in not_offered:
        assert f'name="{name}"' not in page, name
    assert 'name="summary"' in page
    # The only specialty the form carries is the member's own.
    assert page.count('name="specialty"') == 1


def test_a_member_without_a_specialty_is_refused(client, members):
    case = make_case(members)
    login(client, "coordinator")
    assert client.get(url(case)).status_code == 403
    response = post_form(
        client,
        url(case),
        {"specialty": "spine_surgery", "summary": "x"},
        form_url=f"/cases/{case.id}",
    )
    assert response.status_code == 403
    assert stored() == []


def test_presenting_under_another_specialty_is_refused(client, members):
    case = make_case(members)
    login(client, "surgeon")
    response = post_form(
        client, url(case), {"specialty": "medical_oncology", "kps": "70", "summary": "Fit."}
    )
    assert response.status_code == 403
    assert stored() == []


def test_inputs_of_other_specialties_are_not_taken(client, members):
    case = make_case(members)
    login(client, "surgeon")
    response = post_form(
        client, url(case), {"specialty": "spine_surgery", "frankel": "D", "kps": "70"}
    )
    assert response.status_code == 302
    (entry,) = stored()
    assert (entry.frankel, entry.kps) == ("D", None)
    assert (entry.author_id, entry.specialty) == (members["surgeon"].id, "spine_surgery")


def test_oncology_stores_kps_and_ecog_apart(client, members):
    case = make_case(members)
    login(client, "oncologist")
    response = post_form(
        client,
        url(case),
        {
            "specialty": "medical_oncology",
            "kps": "70",
            "albumin_g_dl": "3,4",
            "extraspinal_bone_mets": "0",
            "vertebral_mets": "2",
            "tokuhashi_visceral": "removable",
            "tomita_visceral": "treatable",
        },
    )
    assert response.status_code == 302
    (entry,) = stored()
    assert entry.kps == 70
    assert entry.ecog is None  # never derived from KPS
    assert entry.albumin_g_dl == pytest.approx(3.4)
    assert (entry.extraspinal_bone_mets, entry.vertebral_mets) == (0, 2)
    assert (entry.tokuhashi_visceral, entry.tomita_visceral) == ("removable", "treatable")


def test_radiotherapy_inputs(client, members):
    case = make_case(members)
    login(client, "radiation")
    response = post_form(
        client,
        url(case),
        {
            "specialty": "radiation_oncology",
            "prior_rt_dose_gy": "8",
            "prior_rt_fractions": "1",
            "prior_rt_date": "2024-05-02",
            "prior_rt_levels": ["T5", "T4"],
        },
    )
    assert response.status_code == 302
    (entry,) = stored()
    assert (entry.prior_rt_dose_gy, entry.prior_rt_fractions) == (8.0, 1)
    assert entry.prior_rt_date == date(2024, 5, 2)
    assert entry.prior_rt_levels == ["T4", "T5"]


FUTURE = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()


KPS_STEPS = "KPS is given in steps of 10, from 0 to 100."
LISTED = "choose one of the listed values."


@pytest.mark.parametrize(
    ("username", "name", "value", "message"),
    [
        ("oncologist", "kps", "75", KPS_STEPS),
        ("oncologist", "kps", "110", KPS_STEPS),
        ("oncologist", "kps", "high", KPS_STEPS),
        ("oncologist", "ecog", "6", "ECOG is a whole number from 0 to 5."),
        ("oncologist", "extraspinal_bone_mets", "-1", "0 or more."),
        ("oncologist", "extraspinal_bone_mets", "2.5", "0 or more."),
        ("oncologist", "vertebral_mets", "0", "1 or more."),
        ("oncologist", "albumin_g_dl", "9", "Give albumin in g/dL, from 0.5 to 7.0."),
        (
            "oncologist",
            "tomita_visceral",
            "maybe",
            f"Visceral metastases: treatable? (Tomita): {LISTED}",
        ),
        ("radiation", "prior_rt_dose_gy", "0", "more than 0, at most 100."),
        ("radiation", "prior_rt_dose_gy", "120", "more than 0, at most 100."),
        ("radiation", "prior_rt_fractions", "60", "from 1 to 50."),
        (
            "radiation",
            "prior_rt_date",
            FUTURE,
            "The date of prior radiotherapy cannot be in the future.",
        ),
        (
            "radiation",
            "prior_rt_date",
            "soon",
            "Enter the date of prior radiotherapy as a date, for example 2024-05-02.",
        ),
        (
            "radiation",
            "prior_rt_levels",
            "T13",
            "Choose the treated levels from C1 to S5 and coccyx.",
        ),
        ("surgeon", "frankel", "Z", f"Frankel grade: {LISTED}"),
        (
            "surgeon",
            "lesions-0-collapse_percent",
            "120",
            "Give the collapse as a whole percentage from 0 to 100.",
        ),
        ("surgeon", "lesions-0-escc_grade", "4", f"ESCC (Bilsky) grade: {LISTED}"),
        ("physio", "mobility", "flying", f"Mobility: {LISTED}"),
    ],
)
def test_each_refused_value_says_why_and_is_kept(client, members, username, name, value, message):
    case = make_case(members)
    login(client, username)
    specialty = members[username].specialty
    data = {"specialty": specialty, name: value, "summary": "My notes stay."}
    if name.startswith("lesions-0-"):
        data["lesions-0-level"] = "T4"
    response = post_form(client, url(case), data)
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert "My notes stay." in page
    if name not in {
        "tomita_visceral",
        "frankel",
        "mobility",
        "lesions-0-escc_grade",
        "prior_rt_levels",
    }:
        assert f'value="{value}"' in page
    assert stored() == []


def test_a_lesion_needs_its_level_and_blank_rows_are_ignored(client, members):
    case = make_case(members)
    login(client, "radiologist")
    response = post_form(
        client,
        url(case),
        {
            "specialty": "interventional_radiology",
            "lesions-0-level": "T12",
            "lesions-0-pain": "mechanical",
            "lesions-1-pain": "occasional",
            "lesions-1-lesion_quality": "lytic",
        },
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "Give the level of this lesion." in page
    second_row = page[page.index("Lesion 2") : page.index("Lesion 3")]
    assert "Give the level of this lesion." in second_row
    fixed = post_form(
        client,
        url(case),
        {
            "specialty": "interventional_radiology",
            "lesions-0-level": "T12",
            "lesions-0-pain": "mechanical",
            "lesions-2-level": "L1",
            "lesions-2-collapse_percent": "0",
            "lesions-2-collapse": "involved_no_collapse",
        },
    )
    assert fixed.status_code == 302
    (entry,) = stored()
    assert [(lesion.position, lesion.level) for lesion in entry.lesions] == [(1, "T12"), (2, "L1")]
    assert entry.lesions[1].collapse_percent == 0


def test_a_measured_collapse_needs_the_category(client, members):
    case = make_case(members)
    login(client, "surgeon")
    response = post_form(
        client,
        url(case),
        {"specialty": "spine_surgery", "lesions-0-level": "L2", "lesions-0-collapse_percent": "50"},
    )
    assert response.status_code == 200
    assert "Choose the collapse category as well" in text_of(response)
    chosen = post_form(
        client,
        url(case),
        {
            "specialty": "spine_surgery",
            "lesions-0-level": "L2",
            "lesions-0-collapse_percent": "50",
            "lesions-0-collapse": "over_50",
        },
    )
    assert chosen.status_code == 302
    (entry,) = stored()
    assert (entry.lesions[0].collapse, entry.lesions[0].collapse_percent) == ("over_50", 50)


def test_only_one_index_lesion(client, members):
    case = make_case(members)
    login(client, "surgeon")
    response = post_form(
        client,
        url(case),
        {
            "specialty": "spine_surgery",
            "lesions-0-level": "T4",
            "lesions-0-is_index": "y",
            "lesions-1-level": "T5",
            "lesions-1-is_index": "y",
        },
    )
    assert response.status_code == 200
    assert "Mark only one lesion as the index lesion." in text_of(response)
    assert stored() == []


def test_an_empty_presentation_is_refused(client, members):
    case = make_case(members)
    login(client, "physio")
    response = post_form(client, url(case), {"specialty": "physiotherapy", "summary": "  "})
    assert response.status_code == 200
    assert "Give a summary or at least one finding before saving." in text_of(response)


def test_full_surgical_presentation_is_shown_on_the_case(client, members):
    case = make_case(members)
    login(client, "surgeon")
    response = post_form(
        client,
        url(case),
        {
            "specialty": "spine_surgery",
            "frankel": "D",
            "asia": "D",
            "previous_spine_surgery": "L4-5 decompression 2019",
            "lesions-0-level": "coccyx",
            "lesions-0-location": "rigid",
            "lesions-0-pain": "mechanical",
            "lesions-0-lesion_quality": "lytic",
            "lesions-0-alignment": "normal",
            "lesions-0-collapse": "under_50",
            "lesions-0-collapse_percent": "30",
            "lesions-0-posterolateral": "unilateral",
            "lesions-0-escc_grade": "1c",
            "lesions-0-cauda_equina": "y",
            "lesions-0-is_index": "y",
            "summary": "Weak left leg.\n<script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    (lesion,) = stored()[0].lesions
    assert (lesion.level, lesion.location, lesion.escc_grade) == ("coccyx", "rigid", "1c")
    assert lesion.cauda_equina and lesion.is_index
    page = text_of(client.get(f"/cases/{case.id}"))
    for shown in (
        "Sven Surgeon, Spine surgery",
        "Weak left leg.<br>&lt;script&gt;alert(1)&lt;/script&gt;",
        "Frankel grade</dt><dd>D: motor useful",
        "L4-5 decompression 2019",
        "<td>Coccyx</td>",
        "Rigid (S2–S5)",
        "&lt; 50% collapse (30% measured)",
        "1c: thecal sac deformed",
        "Index lesion",
    ):
        assert shown in page, shown
    assert "<script>alert(1)</script>" not in page


def test_presenting_is_audited_with_field_names_only(client, members):
    case = make_case(members, family_name="Fairbairn", given_name="Margaret")
    login(client, "oncologist")
    post_form(
        client,
        url(case),
        {
            "specialty": "medical_oncology",
            "kps": "60",
            "ecog": "2",
            "summary": "Fairbairn is frail.",
        },
    )
    (entry,) = stored()
    created = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "created", AuditEvent.entity_type == "presentation"
        )
    )
    assert created.entity_id == entry.id
    assert created.patient_id == case.patient_id
    assert created.user_id == members["oncologist"].id
    assert created.detail["specialty"] == "medical_oncology"
    assert created.detail["fields"] == ["ecog", "kps"]
    text = json.dumps(
        [e.detail for e in db.session.scalars(select(AuditEvent))], ensure_ascii=False
    )
    for secret in ("Fairbairn", "Margaret", "SYN-0001", "frail", "60"):
        assert secret not in text


def test_a_later_entry_supersedes_and_history_keeps_both(client, members):
    case = make_case(members)
    login(client, "surgeon")
    post_form(
        client, url(case), {"specialty": "spine_surgery", "frankel": "D", "summary": "First look."}
    )
    logout(client)
    login(client, "surgeon2")
    form_page = text_of(client.get(url(case)))
    # The form starts from the role's current entry, whoever logged it.
    assert '<option selected value="D">' in form_page or 'value="D" selected' in form_page
    assert "First look." in form_page
    assert "Filled in from the current Spine surgery entry by Sven Surgeon" in form_page
    post_form(
        client, url(case), {"specialty": "spine_surgery", "frankel": "C", "summary": "Worse today."}
    )

    case_page = text_of(client.get(f"/cases/{case.id}"))
    assert "Worse today." in case_page
    assert "Sam Second-Surgeon, Spine surgery" in case_page
    assert "First look." not in case_page
    assert "Spine surgery (2 entries)" in case_page

    history = text_of(client.get(f"/cases/{case.id}/presentations?specialty=spine_surgery"))
    assert history.index("Worse today.") < history.index("First look.")
    older = history[history.index("Worse today.") :]
    assert "Superseded" in older
    assert "Superseded" not in history[: history.index("Worse today.")]
    assert client.get(f"/cases/{case.id}/presentations?specialty=nonsense").status_code == 404


def test_the_form_prefills_lesions_and_leaves_room_for_one_more(client, members):
    case = make_case(members)
    add_presentation(
        case=case,
        author=members["radiologist"],
        specialty="interventional_radiology",
        summary="",
        fields={"vertebral_mets": 3},
        lesions=[{"level": level, "pain": "none"} for level in ("T2", "T3", "T4")],
    )
    login(client, "radiologist")
    page = text_of(client.get(url(case)))
    assert 'name="vertebral_mets" step="1" type="number" value="3"' in page
    for row in ("Lesion 1", "Lesion 4"):
        assert row in page
    assert "Lesion 5" not in page


def test_history_lists_every_role_newest_first(client, members):
    case = make_case(members)
    for username, specialty, summary in (
        ("oncologist", "medical_oncology", "One"),
        ("physio", "physiotherapy", "Two"),
        ("oncologist", "medical_oncology", "Three"),
    ):
        add_presentation(
            case=case,
            author=members[username],
            specialty=specialty,
            summary=summary,
            fields={},
            lesions=[],
        )
    login(client, "physio")
    page = text_of(client.get(f"/cases/{case.id}/presentations"))
    assert page.index("Three") < page.index("Two") < page.index("One")
    assert page.count('badge">Superseded') == 1
    assert [p.summary for p in presentation_history(case)] == ["Three", "Two", "One"]


@pytest.mark.parametrize(
    ("username", "specialty", "fields", "lesions", "refusal", "match"),
    [
        ("surgeon", "medical_oncology", {}, [], PermissionError, None),
        ("coordinator", None, {}, [], PermissionError, None),
        ("oncologist", "medical_oncology", {"frankel": "D"}, [], ValueError, "frankel"),
        ("oncologist", "medical_oncology", {}, [{"level": "T4"}], ValueError, "lesions"),
        (
            "oncologist",
            "medical_oncology",
            {"kps": 65},
            [],
            ValueError,
            "KPS is given in steps of 10",
        ),
    ],
    ids=["another-specialty", "no-specialty", "foreign-input", "foreign-lesions", "bad-value"],
)
def test_service_refuses_another_specialty_and_foreign_inputs(
    app, members, username, specialty, fields, lesions, refusal, match
):
    case = make_case(members)
    with pytest.raises(refusal, match=match):
        add_presentation(
            case=case,
            author=members[username],
            specialty=specialty,
            summary="x",
            fields=fields,
            lesions=lesions,
        )
    assert db.session.scalar(select(func.count(Presentation.id))) == 0


def test_current_presentations_latest_per_role_in_order_in_two_queries(app, members):
    case = make_case(members)
    for username, specialty, fields in (
        ("physio", "physiotherapy", {"mobility": "independent"}),
        ("surgeon", "spine_surgery", {"frankel": "E"}),
        ("oncologist", "medical_oncology", {"kps": 90}),
        ("surgeon2", "spine_surgery", {"frankel": "D"}),
    ):
        add_presentation(
            case=case,
            author=members[username],
            specialty=specialty,
            summary="",
            fields=fields,
            lesions=[{"level": "T4"}] if specialty == "spine_surgery" else [],
        )
    db.session.expire_all()
    with count_queries() as queries:
        current = current_presentations(case)
        shown = [
            (p.specialty, p.author.username, [lesion.level for lesion in p.lesions])
            for p in current
        ]
    assert shown == [
        ("medical_oncology", "oncologist", []),
        ("spine_surgery", "surgeon2", ["T4"]),
        ("physiotherapy", "physio", []),
    ]
    assert queries[0] <= 3  # the case's own id reload after expiry, entries, lesions
