"""The board's fitness judgement on an agenda item, and the NOMS panel of item and case pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.permissions import check, may_record_plan
from app.assessment import fitness as services
from app.assessment.noms_panel import noms_panel
from app.assessment.radiosensitivity_forms import FitnessForm
from app.audit.services import record_view
from app.decisions.services import load_item

bp = Blueprint("fitness", __name__, template_folder="templates")


@bp.app_template_global("noms_panel")
def noms_panel_for_page(case, item=None):
    """The NOMS panel for the page's case (and item), as the logged-in member may act on it."""
    panel = noms_panel(case, item, user=current_user)
    if panel.can_record_fitness:
        panel.fitness_form = FitnessForm(formdata=None, data=FitnessForm.data_from(panel.fitness))
    return panel


def _item_or_404(item_id: int):
    item = load_item(item_id)
    if item is None:
        abort(404)
    return item


@bp.route("/items/<int:item_id>/fitness", methods=["GET", "POST"])
@login_required
def record_fitness(item_id: int):
    item = _item_or_404(item_id)
    # Every member may read the judgements; the chair or a coordinator records them.
    can_record = may_record_plan(current_user, item.meeting)
    if request.method == "POST":
        check(can_record)
    latest = services.latest_fitness(item)
    form = FitnessForm(data=FitnessForm.data_from(latest) if request.method == "GET" else None)
    if form.validate_on_submit():
        services.record_fitness(
            item=item, author=current_user, note=form.note.data or "", **form.judgements()
        )
        flash("The board's fitness judgement is recorded.", "success")
        return redirect(url_for("decisions.show_item", item_id=item.id) + "#noms")
    html = render_template(
        "assessment/fitness_form.html",
        item=item,
        case=item.case,
        meeting=item.meeting,
        form=form,
        can_record=can_record,
        history=services.fitness_history(item),
        labels=services.JUDGEMENT_LABELS,
    )
    record_view("agenda_item", item.id, patient_id=item.case.patient_id, page="fitness")
    return html
