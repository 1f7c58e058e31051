"""Meetings: the list, scheduling and editing, and the agenda page with its controls."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.accounts.permissions import check, is_coordinator, may_manage_agenda, require
from app.accounts.services import active_members
from app.audit.services import record_view
from app.cases.models import Case
from app.editing import StaleEdit, resume_after
from app.extensions import db
from app.meetings import services
from app.meetings.forms import AddCaseForm, MeetingForm, MoveItemForm, PlannedMinutesForm
from app.meetings.models import AgendaItem, Meeting
from app.timestamps import board_zone, utcnow

bp = Blueprint("meetings", __name__, url_prefix="/meetings", template_folder="templates")


@bp.route("/")
@login_required
def list_meetings():
    now = utcnow()
    page_size = current_app.config["PAGE_SIZE"]
    page = max(request.args.get("page", 1, type=int), 1)
    upcoming = services.upcoming_meetings(now)
    # One more than a page tells whether there are older meetings, without a count query.
    past = services.past_meetings(now, limit=page_size + 1, offset=(page - 1) * page_size)
    has_older = len(past) > page_size
    past = past[:page_size]
    counts = services.agenda_counts(upcoming + past)
    return render_template(
        "meetings/list.html",
        upcoming=upcoming,
        past=past,
        counts=counts,
        page=page,
        has_older=has_older,
        may_schedule=is_coordinator(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@require(is_coordinator)
def new_meeting():
    form = MeetingForm(members=active_members(), must_be_future=True)
    if form.validate_on_submit():
        meeting = services.schedule_meeting(
            title=form.title.data,
            starts_at=form.starts_at(),
            location=form.location.data,
            video_url=form.video_url.data,
            chair=form.chair(),
            author=current_user,
        )
        flash("Meeting scheduled. Add cases to its agenda below.", "success")
        return redirect(url_for("meetings.show_meeting", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@require(is_coordinator)
def edit_meeting(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    if meeting.is_closed:
        abort(409, description="This meeting is closed; its details can no longer be changed.")
    members = active_members()
    if meeting.chair not in members:
        # A chair who has since left stays selectable for this meeting.
        members.append(meeting.chair)
    form = MeetingForm(members=members, data=_meeting_form_data(meeting))
    if not form.validate_on_submit():
        return render_template("meetings/form.html", form=form, meeting=meeting)
    try:
        changed = services.update_meeting(
            meeting=meeting,
            base_lock_version=form.base_lock_version(),
            author=current_user,
            title=form.title.data,
            starts_at=form.starts_at(),
            location=form.location.data,
            video_url=form.video_url.data,
            chair=form.chair(),
        )
    except StaleEdit as stale:
        current = resume_after(stale, form)
        return render_template(
            "meetings/form.html", form=form, meeting=current, conflict=current
        ), 409
    except services.ChangeRefused as refusal:
        abort(409, description=str(refusal))
    flash("Meeting updated." if changed else "Nothing was changed.", "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>")
@login_required
def show_meeting(meeting_id: int):
    meeting = _load_agenda_or_404(meeting_id)
    return _agenda_page(meeting)


@bp.route("/<int:meeting_id>/agenda", methods=["POST"])
@login_required
def add_case(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    check(may_manage_agenda(current_user, meeting))
    if meeting.is_closed:
        return _refused(meeting_id, services.ChangeRefused(services.CLOSED_AGENDA))
    form = AddCaseForm()
    if not form.validate_on_submit():
        return _agenda_page(_load_agenda_or_404(meeting_id), add_form=form)
    case = db.session.get(Case, form.case_id.data)
    if case is None:
        form.case_id.errors.append("That case no longer exists. Choose another case.")
        return _agenda_page(_load_agenda_or_404(meeting_id), add_form=form)
    try:
        services.add_to_agenda(
            meeting=meeting,
            case=case,
            planned_minutes=form.planned_minutes.data,
            author=current_user,
        )
    except services.CaseAlreadyOnAgenda as conflict:
        form.case_id.errors.append(_already_on_agenda_message(conflict.item, meeting_id))
        return _agenda_page(_load_agenda_or_404(meeting_id), add_form=form, status=409)
    except services.ChangeRefused as refusal:
        form.case_id.errors.append(str(refusal))
        return _agenda_page(_load_agenda_or_404(meeting_id), add_form=form, status=409)
    flash("Case added to the agenda.", "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id) + "#agenda")


@bp.route("/<int:meeting_id>/agenda/urgent-first", methods=["POST"])
@login_required
def order_urgent_first(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    check(may_manage_agenda(current_user, meeting))
    try:
        moved = services.order_urgent_first(meeting=meeting, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash(
        "Urgent cases are now first." if moved else "Urgent cases were already first.",
        "success",
    )
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id) + "#agenda")


@bp.route("/<int:meeting_id>/close", methods=["POST"])
@login_required
def close_meeting(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    check(may_manage_agenda(current_user, meeting))
    try:
        not_reached = services.close_meeting(meeting=meeting, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash(
        f"The meeting is closed. {not_reached} case(s) not reached are ready for another meeting."
        if not_reached
        else "The meeting is closed.",
        "success",
    )
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))


@bp.route("/items/<int:item_id>/move", methods=["POST"])
@login_required
def move_item(item_id: int):
    item = _load_item_for_change(item_id)
    form = MoveItemForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moved = services.move_item(item=item, direction=form.direction.data, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(item.meeting_id, refusal)
    if not moved:
        flash(f"This case is already {'first' if form.direction.data == 'up' else 'last'}.", "info")
    return redirect(_item_anchor(item.meeting_id, item_id))


@bp.route("/items/<int:item_id>/minutes", methods=["POST"])
@login_required
def set_planned_minutes(item_id: int):
    item = _load_item_for_change(item_id)
    meeting_id = item.meeting_id
    form = PlannedMinutesForm()
    if not form.validate_on_submit():
        return _agenda_page(
            _load_agenda_or_404(meeting_id), minutes_form=form, minutes_item_id=item_id
        )
    try:
        services.set_planned_minutes(item=item, minutes=form.minutes.data, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash("Planned minutes saved.", "success")
    return redirect(_item_anchor(meeting_id, item_id))


@bp.route("/items/<int:item_id>/remove", methods=["POST"])
@login_required
def remove_item(item_id: int):
    item = _load_item_for_change(item_id)
    meeting_id = item.meeting_id
    try:
        services.remove_from_agenda(item=item, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash("Case taken off the agenda; it is ready for another meeting.", "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id) + "#agenda")


def _load_agenda_or_404(meeting_id: int) -> Meeting:
    meeting = services.load_agenda(meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _load_item_for_change(item_id: int) -> AgendaItem:
    item = db.get_or_404(AgendaItem, item_id)
    check(may_manage_agenda(current_user, item.meeting))
    return item


def _agenda_page(
    meeting: Meeting,
    *,
    add_form: AddCaseForm | None = None,
    minutes_form: PlannedMinutesForm | None = None,
    minutes_item_id: int | None = None,
    problem: str | None = None,
    status: int = 200,
):
    """Render the agenda page, then record that it was viewed (it shows patient data)."""
    may_manage = may_manage_agenda(current_user, meeting) and not meeting.is_closed
    offered = services.addable_cases() if may_manage else []
    if may_manage:
        if add_form is None:
            add_form = AddCaseForm(formdata=None)
        add_form.offer(offered)
    else:
        add_form = None
    total_minutes = sum(item.planned_minutes for item in meeting.items)
    html = render_template(
        "meetings/show.html",
        meeting=meeting,
        may_manage=may_manage,
        may_edit=is_coordinator(current_user) and not meeting.is_closed,
        add_form=add_form,
        minutes_form=minutes_form,
        minutes_item_id=minutes_item_id,
        problem=problem,
        total_minutes=total_minutes,
        expected_end=meeting.starts_at + timedelta(minutes=total_minutes),
    )
    # The agenda and the cases offered for it both show patients; the event names them all.
    shown = [item.case.patient_id for item in meeting.items] + [c.patient_id for c in offered]
    record_view("meeting", meeting.id, patient_ids=shown)
    return html, status


def _refused(meeting_id: int, refusal: services.ChangeRefused):
    return _agenda_page(_load_agenda_or_404(meeting_id), problem=str(refusal), status=409)


def _already_on_agenda_message(item: AgendaItem, meeting_id: int) -> Markup:
    holder = item.meeting
    if holder.id == meeting_id:
        return Markup("This case is already on this meeting's agenda.")
    link = Markup('<a href="{}">{}, {}</a>').format(
        url_for("meetings.show_meeting", meeting_id=holder.id),
        holder.title,
        holder.starts_at.astimezone(board_zone()).strftime("%d %b %Y %H:%M"),
    )
    return Markup("This case is already on the agenda of {} ({}). Nothing was changed.").format(
        link, holder.status_label
    )


def _item_anchor(meeting_id: int, item_id: int) -> str:
    return url_for("meetings.show_meeting", meeting_id=meeting_id) + f"#item-{item_id}"


def _meeting_form_data(meeting: Meeting) -> dict:
    local = meeting.starts_at.astimezone(board_zone())
    return {
        "title": meeting.title,
        "date": local.date(),
        "time": local.time().replace(second=0, microsecond=0),
        "location": meeting.location,
        "video_url": meeting.video_url,
        "chair_id": meeting.chair_id,
        "lock_version": str(meeting.lock_version),
    }
