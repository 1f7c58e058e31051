"""Browsing the catalogue of documented treatment options."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalogue.models import TreatmentOption, TreatmentOptionVersion
from app.catalogue.services import current_versions
from app.extensions import db

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue", template_folder="templates")


@bp.route("/")
@login_required
def list_options():
    versions = current_versions()
    modality = request.args.get("modality", "")
    if modality:
        versions = [v for v in versions if v.content["modality"] == modality]
    return render_template("catalogue/list.html", versions=versions, modality=modality)


@bp.route("/<code>")
@login_required
def show_option(code: str):
    option = db.session.scalar(
        select(TreatmentOption)
        .where(TreatmentOption.code == code)
        .options(selectinload(TreatmentOption.versions))
    )
    if option is None:
        abort(404)
    wanted = request.args.get("version", type=int) or option.current_version
    shown = next((v for v in option.versions if v.version == wanted), None)
    if shown is None:
        abort(404)
    return render_template(
        "catalogue/show.html", option=option, shown=shown, versions=option.versions
    )


def version_of(version_id: int) -> TreatmentOptionVersion | None:
    """The stored text of one option version (for pages that cite it)."""
    return db.session.get(TreatmentOptionVersion, version_id)
