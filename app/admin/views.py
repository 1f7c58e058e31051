"""Administration pages: members, their permissions and passwords, and the audit trail."""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from app.accounts import services as account_services
from app.accounts.models import User
from app.accounts.permissions import is_admin, require
from app.admin import services
from app.admin.forms import AuditFilterForm, MemberForm, NewMemberForm, ResetPasswordForm
from app.admin.services import MemberRefused
from app.audit.models import AUDIT_ACTIONS
from app.audit.services import record
from app.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.route("/members")
@require(is_admin)
def list_members():
    return render_template("admin/members.html", members=account_services.list_members())


@bp.route("/members/new", methods=["GET", "POST"])
@require(is_admin)
def new_member():
    form = NewMemberForm()
    if form.validate_on_submit():
        try:
            member = services.add_member(form.member_fields(), form.password.data)
        except MemberRefused as refusal:
            _show_refusal(form, refusal)
        else:
            flash(f"Added {member.full_name} ({member.username}).", "success")
            return redirect(url_for("admin.list_members"))
    return render_template("admin/member_form.html", form=form, member=None)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@require(is_admin)
def edit_member(member_id: int):
    member = db.get_or_404(User, member_id)
    form = MemberForm(member=member)
    if request.method == "GET":
        form.specialty.data = member.specialty or ""
    if form.validate_on_submit():
        try:
            changed = services.update_member(member, form.member_fields(), acting=current_user)
        except MemberRefused as refusal:
            _show_refusal(form, refusal)
        else:
            if changed:
                flash(f"Saved the changes to {member.full_name}.", "success")
            else:
                flash(f"Nothing changed for {member.full_name}.", "info")
            return redirect(url_for("admin.list_members"))
    return render_template("admin/member_form.html", form=form, member=member)


@bp.route("/members/<int:member_id>/deactivate", methods=["POST"])
@require(is_admin)
def deactivate_member(member_id: int):
    member = db.get_or_404(User, member_id)
    try:
        if services.deactivate_member(member, acting=current_user):
            flash(f"{member.full_name} is deactivated and can no longer log in.", "success")
        else:
            flash(f"{member.full_name} was already deactivated.", "info")
    except MemberRefused as refusal:
        flash(refusal.message, "error")
    return redirect(url_for("admin.list_members"))


@bp.route("/members/<int:member_id>/reactivate", methods=["POST"])
@require(is_admin)
def reactivate_member(member_id: int):
    member = db.get_or_404(User, member_id)
    if services.reactivate_member(member):
        flash(f"{member.full_name} is active again and can log in.", "success")
    else:
        flash(f"{member.full_name} was already active.", "info")
    return redirect(url_for("admin.list_members"))


@bp.route("/members/<int:member_id>/password", methods=["GET", "POST"])
@require(is_admin)
def reset_password(member_id: int):
    member = db.get_or_404(User, member_id)
    form = ResetPasswordForm()
    form.member_username = member.username
    if form.validate_on_submit():
        services.reset_password(member, form.password.data)
        flash(
            f"Set a new password for {member.full_name}. Give it to them in person: they choose "
            "their own at their next login.",
            "success",
        )
        return redirect(url_for("admin.list_members"))
    return render_template("admin/reset_password.html", form=form, member=member)


@bp.route("/audit")
@require(is_admin)
def audit_log():
    form, valid, filters = _audit_filters()
    page = max(1, request.args.get("page", 1, type=int))
    services.record_audit_view(filters, page)
    per_page = current_app.config["PAGE_SIZE"]
    listing = services.audit_events(filters, page, per_page) if valid else None
    # Page links keep the filters; only the page number changes.
    link_args = {name: request.args[name] for name in form.data if request.args.get(name)}
    return render_template(
        "admin/audit.html", form=form, listing=listing, link_args=link_args, actions=AUDIT_ACTIONS
    )


@bp.route("/audit.csv")
@require(is_admin)
def audit_csv():
    """The audit trail (with the page's filters) as CSV, for an auditor's own tools."""
    _, _, filters = _audit_filters()
    detail = {"filters": sorted(filters)} if filters else {}
    record("exported", "audit_log", None, format="csv", **detail)
    db.session.commit()

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in services.audit_csv_rows(filters):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    response = Response(stream_with_context(lines()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _audit_filters() -> tuple[AuditFilterForm, bool, dict]:
    """The audit filter form read from the query string, whether it is valid, its filters."""
    members, entity_types = services.audit_filter_choices()
    form = AuditFilterForm(formdata=request.args)
    form.set_choices(members, entity_types)
    valid = form.validate()
    return form, valid, form.filters() if valid else {}


def _show_refusal(form, refusal: MemberRefused) -> None:
    """Put a service's refusal next to the field it concerns, or above the form."""
    if refusal.field and hasattr(form, refusal.field):
        getattr(form, refusal.field).errors.append(refusal.message)
    else:
        form.form_errors.append(refusal.message)
