"""Pages for the site's radiosensitivity table (admin) and the board's per-case override."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.permissions import check, is_admin, may_record_choice, require
from app.assessment import radiosensitivity as services
from app.assessment.radiosensitivity_forms import (
    RadiosensitivityEntryForm,
    RadiosensitivityOverrideForm,
)
from app.audit.services import record_view
from app.cases.views import load_case

bp = Blueprint(
    "radiosensitivity", __name__, url_prefix="/radiosensitivity", template_folder="templates"
)

STALE_MESSAGE = (
    "Not saved: someone else changed this row after you opened the form. The row as saved now"
    " is shown below; your text is kept in the form. Check it, then save again to apply yours."
)


def _current_or_404(lineage_id: int):
    entry = services.current_version_of(lineage_id)
    if entry is None:
        abort(404)
    return entry


def _refusal(form: RadiosensitivityEntryForm, error: ValueError) -> None:
    """Put a refusal from the service next to the field it names."""
    if isinstance(error, services.DuplicateSite):
        existing = error.existing
        form.primary_site.errors.append(
            f"The table already has a current row for this primary site ({existing.histology});"
            " edit that row instead."
        )
        return
    name, _, problem = str(error).partition(": ")
    target = getattr(form, name, None)
    (target.errors if target is not None else form.form_errors).append(problem or str(error))


@bp.route("/")
@require(is_admin)
def list_entries():
    return render_template(
        "assessment/radiosensitivity_list.html", entries=services.current_entries()
    )


@bp.route("/new", methods=["GET", "POST"])
@require(is_admin)
def new_entry():
    form = RadiosensitivityEntryForm()
    if form.validate_on_submit():
        try:
            entry = services.add_entry(author=current_user, **form.entry_fields())
        except ValueError as error:
            _refusal(form, error)
        else:
            flash(f"Added the row for {entry.histology}.", "success")
            return redirect(url_for("radiosensitivity.list_entries"))
    return render_template("assessment/radiosensitivity_form.html", form=form, entry=None)


@bp.route("/<int:lineage_id>/edit", methods=["GET", "POST"])
@require(is_admin)
def edit_entry(lineage_id: int):
    entry = _current_or_404(lineage_id)
    if request.method == "GET":
        form = RadiosensitivityEntryForm(
            data={
                "primary_site": entry.primary_site or "",
                "histology": entry.histology,
                "classification": entry.classification,
                "source": entry.source,
                "tag": entry.tag,
                "base_version": str(entry.version),
            }
        )
        return render_template("assessment/radiosensitivity_form.html", form=form, entry=entry)
    form = RadiosensitivityEntryForm()
    if form.validate_on_submit():
        base_version = form.base_version_number
        if base_version is None:
            form.form_errors.append("This form is missing its version; reload the page.")
            return render_template("assessment/radiosensitivity_form.html", form=form, entry=entry)
        try:
            saved = services.edit_entry(
                entry=entry, base_version=base_version, author=current_user, **form.entry_fields()
            )
        except services.StaleEntry as stale:
            # Saving again knowingly applies the admin's text over the version now current.
            form.base_version.data = str(stale.current.version)
            html = render_template(
                "assessment/radiosensitivity_form.html",
                form=form,
                entry=stale.current,
                stale=STALE_MESSAGE,
            )
            return html, 409
        except ValueError as error:
            _refusal(form, error)
        else:
            if saved.id == entry.id:
                flash(f"Nothing changed for {saved.histology}.", "info")
            else:
                flash(f"Saved {saved.histology} as version {saved.version}.", "success")
            return redirect(url_for("radiosensitivity.list_entries"))
    return render_template("assessment/radiosensitivity_form.html", form=form, entry=entry)


@bp.route("/<int:lineage_id>/history")
@require(is_admin)
def entry_history(lineage_id: int):
    versions = services.entry_history(lineage_id)
    if not versions:
        abort(404)
    return render_template("assessment/radiosensitivity_history.html", versions=versions)


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
def case_override(case_id: int):
    case = load_case(case_id)
    form = RadiosensitivityOverrideForm()
    if request.method == "POST":
        check(may_record_choice(current_user))
        if form.validate_on_submit():
            services.record_override(
                case=case, value=form.value.data, reason=form.reason.data, author=current_user
            )
            flash("The board's classification is recorded.", "success")
            return redirect(url_for("cases.show_case", case_id=case.id))
    radiosensitive, basis = services.classify(case)
    html = render_template(
        "assessment/radiosensitivity_case.html",
        case=case,
        form=form,
        radiosensitive=radiosensitive,
        basis=basis,
        table_row=services.current_entry_for_site(case.primary_site),
        overrides=services.override_history(case),
        can_record=may_record_choice(current_user),
    )
    record_view("case", case.id, patient_id=case.patient_id, page="radiosensitivity")
    return html
