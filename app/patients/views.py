"""Patient pages: register, show, edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.audit.services import record_view
from app.editing import StaleEdit, resume_after
from app.extensions import db
from app.patients.forms import EditPatientForm, PatientForm
from app.patients.models import SEXES, Patient
from app.patients.services import DuplicateMRN, age_on, register_patient, update_patient
from app.timestamps import board_today

bp = Blueprint("patients", __name__, url_prefix="/patients", template_folder="templates")


@bp.app_template_filter("age")
def age(birth_date) -> str:
    """Age in completed years today, for pages that show a date of birth."""
    return str(age_on(birth_date, board_today())) if birth_date else "—"


@bp.app_template_filter("sex_label")
def sex_label(code: str | None) -> str:
    return SEXES.get(code, code) if code else "—"


def duplicate_message(existing: Patient) -> Markup:
    return Markup('A patient with MRN {} is already registered: <a href="{}">{}</a>.').format(
        existing.mrn,
        url_for("patients.show_patient", patient_id=existing.id),
        existing.display_name,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        try:
            patient = register_patient(author=current_user, **form.patient_fields())
        except DuplicateMRN as duplicate:
            form.mrn.errors.append(duplicate_message(duplicate.existing))
        else:
            flash(f"Patient {patient.display_name} registered. Now open the case.", "success")
            return redirect(url_for("cases.new_case", patient_id=patient.id))
    return render_template("patients/new.html", form=form)


@bp.route("/<int:patient_id>")
@login_required
def show_patient(patient_id: int):
    # Imported here: the cases package builds on patients, not the other way round.
    from app.cases.services import cases_of

    patient = db.get_or_404(Patient, patient_id)
    html = render_template("patients/show.html", patient=patient, cases=cases_of(patient))
    record_view("patient", patient.id, patient_id=patient.id)
    return html


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@login_required
def edit_patient(patient_id: int):
    patient = db.get_or_404(Patient, patient_id)
    if request.method == "GET":
        html = render_template(
            "patients/edit.html", form=EditPatientForm(obj=patient), patient=patient
        )
        record_view("patient", patient.id, patient_id=patient.id)
        return html
    form = EditPatientForm()
    if not form.validate_on_submit():
        return render_template("patients/edit.html", form=form, patient=patient)
    try:
        update_patient(
            patient=patient,
            base_lock_version=form.base_lock_version,
            author=current_user,
            **form.patient_fields(),
        )
    except DuplicateMRN as duplicate:
        form.mrn.errors.append(duplicate_message(duplicate.existing))
        return render_template("patients/edit.html", form=form, patient=patient)
    except StaleEdit as stale:
        current = resume_after(stale, form)
        return render_template("patients/edit.html", form=form, patient=current, stale=True), 409
    flash("Patient details saved.", "success")
    return redirect(url_for("patients.show_patient", patient_id=patient.id))
