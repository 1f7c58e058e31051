"""The scores on the case page, and the page where the board records the choices left to it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.permissions import check, may_record_choice
from app.assessment.forms import ChoiceForm
from app.assessment.services import (
    ChoiceRefused,
    board_choices,
    case_assessment,
    choice_history,
    record_choice,
)
from app.audit.services import record_view
from app.clinical.assessment import CAVEAT, SOURCES, Assessment

bp = Blueprint("assessment", __name__, url_prefix="/cases", template_folder="templates")


def _forms(assessment: Assessment, history: dict, *, formdata=None) -> dict:
    """A form for each choice the assessment asks, keyed by (kind, subject)."""
    forms = {}
    for choice in assessment.choices:
        key = (choice.kind, choice.subject)
        current = history.get(key, [None])[0]
        forms[key] = ChoiceForm(
            formdata=formdata,
            choice=choice,
            seen_id=current.id if current is not None else None,
        )
    return forms


def scores_section(case, presentations) -> dict:
    """What the case page's "Scores" section needs (see assessment/_scores.html)."""
    choices = board_choices(case)
    assessment = case_assessment(case, presentations=presentations, choices=choices)
    history = choice_history(choices)
    may_choose = may_record_choice(current_user)
    return {
        "assessment": assessment,
        "choice_history": history,
        "choice_forms": _forms(assessment, history) if may_choose else {},
        "score_sources": SOURCES,
        "caveat": CAVEAT,
    }


def _render_choices(case, assessment, history, forms, *, status=200, stale=None):
    html = render_template(
        "assessment/choices.html",
        case=case,
        assessment=assessment,
        choice_history=history,
        choice_forms=forms,
        caveat=CAVEAT,
        stale=stale,
    )
    record_view("case", case.id, patient_id=case.patient_id)
    return html, status


@bp.route("/<int:case_id>/choices", methods=["GET", "POST"])
@login_required
def board_choices_page(case_id: int):
    from app.cases.views import load_case

    case = load_case(case_id)
    choices = board_choices(case)
    assessment = case_assessment(case, choices=choices)
    history = choice_history(choices)
    if request.method == "GET":
        forms = _forms(assessment, history) if may_record_choice(current_user) else {}
        return _render_choices(case, assessment, history, forms)

    check(may_record_choice(current_user))
    choice = assessment.choice(request.args.get("kind", ""), request.args.get("subject", ""))
    if choice is None:
        # Not a question this case's assessment asks (any more): nothing to record.
        abort(404)
    key = (choice.kind, choice.subject)
    forms = _forms(assessment, history)
    form = forms[key] = ChoiceForm(choice=choice)
    if not form.validate_on_submit():
        return _render_choices(case, assessment, history, forms)
    current = history.get(key, [None])[0]
    if current is not None and current.id != form.seen_id:
        form.value.errors = [
            f"{current.chosen_by.full_name} recorded "
            f"“{choice.options.get(current.value, current.value)}” while you were choosing. "
            "Look at it, then choose again if you still disagree."
        ]
        form.seen.data = str(current.id)
        return _render_choices(case, assessment, history, forms, status=409, stale=key)
    try:
        record_choice(
            case=case,
            choice=choice,
            value=form.value.data,
            reason=form.reason.data or "",
            author=current_user,
        )
    except ChoiceRefused as refused:
        getattr(form, refused.field, form.value).errors = [refused.message]
        return _render_choices(case, assessment, history, forms)
    flash(f"Recorded: {choice.label}: {choice.options[form.value.data]}.", "success")
    return redirect(url_for("cases.show_case", case_id=case.id) + "#choices")
