"""The stored catalogue: loaded from the data file, kept in sync, versioned, browsable."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select

from app.catalogue.models import TreatmentOption, TreatmentOptionVersion
from app.catalogue.services import current_version_by_code, sync_catalogue
from app.clinical.catalogue import load_catalogue
from app.clinical.vocabulary import TREATMENT_OPTIONS
from app.extensions import db
from tests.support import login, text_of


def _edited(code: str, **changes):
    """The catalogue with one option changed as a new data file would change it."""
    return tuple(
        dataclasses.replace(option, **changes) if option.code == code else option
        for option in load_catalogue()
    )


def test_all_twenty_options_are_loaded_in_contract_order(app):
    codes = db.session.scalars(select(TreatmentOption.code).order_by(TreatmentOption.number))
    assert tuple(codes) == TREATMENT_OPTIONS


def test_sync_is_idempotent(app):
    before = db.session.scalar(select(func.count()).select_from(TreatmentOptionVersion))
    report = sync_catalogue()
    db.session.commit()
    after = db.session.scalar(select(func.count()).select_from(TreatmentOptionVersion))
    assert (report.added, report.new_versions, report.unchanged) == ([], [], 20)
    assert before == after == 20


def test_a_changed_option_gets_a_new_version_and_keeps_the_old(app):
    old = current_version_by_code("sbrt")
    report = sync_catalogue(_edited("sbrt", name="SBRT / spine SRS (edited)"))
    db.session.commit()
    assert report.new_versions == ["sbrt"]
    new = current_version_by_code("sbrt")
    assert (old.version, new.version) == (1, 2)
    assert db.session.get(TreatmentOptionVersion, old.id).content["name"] == "SBRT / spine SRS"
    assert new.content["name"] == "SBRT / spine SRS (edited)"


def test_cli_sync_reports_counts(app):
    result = app.test_cli_runner().invoke(args=["catalogue", "sync"])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 new versions (none), 20 unchanged" in result.output


def test_catalogue_page_lists_every_option_with_tags(client, members):
    login(client, "physio")
    page = text_of(client.get("/catalogue/"))
    for option in load_catalogue():
        assert option.name.replace("&", "&amp;") in page or option.name in page
    assert "[R] unverified" in page
    assert "Conventional EBRT" in page


def test_option_page_shows_sources_regimens_and_uncertainty(client, members):
    login(client, "radiation")
    page = text_of(client.get("/catalogue/corticosteroids"))
    assert "Dexamethasone 16 mg" in page
    assert "[S] secondary source" in page
    assert "NICE NG234" in page
    assert client.get("/catalogue/no_such_option").status_code == 404


def test_old_version_stays_readable(client, members):
    sync_catalogue(_edited("cebrt", name="cEBRT renamed"))
    db.session.commit()
    login(client, "radiation")
    current = text_of(client.get("/catalogue/cebrt"))
    assert "cEBRT renamed" in current
    old = text_of(client.get("/catalogue/cebrt?version=1"))
    assert "Conventional EBRT (cEBRT), palliative" in old
    assert "You are reading version 1" in old


def test_catalogue_needs_login(client):
    response = client.get("/catalogue/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
