"""The site's radiosensitivity table (REFERENCE §4, R8): seed, versions, admin pages, overrides."""

from __future__ import annotations

from sqlalchemy import func, select

from app.assessment.models import BoardChoice, RadiosensitivityEntry
from app.assessment.radiosensitivity import (
    NOT_IN_TABLE,
    SEED_ROWS,
    classify,
    current_entry_for_site,
    edit_entry,
    seed_radiosensitivity,
)
from app.audit.models import AuditEvent
from app.extensions import db
from tests.factories import make_case
from tests.support import login, logout, post_form, text_of


def _rows() -> int:
    return db.session.scalar(select(func.count(RadiosensitivityEntry.id)))


def _seeded():
    seed_radiosensitivity()
    db.session.commit()


def _entry_form(entry, **changes) -> dict:
    data = {
        "primary_site": entry.primary_site or "",
        "histology": entry.histology,
        "classification": entry.classification,
        "source": entry.source,
        "tag": entry.tag,
        "base_version": str(entry.version),
    }
    return data | changes


# Seeding ---------------------------------------------------------------------------------------


def test_seed_loads_every_row_of_the_reference_once(app, members):
    added = seed_radiosensitivity()
    db.session.commit()
    assert len(added) == len(SEED_ROWS) == _rows()
    assert seed_radiosensitivity() == []
    db.session.commit()
    assert _rows() == len(SEED_ROWS)

    result = app.test_cli_runner().invoke(args=["radiosensitivity", "seed"])
    assert result.exit_code == 0, result.output
    assert f"0 rows added, {len(SEED_ROWS)} already present" in result.output
    assert _rows() == len(SEED_ROWS)


def test_seed_rows_carry_their_tier_source_and_tag(app, members):
    _seeded()
    kidney = current_entry_for_site("kidney")
    assert (kidney.classification, kidney.tag, kidney.version) == ("resistant", "C2", 1)
    assert "AO Foundation" in kidney.source
    assert kidney.lineage_id == kidney.id
    lymphoma = current_entry_for_site("lymphoma")
    assert (lymphoma.classification, lymphoma.tag) == ("sensitive", "C2")
    breast = current_entry_for_site("breast")
    assert (breast.classification, breast.tag) == ("sensitive", "R")
    assert "intermediate; commonly treated as radiosensitive for cEBRT" in breast.source
    lung = current_entry_for_site("lung")
    assert (lung.classification, lung.tag) == ("resistant", "R")
    # Histologies without a primary-site code are reference rows, applied by override.
    seminoma = db.session.scalar(
        select(RadiosensitivityEntry).where(RadiosensitivityEntry.histology.like("Seminoma%"))
    )
    assert seminoma.primary_site is None
    assert seminoma.classification == "sensitive"
    for site in ("thyroid", "colon", "rectum", "melanoma", "myeloma", "prostate"):
        assert current_entry_for_site(site) is not None, site
    for site in ("sarcoma", "liver", "stomach", "esophagus", "pancreas", "gallbladder"):
        assert current_entry_for_site(site).tag == "R", site


def test_seed_does_not_bring_back_a_row_the_site_edited(app, members):
    _seeded()
    lymphoma = current_entry_for_site("lymphoma")
    edit_entry(
        entry=lymphoma,
        base_version=1,
        author=members["admin"],
        primary_site=None,
        histology="Lymphoma (all subtypes)",
        classification="sensitive",
        source=lymphoma.source,
        tag="C2",
    )
    seminoma = db.session.scalar(
        select(RadiosensitivityEntry).where(RadiosensitivityEntry.histology.like("Seminoma%"))
    )
    edit_entry(
        entry=seminoma,
        base_version=1,
        author=members["admin"],
        primary_site=None,
        histology="Testicular germ-cell tumour",
        classification="sensitive",
        source=seminoma.source,
        tag="C2",
    )
    count = _rows()
    assert seed_radiosensitivity() == []
    assert _rows() == count


# Classifying a case ----------------------------------------------------------------------------


def test_classify_reads_the_table_row_of_the_primary_site(app, members):
    _seeded()
    kidney_case = make_case(members, primary_site="kidney", histology="Clear cell RCC")
    radiosensitive, basis = classify(kidney_case)
    assert radiosensitive is False
    assert basis.startswith("table: Renal cell carcinoma — REFERENCE §4")
    assert basis.endswith("[C2]")

    breast_case = make_case(members, primary_site="breast", histology="ER+ ductal")
    radiosensitive, basis = classify(breast_case)
    assert radiosensitive is True
    assert "intermediate; commonly treated as radiosensitive for cEBRT (REFERENCE §4 [R])" in basis
    assert basis.endswith("[R]")


def test_a_primary_the_table_does_not_list_is_left_to_the_board(app, members):
    _seeded()
    case = make_case(members, primary_site="uterus", histology="Endometrial carcinoma")
    assert classify(case) == (None, NOT_IN_TABLE)
    assert NOT_IN_TABLE == "not in the table: the board must choose"


def test_the_board_override_beats_the_table(client, members):
    _seeded()
    case = make_case(members, primary_site="kidney", histology="Clear cell RCC")
    login(client, "radiation")
    url = f"/radiosensitivity/cases/{case.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Radioresistant" in text_of(page)
    assert "table: Renal cell carcinoma" in text_of(page)

    response = post_form(
        client, url, {"value": "sensitive", "reason": "Responded to a previous course of RT."}
    )
    assert response.status_code == 302
    assert classify(case) == (
        True,
        "board override by Rafael Radiation: Responded to a previous course of RT.",
    )
    page = text_of(client.get(url))
    assert "Radiosensitive" in page
    assert "by Rafael Radiation" in page
    assert "(current)" in page

    # A later choice supersedes; the earlier one stays in the history.
    logout(client)
    login(client, "coordinator")
    post_form(client, url, {"value": "resistant", "reason": "Board reviewed the histology."})
    assert classify(case)[0] is False
    assert db.session.scalar(select(func.count(BoardChoice.id))) == 2
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.detail["kind"].as_string() == "radiosensitivity")
    ).all()[-1]
    assert event.detail["kind"] == "radiosensitivity"
    assert event.detail["value"] == "resistant"
    assert "Board reviewed" not in str(event.detail)


def test_an_override_needs_a_reason_and_a_choice(client, members):
    case = make_case(members, primary_site="uterus")
    login(client, "surgeon")
    url = f"/radiosensitivity/cases/{case.id}"
    response = post_form(client, url, {"value": "resistant", "reason": "   "})
    assert response.status_code == 200
    assert "Give the reason for the board&#39;s classification." in text_of(response)
    response = post_form(client, url, {"reason": "Endometrial: site practice is SBRT."})
    assert response.status_code == 200
    page = text_of(response)
    assert "Choose radiosensitive or radioresistant." in page
    assert "Endometrial: site practice is SBRT." in page
    assert db.session.scalar(select(func.count(BoardChoice.id))) == 0
    assert classify(case) == (None, NOT_IN_TABLE)


def test_only_members_with_a_specialty_or_coordinators_record_an_override(client, members):
    case = make_case(members, primary_site="uterus")
    login(client, "admin")
    url = f"/radiosensitivity/cases/{case.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Record the board" not in text_of(page)
    response = post_form(client, url, {"value": "resistant", "reason": "Admin has no say."})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(BoardChoice.id))) == 0


# The admin pages -------------------------------------------------------------------------------


def test_the_table_is_for_admins_only(client, members):
    _seeded()
    lineage = current_entry_for_site("kidney").lineage_id
    for username in ("coordinator", "surgeon", "oncologist"):
        login(client, username)
        for url in (
            "/radiosensitivity/",
            "/radiosensitivity/new",
            f"/radiosensitivity/{lineage}/edit",
            f"/radiosensitivity/{lineage}/history",
        ):
            assert client.get(url).status_code == 403, (username, url)
        response = post_form(
            client,
            f"/radiosensitivity/{lineage}/edit",
            {"classification": "sensitive", "base_version": "1"},
            form_url="/cases/",
        )
        assert response.status_code == 403
        logout(client)
    assert current_entry_for_site("kidney").version == 1


def test_the_table_page_lists_rows_with_their_source_and_tags(client, members):
    _seeded()
    login(client, "admin")
    page = text_of(client.get("/radiosensitivity/"))
    assert "Renal cell carcinoma" in page
    assert "AO Foundation" in page
    assert "[C2]" in page
    assert "[R] unverified" in page
    # A row from a secondary source says so.
    response = post_form(
        client,
        "/radiosensitivity/new",
        {
            "primary_site": "uterus",
            "histology": "Endometrial carcinoma",
            "classification": "resistant",
            "source": "Local guideline summary",
            "tag": "S",
        },
    )
    assert response.status_code == 302
    page = text_of(client.get("/radiosensitivity/"))
    assert "Endometrial carcinoma" in page
    assert "[S] secondary source" in page


def test_editing_a_row_makes_a_new_version_and_keeps_the_old(client, members):
    _seeded()
    kidney = current_entry_for_site("kidney")
    login(client, "admin")
    url = f"/radiosensitivity/{kidney.lineage_id}/edit"
    form = text_of(client.get(url))
    assert 'name="base_version" type="hidden" value="1"' in form
    response = post_form(
        client,
        url,
        _entry_form(kidney, classification="sensitive", source="Site practice, 2025 review"),
    )
    assert response.status_code == 302

    versions = db.session.scalars(
        select(RadiosensitivityEntry)
        .where(RadiosensitivityEntry.lineage_id == kidney.lineage_id)
        .order_by(RadiosensitivityEntry.version)
    ).all()
    assert [(v.version, v.is_current, v.classification) for v in versions] == [
        (1, False, "resistant"),
        (2, True, "sensitive"),
    ]
    assert versions[1].changed_by.username == "admin"
    case = make_case(members, primary_site="kidney")
    assert classify(case)[0] is True

    history = text_of(client.get(f"/radiosensitivity/{kidney.lineage_id}/history"))
    assert "Site practice, 2025 review" in history
    assert "superseded" in history
    assert "Ada Admin" in history

    event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "radiosensitivity", AuditEvent.action == "changed"
        )
    ).one()
    assert event.detail["fields"] == ["classification", "source"]
    assert event.detail["version"] == 2


def test_a_stale_edit_is_refused_with_409_and_the_text_kept(client, members):
    _seeded()
    kidney = current_entry_for_site("kidney")
    login(client, "admin")
    url = f"/radiosensitivity/{kidney.lineage_id}/edit"
    # Someone else saves version 2 while this admin's form still says version 1.
    edit_entry(
        entry=kidney,
        base_version=1,
        author=members["admin"],
        primary_site="kidney",
        histology=kidney.histology,
        classification="resistant",
        source=kidney.source,
        tag="C",
    )
    response = post_form(
        client, url, _entry_form(kidney, classification="sensitive", source="My typed source")
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "someone else changed this row" in page
    assert "My typed source" in page
    assert 'name="base_version" type="hidden" value="2"' in page
    current = current_entry_for_site("kidney")
    assert (current.version, current.classification, current.tag) == (2, "resistant", "C")

    # Saving again applies the admin's text over version 2, knowingly.
    response = post_form(
        client,
        url,
        _entry_form(kidney, classification="sensitive", source="My typed source")
        | {"base_version": "2"},
    )
    assert response.status_code == 302
    assert current_entry_for_site("kidney").version == 3


def test_a_second_current_row_for_a_site_is_refused(client, members):
    _seeded()
    login(client, "admin")
    response = post_form(
        client,
        "/radiosensitivity/new",
        {
            "primary_site": "kidney",
            "histology": "Papillary RCC",
            "classification": "sensitive",
            "source": "Typed source",
            "tag": "I",
        },
    )
    assert response.status_code == 200
    page = text_of(response)
    assert "already has a current row for this primary site (Renal cell carcinoma)" in page
    assert "Papillary RCC" in page
    response = post_form(
        client,
        "/radiosensitivity/new",
        {"primary_site": "", "histology": "", "classification": "", "source": "", "tag": "R"},
    )
    page = text_of(response)
    assert "Enter the histology the row is about." in page
    assert "Choose radiosensitive or radioresistant." in page
    assert "Enter the source the classification rests on." in page
    assert _rows() == len(SEED_ROWS)
