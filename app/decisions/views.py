"""Pages for an agenda item: members' opinions and the agreed plan."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.accounts.permissions import check, may_give_opinion, may_record_plan
from app.accounts.services import active_members
from app.audit.services import record_view
from app.cases.services import current_presentations
from app.catalogue.services import current_versions
from app.clinical.concordance import stored_departures
from app.decisions import services
from app.decisions.forms import (
    AmendPlanForm,
    OpinionForm,
    PlanForm,
    SignPlanForm,
    opinion_form_data,
    plan_form_data,
)
from app.decisions.live import inline_opinion_form, item_parts, opinion_prefix
from app.decisions.services import (
    DepartureReasonNeeded,
    DeparturesChanged,
    OpinionConflict,
    PlanLocked,
    QuorumNotMet,
)
from app.editing import StaleEdit
from app.extensions import db
from app.timestamps import board_today

LOCKED_MESSAGE = (
    "This plan is signed and locked. Amend it to make changes: the signed version is kept."
)
DEPARTURES_CHANGED = (
    "The plan was not signed: checked again against the case as it stands now, it departs "
    "differently from the list you were shown (the case's inputs changed since the plan was "
    "saved). Read the departures below and sign again."
)

bp = Blueprint("decisions", __name__, template_folder="templates")


def _item_or_404(item_id: int):
    item = services.load_item(item_id)
    if item is None:
        abort(404)
    return item


def _plan_or_404(plan_id: int):
    plan = services.load_plan(plan_id)
    if plan is None:
        abort(404)
    return plan


def _me() -> User:
    return current_user._get_current_object()


def _option_choices() -> list[tuple[str, str]]:
    return [(version.code, version.name) for version in current_versions()]


def _render_item(item, *, status: int = 200, sign_form: SignPlanForm | None = None, **extra):
    """The item page; the view is recorded after rendering, so the commit reloads nothing."""
    html = render_template(
        "decisions/item.html",
        meeting=item.meeting,
        case=item.case,
        presentations=current_presentations(item.case),
        **item_parts(item, sign_form=sign_form),
        **extra,
    )
    return _recorded(html, item, status)


def _recorded(html: str, item, status: int = 200, **detail):
    """Record the view of a rendered page that shows the patient, then answer with it.

    Recording commits; rendering first means the page never reloads what it has shown.
    """
    record_view("agenda_item", item.id, patient_id=item.case.patient_id, **detail)
    return html, status


@bp.route("/items/<int:item_id>")
@login_required
def show_item(item_id: int):
    item = _item_or_404(item_id)
    return _render_item(item)


@bp.route("/items/<int:item_id>/opinion", methods=["GET", "POST"])
@login_required
def edit_opinion(item_id: int):
    item = _item_or_404(item_id)
    check(may_give_opinion(current_user))
    current = services.current_opinion(item, _me())
    from_meeting = request.form.get("back") == "meeting"
    # The live view's form saves in place (htmx), keeping the page and its event stream.
    in_place = from_meeting and request.headers.get("HX-Request") == "true"
    form = OpinionForm(
        options=_option_choices(),
        data=opinion_form_data(current) if request.method == "GET" else None,
        # The meeting's live view names its inline form after the item (see inline_opinion_form).
        prefix=opinion_prefix(item.id) if from_meeting else "",
    )
    if form.validate_on_submit():
        try:
            services.save_opinion(
                item=item,
                author=_me(),
                option_codes=form.option_codes,
                reasoning=form.reasoning.data or "",
                agrees_with_consensus=form.agrees_with_consensus.data,
            )
        except OpinionConflict:
            form.form_errors.append(
                "Your opinion was saved from another window at the same moment. "
                "Check it on the item page and save again if needed."
            )
        except ValueError as error:
            form.option_1.errors.append(str(error))
        else:
            if in_place:
                # The live view's form, fresh, with the saved opinion (it names the patient:
                # a view); the opinions part follows through the meeting's event.
                saved_form = inline_opinion_form(item, _option_choices()) or form
                html = _inline_opinion(item, saved_form, saved=True)
                return _recorded(html, item, page="opinion_form")
            flash("Your opinion is saved.", "success")
            if from_meeting:
                return redirect(
                    url_for("meetings.show_meeting", meeting_id=item.meeting_id) + "#live"
                )
            return redirect(url_for("decisions.show_item", item_id=item.id))
    if in_place and request.method == "POST":
        # Refused: the same form with what was typed and each message beside its field. A 200,
        # since htmx swaps only successful answers in.
        return _recorded(_inline_opinion(item, form), item, page="opinion_form")
    html = render_template(
        "decisions/opinion_form.html", item=item, case=item.case, form=form, current=current
    )
    return _recorded(html, item, page="opinion_form")


def _inline_opinion(item, form, *, saved: bool = False) -> str:
    return render_template(
        "decisions/_inline_opinion.html", item=item, case=item.case, form=form, saved=saved
    )


@bp.route("/items/<int:item_id>/opinions/<int:member_id>")
@login_required
def opinion_history(item_id: int, member_id: int):
    item = _item_or_404(item_id)
    member = db.get_or_404(User, member_id)
    versions = services.opinion_versions(item, member)
    html = render_template(
        "decisions/opinion_history.html",
        item=item,
        case=item.case,
        member=member,
        versions=versions,
    )
    record_view(
        "opinion",
        versions[0].id if versions else None,
        patient_id=item.case.patient_id,
        agenda_item_id=item.id,
        author_id=member.id,
    )
    return html


@bp.route("/items/<int:item_id>/plan", methods=["GET", "POST"])
@login_required
def edit_plan(item_id: int):
    item = _item_or_404(item_id)
    check(may_record_plan(current_user, item.meeting))
    plan = services.current_plan(item)
    if plan is not None and plan.is_signed and request.method == "GET":
        return _render_locked(item, plan, status=200)

    form = _plan_form(plan, data=plan_form_data(plan) if request.method == "GET" else None)
    conflict = None
    locked = plan is not None and plan.is_signed
    if locked:
        # Signed while this member was typing: refuse, but give their text back.
        conflict = plan
    elif form.validate_on_submit():
        try:
            services.save_plan(
                item=item,
                author=_me(),
                base_lock_version=form.base_lock_version,
                intent=form.intent.data,
                rationale=form.rationale.data or "",
                steps=form.step_rows,
                dissents=form.dissent_rows,
                actions=form.action_rows,
            )
        except PlanLocked as refusal:
            conflict, locked = refusal.plan, True
        except StaleEdit as stale:
            conflict = stale.current
            # The next save is measured against the plan now shown beside the form.
            form.lock_version.data = conflict.lock_version if conflict else ""
        except ValueError as error:
            form.form_errors.append(str(error))
        else:
            flash(_saved_message(item), "success")
            return redirect(url_for("decisions.show_item", item_id=item.id))
    html = render_template(
        "decisions/plan_form.html",
        item=item,
        case=item.case,
        form=form,
        plan=conflict or plan,
        conflict=conflict,
        locked=locked,
    )
    return _recorded(html, item, 409 if conflict else 200, page="plan_form")


def _saved_message(item) -> str:
    saved = services.current_plan(item)
    if saved is not None and stored_departures(saved.departures):
        return (
            "The plan is saved. It departs from the documented indications or the NOMS "
            "suggestion: the departures are listed with the plan, and signing needs a reason."
        )
    return "The plan is saved."


def _plan_form(plan, data):
    members = [
        (member.id, f"{member.full_name} ({member.specialty_label})") for member in active_members()
    ]
    return PlanForm(
        options=_option_choices(),
        members=members,
        today=board_today(),
        existing_due_dates={action.id: action.due_date for action in plan.actions} if plan else {},
        data=data,
    )


def _render_locked(item, plan, *, status: int):
    html = render_template(
        "decisions/plan_locked.html",
        item=item,
        case=item.case,
        plan=plan,
        message=LOCKED_MESSAGE,
        amend_form=AmendPlanForm(formdata=None),
    )
    return _recorded(html, item, status, page="plan_form")


@bp.route("/plans/<int:plan_id>")
@login_required
def show_plan(plan_id: int):
    plan = _plan_or_404(plan_id)
    item = plan.item
    versions = services.plan_versions(item)
    html = render_template(
        "decisions/plan.html", plan=plan, item=item, case=item.case, versions=versions
    )
    record_view("plan", plan.id, patient_id=item.case.patient_id, version=plan.version)
    return html


@bp.route("/plans/<int:plan_id>/sign", methods=["POST"])
@login_required
def sign_plan(plan_id: int):
    plan = _plan_or_404(plan_id)
    item = plan.item
    check(may_record_plan(current_user, item.meeting))
    form = SignPlanForm()
    if not form.validate_on_submit():
        if form.lock_version.errors or form.csrf_token.errors:
            abort(400)
        return _render_item(item, sign_form=form)
    try:
        base = int(form.lock_version.data)
    except ValueError:
        abort(400)
    try:
        services.sign_plan(
            plan=plan,
            author=_me(),
            base_lock_version=base,
            departure_reason=form.departure_reason.data,
            quorum_override_reason=form.quorum_override_reason.data,
        )
    except PlanLocked:
        return _render_item(item, status=409, notice="This plan is already signed.")
    except StaleEdit as stale:
        return _render_item(item, status=409, sign_conflict=stale.current, sign_form=form)
    except DeparturesChanged:
        return _render_item(item, status=409, notice=DEPARTURES_CHANGED, sign_form=form)
    except DepartureReasonNeeded:
        form.departure_reason.errors = [SignPlanForm.REASON_NEEDED]
        return _render_item(item, sign_form=form)
    except QuorumNotMet:
        form.quorum_override_reason.errors = [SignPlanForm.QUORUM_REASON_NEEDED]
        return _render_item(item, sign_form=form)
    except ValueError:
        return _render_item(
            item, status=409, notice="Add at least one step to the plan before signing it."
        )
    flash(f"Plan version {plan.version} is signed and locked.", "success")
    return redirect(url_for("decisions.show_item", item_id=item.id))


@bp.route("/plans/<int:plan_id>/amend", methods=["GET", "POST"])
@login_required
def amend_plan(plan_id: int):
    plan = _plan_or_404(plan_id)
    item = plan.item
    check(may_record_plan(current_user, item.meeting))
    if plan.status == "draft":
        flash("This plan is a draft: change it here, no amendment is needed.", "info")
        return redirect(url_for("decisions.edit_plan", item_id=item.id))
    form = AmendPlanForm()
    refusal = None
    if plan.status != "signed":
        refusal = "This version has already been amended; the current version is shown below."
    elif form.validate_on_submit():
        try:
            amendment = services.amend_plan(plan=plan, author=_me(), reason=form.reason.data)
        except StaleEdit:
            refusal = "Someone amended this plan a moment ago; the current version is shown below."
        except ValueError as error:
            form.reason.errors.append(str(error))
        else:
            flash(
                f"Version {amendment.version} is a draft copy of the signed plan: "
                "make the changes, then sign it.",
                "success",
            )
            return redirect(url_for("decisions.edit_plan", item_id=item.id))
    latest = services.current_plan(item)
    html = render_template(
        "decisions/amend.html",
        item=item,
        case=item.case,
        plan=plan,
        latest=latest,
        form=form,
        refusal=refusal,
    )
    return _recorded(html, item, 409 if refusal else 200, page="amend_plan")
