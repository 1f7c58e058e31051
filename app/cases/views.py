"""Case pages: the list, opening and editing a case, and each role's presentation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.permissions import check, has_specialty, may_present_as, require
from app.assessment.urgency import case_pathway
from app.assessment.views import scores_section
from app.audit.services import record_view
from app.cases.forms import (
    CaseForm,
    CaseSearchForm,
    EditCaseForm,
    MarkReadyForm,
    PresentationForm,
)
from app.cases.models import Case, Presentation
from app.cases.services import (
    CaseNotDraft,
    CaseSearch,
    add_presentation,
    board_history,
    current_presentations,
    entry_counts,
    mark_ready,
    open_case,
    presentation_history,
    search_cases,
    update_case,
)
from app.clinical import inputs
from app.clinical.vocabulary import SPECIALTIES
from app.editing import StaleEdit, resume_after
from app.exports.services import exports_of
from app.extensions import db
from app.patients.models import Patient
from app.patients.services import find_by_mrn

bp = Blueprint("cases", __name__, url_prefix="/cases", template_folder="templates")


@bp.app_template_filter("structured_inputs")
def structured_inputs(presentation: Presentation) -> list[tuple[str, str]]:
    """(label, value) for each patient-level input the entry gives, for the presentation partial."""
    return inputs.given_inputs(
        {name: getattr(presentation, name) for name in inputs.PRESENTATION_FIELDS}
    )


def load_case(case_id: int) -> Case:
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(joinedload(Case.patient), joinedload(Case.created_by))
    )
    if case is None:
        abort(404)
    return case


@bp.route("/")
@login_required
def list_cases():
    form = CaseSearchForm(request.args)
    search = CaseSearch(
        q=form.q.data or "", status=form.status.data or "", urgent_only=bool(form.urgent.data)
    )
    page = db.paginate(
        search_cases(search),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    cases = list(page.items)
    counts = entry_counts([case.id for case in cases])
    filters = {key: value for key, value in request.args.items() if key != "page" and value}
    html = render_template(
        "cases/list.html", form=form, page=page, cases=cases, counts=counts, filters=filters
    )
    if cases:
        # One event for the page; the search text is never stored (it may be a name or an MRN).
        record_view(
            "case_list",
            None,
            case_ids=[case.id for case in cases],
            patient_ids=[case.patient_id for case in cases],
        )
    return html


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_case():
    patient_id = request.args.get("patient_id", type=int)
    if patient_id is None:
        return find_patient_for_case()
    patient = db.get_or_404(Patient, patient_id)
    form = CaseForm()
    if form.validate_on_submit():
        case = open_case(patient=patient, author=current_user, **form.case_fields())
        flash("Case opened.", "success")
        return redirect(url_for("cases.show_case", case_id=case.id))
    html = render_template("cases/new.html", form=form, patient=patient)
    if request.method == "GET":
        record_view("patient", patient.id, patient_id=patient.id)
    return html


def find_patient_for_case():
    """Without a patient chosen: find one by MRN, or go and register them."""
    mrn = (request.args.get("mrn") or "").strip()
    problem = None
    if mrn:
        patient = find_by_mrn(mrn)
        if patient is not None:
            return redirect(url_for("cases.new_case", patient_id=patient.id))
        problem = f"No patient with MRN {mrn} is registered."
    return render_template("cases/find_patient.html", mrn=mrn, problem=problem)


@bp.route("/<int:case_id>")
@login_required
def show_case(case_id: int):
    case = load_case(case_id)
    presentations = current_presentations(case)
    presented = {p.specialty for p in presentations}
    history = board_history(case)
    html = render_template(
        "cases/show.html",
        case=case,
        presentations=presentations,
        not_presented=[code for code in SPECIALTIES if code not in presented],
        entries=entry_counts([case.id])[case.id],
        history=history,
        exports=exports_of(
            case.patient_id,
            item_ids=[item.id for item, _ in history],
            meeting_ids=[item.meeting_id for item, _ in history],
        ),
        ready_form=MarkReadyForm(),
        urgency=case_pathway(case),
        **scores_section(case, presentations),
    )
    # Recorded after rendering: the commit would otherwise expire what the page shows.
    record_view("case", case.id, patient_id=case.patient_id)
    return html


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@login_required
def edit_case(case_id: int):
    case = load_case(case_id)
    if request.method == "GET":
        form = EditCaseForm(obj=case)
        html = render_template("cases/edit.html", form=form, case=case)
        record_view("case", case.id, patient_id=case.patient_id)
        return html
    form = EditCaseForm()
    if not form.validate_on_submit():
        return render_template("cases/edit.html", form=form, case=case)
    try:
        update_case(
            case=case,
            base_lock_version=form.base_lock_version,
            author=current_user,
            **form.case_fields(),
        )
    except StaleEdit as stale:
        current = resume_after(stale, form)
        return render_template("cases/edit.html", form=form, case=current, stale=True), 409
    flash("Case saved.", "success")
    return redirect(url_for("cases.show_case", case_id=case.id))


@bp.route("/<int:case_id>/ready", methods=["POST"], endpoint="mark_ready")
@login_required
def mark_case_ready(case_id: int):
    case = load_case(case_id)
    form = MarkReadyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        mark_ready(case=case, author=current_user)
    except CaseNotDraft as refused:
        flash(
            f"Only a draft case can be marked ready; this case is: {refused.case.status_label}.",
            "warning",
        )
    except StaleEdit:
        flash(
            "Someone else changed this case at the same moment; check it and try again.", "warning"
        )
    else:
        flash("Case marked ready for the board.", "success")
    return redirect(url_for("cases.show_case", case_id=case_id))


@bp.route("/<int:case_id>/presentations/new", methods=["GET", "POST"])
@require(has_specialty)
def new_presentation(case_id: int):
    case = load_case(case_id)
    specialty = current_user.specialty
    if request.method == "POST":
        # The form offers no other specialty: one posted anyway is refused outright.
        posted = request.form.get("specialty")
        check(posted is None or may_present_as(current_user, posted))
        form = PresentationForm(specialty=specialty)
        if form.validate_on_submit():
            try:
                add_presentation(
                    case=case,
                    author=current_user,
                    specialty=specialty,
                    summary=form.summary.data or "",
                    fields=form.structured_fields(),
                    lesions=form.lesion_rows(),
                )
            except ValueError as refused:
                form.form_errors.append(str(refused))
            else:
                flash(f"Your presentation ({SPECIALTIES[specialty]}) is saved.", "success")
                return redirect(url_for("cases.show_case", case_id=case.id))
        return render_template("cases/presentation_form.html", form=form, case=case)
    current = next((p for p in current_presentations(case) if p.specialty == specialty), None)
    form = PresentationForm(obj=current, specialty=specialty)
    form.specialty.data = specialty
    html = render_template("cases/presentation_form.html", form=form, case=case, current=current)
    record_view("case", case.id, patient_id=case.patient_id)
    return html


@bp.route("/<int:case_id>/presentations", endpoint="presentation_history")
@login_required
def presentation_history_page(case_id: int):
    case = load_case(case_id)
    specialty = request.args.get("specialty") or None
    if specialty is not None and specialty not in SPECIALTIES:
        abort(404)
    entries = presentation_history(case, specialty=specialty)
    seen: set[str] = set()
    current_ids = set()
    for entry in entries:  # newest first: the first entry of each role is its current one
        if entry.specialty not in seen:
            seen.add(entry.specialty)
            current_ids.add(entry.id)
    html = render_template(
        "cases/history.html",
        case=case,
        entries=entries,
        current_ids=current_ids,
        specialty=specialty,
    )
    record_view("case", case.id, patient_id=case.patient_id)
    return html
