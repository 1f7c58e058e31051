"""The follow-up actions page: the board's agreed actions across meetings, marked done here."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.permissions import check, may_record_choice
from app.audit.services import record_view
from app.extensions import db
from app.followup import services
from app.followup.forms import ActionStateForm
from app.timestamps import board_today

bp = Blueprint("followup", __name__, url_prefix="/actions", template_folder="templates")


@bp.route("/")
@login_required
def list_actions():
    return _render_list(_view(request.args.get("view")))


@bp.route("/<int:action_id>/done", methods=["POST"])
@login_required
def mark_action(action_id: int):
    # Who may mark an action: a member with a clinical specialty, or a coordinator.
    check(may_record_choice(current_user))
    form = ActionStateForm()
    view = _view(form.view.data)
    if not form.validate_on_submit():
        return _render_list(view, status=400, error="The request could not be understood.")
    try:
        change = services.set_done(
            action_id=action_id,
            done=form.done.data == "1",
            was_done=form.was_done.data == "1",
            author=current_user._get_current_object(),
        )
    except LookupError:
        return _render_list(view, status=404, error="There is no such action.")
    except services.StaleAction as stale:
        return _render_list(view, status=409, error=str(stale))
    flash(f"“{change.action.description}” is {'done' if change.done else 'open again'}.", "success")
    return redirect(url_for("followup.list_actions", view=view, page=form.page.data or None))


def _view(name: str | None) -> str:
    return name if name in services.VIEWS else services.default_view(current_user)


def _render_list(view: str, *, status: int = 200, error: str | None = None):
    today = board_today()
    page = db.paginate(
        services.actions_query(view, current_user, today),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    actions = list(page.items)
    html = render_template(
        "followup/list.html",
        view=view,
        views=services.VIEWS,
        page=page,
        actions=actions,
        today=today,
        error=error,
        may_mark=may_record_choice(current_user),
        form=ActionStateForm(formdata=None),
    )
    if actions:
        # One event for the page, naming every patient it shows.
        record_view(
            "action_list",
            None,
            view=view,
            action_ids=[action.id for action in actions],
            patient_ids=sorted({action.plan.item.case.patient_id for action in actions}),
        )
    return html, status
