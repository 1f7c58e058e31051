"""The page recording a case's urgency-pathway times (NICE NG234), and the case-page spine map."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.assessment import urgency as services
from app.assessment.spine_map import spine_map_of
from app.assessment.urgency_forms import UrgencyTimelineForm
from app.audit.services import record_view
from app.cases.models import Case
from app.clinical.scores import ClinicalInputError
from app.editing import StaleEdit, resume_after
from app.extensions import db

bp = Blueprint("urgency", __name__, url_prefix="/cases", template_folder="templates")

# The case page's spine map is laid out from the assessment the page has already made, so
# the map costs no query of its own (see assessment/_spine_map.html).
bp.add_app_template_global(spine_map_of, "spine_map_of")


def _case_or_404(case_id: int) -> Case:
    return db.first_or_404(select(Case).where(Case.id == case_id).options(joinedload(Case.patient)))


def _form_page(form: UrgencyTimelineForm, case: Case, *, stale: bool = False) -> str:
    return render_template(
        "assessment/urgency_form.html",
        form=form,
        case=case,
        stale=stale,
        zone=current_app.config["BOARD_TIMEZONE"],
    )


@bp.route("/<int:case_id>/urgency", methods=["GET", "POST"])
@login_required
def edit_timeline(case_id: int):
    # Any member may record the times: whoever learns of a step first enters it.
    case = _case_or_404(case_id)
    if request.method == "GET":
        form = UrgencyTimelineForm(data=UrgencyTimelineForm.data_from(case))
        html = _form_page(form, case)
        record_view("case", case.id, patient_id=case.patient_id)
        return html
    form = UrgencyTimelineForm()
    if not form.validate_on_submit():
        return _form_page(form, case)
    try:
        changed = services.record_timeline(
            case=case,
            base_lock_version=form.base_lock_version,
            author=current_user,
            has_neurological_signs=form.has_neurological_signs.data,
            moments=form.moments,
        )
    except StaleEdit as stale:
        current = resume_after(stale, form)
        return _form_page(form, current, stale=True), 409
    except ClinicalInputError as refused:
        form.refuse(refused)
        return _form_page(form, case)
    if changed:
        flash("Urgency pathway times saved.", "success")
    else:
        flash("Nothing to save: no time or flag changed.", "info")
    return redirect(url_for("cases.show_case", case_id=case_id))
