"""Meetings: the list, scheduling and editing, the agenda page, and running the meeting live:
opening and closing it, attendance and quorum, and the chair's controls."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from app.accounts.models import User
from app.accounts.permissions import check, is_coordinator, may_manage_agenda, require
from app.accounts.services import active_members
from app.assessment.views import scores_section
from app.audit.services import record_view
from app.cases.models import Case
from app.cases.services import current_presentations
from app.catalogue.services import current_versions
from app.decisions.live import inline_opinion_form, item_parts
from app.editing import StaleEdit, resume_after
from app.extensions import db
from app.live import fragments
from app.meetings import services
from app.meetings.forms import (
    SPECIALTY_CHOICES,
    AddCaseForm,
    AttendanceForm,
    CloseMeetingForm,
    DeferForm,
    GuestForm,
    GuestPresenceForm,
    MeetingForm,
    MoveItemForm,
    PlannedMinutesForm,
)
from app.meetings.models import AgendaItem, Attendance, Meeting
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
    form = MeetingForm(members=members, data=_meeting_form_data(meeting), with_quorum=True)
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
            required_specialties=form.required_specialties.data,
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


@bp.route("/<int:meeting_id>/open", methods=["POST"])
@login_required
def open_meeting(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    try:
        services.open_meeting(meeting=meeting, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash("The meeting is open. Bring the first case into discussion when the board is ready.")
    return redirect(_live_anchor(meeting_id))


@bp.route("/<int:meeting_id>/close", methods=["POST"])
@login_required
def close_meeting(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    form = CloseMeetingForm()
    try:
        closure = services.close_meeting(
            meeting=meeting, author=current_user, confirm_unsigned=bool(form.confirm_unsigned.data)
        )
    except services.UnsignedDiscussion as question:
        # Nothing is closed yet: the page asks, and the form now carries the confirmation box.
        return _agenda_page(
            _load_agenda_or_404(meeting_id), problem=str(question), close_form=form, status=409
        )
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    if closure.not_reached and closure.carried_to is not None:
        message = (
            f"The meeting is closed. {closure.not_reached} case(s) not reached carry over to "
            f"{_meeting_label(closure.carried_to)}."
        )
    elif closure.not_reached:
        message = (
            f"The meeting is closed. {closure.not_reached} case(s) not reached are ready for "
            "another meeting: no later meeting is scheduled yet."
        )
    else:
        message = "The meeting is closed."
    flash(message, "success")
    return redirect(url_for("meetings.show_meeting", meeting_id=meeting_id))


@bp.route("/<int:meeting_id>/next", methods=["POST"])
@login_required
def next_item(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    try:
        item = services.next_item(
            meeting=meeting, author=current_user, seen_current=_seen_current()
        )
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    if item is None:
        flash("No case is waiting any more. Close the meeting when the board is done.", "info")
    return redirect(_live_anchor(meeting_id))


@bp.route("/<int:meeting_id>/previous", methods=["POST"])
@login_required
def previous_item(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    try:
        services.previous_item(meeting=meeting, author=current_user, seen_current=_seen_current())
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    return redirect(_live_anchor(meeting_id))


@bp.route("/items/<int:item_id>/discuss", methods=["POST"])
@login_required
def discuss_item(item_id: int):
    item = _load_item_for_change(item_id)
    try:
        services.bring_up(item=item, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(item.meeting_id, refusal)
    return redirect(_live_anchor(item.meeting_id))


@bp.route("/items/<int:item_id>/defer", methods=["POST"])
@login_required
def defer_item(item_id: int):
    item = _load_item_for_change(item_id)
    meeting_id = item.meeting_id
    form = DeferForm()
    if not form.validate_on_submit():
        return _refused(meeting_id, services.ChangeRefused(form.note.errors[0]))
    try:
        target = services.defer_item(item=item, note=form.note.data, author=current_user)
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    if target is not None:
        flash(f"The case is deferred to {_meeting_label(target)}, with your note.", "success")
    else:
        flash(
            "The case is deferred. No later meeting is scheduled, so it is ready for whichever "
            "meeting takes it next.",
            "success",
        )
    return redirect(_live_anchor(meeting_id))


# Attendance ---------------------------------------------------------------------------------


@bp.route("/<int:meeting_id>/attendance", methods=["POST"])
@login_required
def mark_attendance(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        abort(400)
    member = _member_or_400(form.member_id.data)
    try:
        services.mark_attendance(
            meeting=meeting,
            member=member,
            is_present=form.present.data == "1",
            specialty=form.specialty.data or None,
            author=current_user,
        )
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    return redirect(_attendance_anchor(meeting_id))


@bp.route("/<int:meeting_id>/check-in", methods=["POST"])
@login_required
def check_in(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    try:
        changed = services.check_in(meeting=meeting, member=current_user._get_current_object())
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash("You are checked in." if changed else "You were already checked in.", "success")
    return redirect(_attendance_anchor(meeting_id))


@bp.route("/<int:meeting_id>/guests", methods=["POST"])
@login_required
def add_guest(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    form = GuestForm()
    if not form.validate_on_submit():
        return _agenda_page(_load_agenda_or_404(meeting_id), guest_form=form)
    try:
        services.add_guest(
            meeting=meeting,
            name=form.guest_name.data,
            specialty=form.specialty.data or None,
            author=current_user,
        )
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    flash("Guest added.", "success")
    return redirect(_attendance_anchor(meeting_id))


@bp.route("/<int:meeting_id>/guests/presence", methods=["POST"])
@login_required
def set_guest_presence(meeting_id: int):
    meeting = _load_meeting_for_chair(meeting_id)
    form = GuestPresenceForm()
    if not form.validate_on_submit() or not form.attendance_id.data.isdigit():
        abort(400)
    row = db.session.get(Attendance, int(form.attendance_id.data))
    if row is None or row.meeting_id != meeting.id or not row.is_guest:
        abort(404)
    try:
        services.set_guest_presence(
            row=row, is_present=form.present.data == "1", author=current_user
        )
    except services.ChangeRefused as refusal:
        return _refused(meeting_id, refusal)
    return redirect(_attendance_anchor(meeting_id))


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


def _load_meeting_for_chair(meeting_id: int) -> Meeting:
    """The meeting (404), if the current member chairs it or coordinates (403 otherwise)."""
    meeting = db.get_or_404(Meeting, meeting_id)
    check(may_manage_agenda(current_user, meeting))
    return meeting


def _seen_current():
    """The case under discussion on the page the chair pressed the button on ("" for none)."""
    value = request.form.get("seen_current")
    if value is None:
        return services.ANY_CURRENT
    return int(value) if value.isdigit() else None


def _member_or_400(value: str) -> User:
    member = db.session.get(User, int(value)) if (value or "").isdigit() else None
    if member is None:
        abort(400)
    return member


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
    guest_form: GuestForm | None = None,
    close_form: CloseMeetingForm | None = None,
    problem: str | None = None,
    status: int = 200,
):
    """Render the agenda page, then record that it was viewed (it shows patient data).

    While the meeting is open the page is its live view: the case under discussion, the
    chair's controls and the attendance with the quorum. Each of those is also a live part
    (`live_part`) that open pages refetch when the meeting changes.
    """
    context = _meeting_context(
        meeting,
        minutes_form=minutes_form,
        minutes_item_id=minutes_item_id,
        guest_form=guest_form,
        close_form=close_form,
    )
    offered = services.addable_cases() if context["may_manage"] else []
    if context["may_manage"]:
        if add_form is None:
            add_form = AddCaseForm(formdata=None)
        add_form.offer(offered)
    else:
        add_form = None
    html = render_template("meetings/show.html", add_form=add_form, problem=problem, **context)
    # The agenda and the cases offered for it both show patients; the event names them all.
    shown = [item.case.patient_id for item in meeting.items] + [c.patient_id for c in offered]
    record_view("meeting", meeting.id, patient_ids=shown)
    return html, status


LIVE_PARTS = {
    fragments.MEETING: "meetings/_header.html",
    fragments.CURRENT: "meetings/_current.html",
    fragments.AGENDA: "meetings/_agenda.html",
    fragments.ATTENDANCE: "meetings/_attendance.html",
}
ITEM_PARTS = {
    fragments.OPINIONS: "decisions/_opinions_part.html",
    fragments.PLAN: "decisions/_plan_part.html",
}
MAX_PARTS = 20


@bp.route("/<int:meeting_id>/live")
@login_required
def live_parts(meeting_id: int):
    """The parts of the meeting's live pages named in `parts` (comma separated), in one answer:
    each carries hx-swap-oob, so the page swaps it into the element with its id.

    Meeting parts: meeting, current, agenda, attendance; item parts: opinions-<item id> and
    plan-<item id> for an item of this meeting.
    """
    meeting = _load_agenda_or_404(meeting_id)
    names = [name for name in request.args.get("parts", "").split(",") if name][:MAX_PARTS]
    if not names:
        abort(400)
    items = {item.id: item for item in meeting.items}
    wanted = []
    for name in dict.fromkeys(names):
        kind, _, item_id = name.partition("-")
        if name in LIVE_PARTS:
            wanted.append((LIVE_PARTS[name], None))
        elif kind in ITEM_PARTS and item_id.isdigit() and int(item_id) in items:
            wanted.append((ITEM_PARTS[kind], items[int(item_id)]))
        else:
            abort(404)
    context = _meeting_context(meeting, with_current=fragments.CURRENT in names)
    html = []
    shown: set[int] = set()
    for template, item in wanted:
        extra = item_parts(item) if item is not None else {}
        html.append(render_template(template, live_oob=True, **(context | extra)))
        if item is not None:
            shown.add(item.case.patient_id)
        elif template == LIVE_PARTS[fragments.AGENDA]:
            shown.update(i.case.patient_id for i in meeting.items)
        elif template == LIVE_PARTS[fragments.CURRENT] and context["current"] is not None:
            shown.add(context["current"].case.patient_id)
    if shown:
        record_view("meeting", meeting.id, patient_ids=sorted(shown), parts=list(names))
    return "\n".join(html)


def _meeting_context(
    meeting: Meeting,
    *,
    with_current: bool = True,
    minutes_form: PlannedMinutesForm | None = None,
    minutes_item_id: int | None = None,
    guest_form: GuestForm | None = None,
    close_form: CloseMeetingForm | None = None,
) -> dict:
    """What the meeting page and its live parts show (the case under discussion in full only
    `with_current`)."""
    may_manage = may_manage_agenda(current_user, meeting) and not meeting.is_closed
    attendance = {row.member_id: row for row in meeting.attendance if row.member_id is not None}
    # Members who left the team still show where attendance recorded them.
    roster = active_members() if may_manage else []
    roster += [row.member for row in attendance.values() if row.member not in roster and may_manage]
    current = next((item for item in meeting.items if item.id == meeting.current_item_id), None)
    total_minutes = sum(item.planned_minutes for item in meeting.items)
    context = {
        "meeting": meeting,
        "may_manage": may_manage,
        "may_edit": is_coordinator(current_user) and not meeting.is_closed,
        "minutes_form": minutes_form,
        "minutes_item_id": minutes_item_id,
        "total_minutes": total_minutes,
        "expected_end": meeting.starts_at + timedelta(minutes=total_minutes),
        "quorum": services.quorum_of(meeting),
        "attendance": attendance,
        "guests": [row for row in meeting.attendance if row.is_guest],
        "roster": roster,
        "me_present": getattr(attendance.get(current_user.id), "is_present", False),
        "current": current,
        "guest_form": guest_form or GuestForm(formdata=None),
        "close_form": close_form,
        "specialty_choices": SPECIALTY_CHOICES,
    }
    if with_current and current is not None and meeting.is_open:
        context.update(_current_context(current))
    return context


def _current_context(current: AgendaItem) -> dict:
    """The case under discussion in full: summary, presentations, scores, opinions, plan."""
    case = current.case
    presentations = current_presentations(case)
    options = [(version.code, version.name) for version in current_versions()]
    return {
        "case": case,
        "presentations": presentations,
        **scores_section(case, presentations),
        **item_parts(current),
        "opinion_form": inline_opinion_form(current, options),
        "timer": _timer(current),
    }


def _timer(item: AgendaItem) -> dict | None:
    """Time spent on the item against its planned minutes (running while it is discussed)."""
    if item.started_at is None:
        return None
    running = item.ended_at is None
    elapsed = int(((item.ended_at or utcnow()) - item.started_at).total_seconds())
    elapsed = max(elapsed, 0)
    over = elapsed > item.planned_minutes * 60
    text = f"{elapsed // 60}:{elapsed % 60:02d} of {item.planned_minutes} min"
    return {
        "running": running,
        "elapsed": elapsed,
        "over": over,
        "text": text + (", over time" if over else ""),
    }


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


def _meeting_label(meeting: Meeting) -> str:
    local = meeting.starts_at.astimezone(board_zone()).strftime("%d %b %Y %H:%M")
    return f"{meeting.title}, {local}"


def _live_anchor(meeting_id: int) -> str:
    return url_for("meetings.show_meeting", meeting_id=meeting_id) + "#live"


def _attendance_anchor(meeting_id: int) -> str:
    return url_for("meetings.show_meeting", meeting_id=meeting_id) + "#attendance"


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
        "required_specialties": list(meeting.required_specialties or []),
        "lock_version": str(meeting.lock_version),
    }
