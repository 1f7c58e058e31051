"""The consensus summary of an agenda item and the minutes of a meeting: an HTML preview and
the PDF, from the same template. Each PDF download is audited with its SHA-256."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_login import login_required

from app.audit.services import record_view
from app.decisions import services as decisions
from app.exports import documents
from app.exports.pdf import render_pdf
from app.exports.services import MINUTES, SUMMARY, record_export
from app.extensions import db
from app.meetings.models import Meeting

bp = Blueprint("exports", __name__, template_folder="templates")


@bp.route("/items/<int:item_id>/summary")
@login_required
def summary_preview(item_id: int):
    item = _item_or_404(item_id)
    context = documents.case_summary(item)
    html = documents.summary_html(context, preview=True)
    record_view("agenda_item", item.id, patient_id=item.case.patient_id, page="summary_preview")
    return html


@bp.route("/items/<int:item_id>/summary.pdf")
@login_required
def summary_pdf(item_id: int):
    item = _item_or_404(item_id)
    context = documents.case_summary(item)
    html = documents.summary_html(context, preview=False)
    rendered = render_pdf(html, archival=_archival())
    plan = context["plan"]
    record_export(
        SUMMARY,
        item.id,
        rendered,
        patient_ids=[item.case.patient_id],
        case_id=item.case_id,
        meeting_id=item.meeting_id,
        plan_id=plan.id if plan else None,
        plan_version=plan.version if plan else None,
        draft=context["is_draft"],
    )
    version = f"-plan-v{plan.version}" if plan else ""
    draft = "-draft" if context["is_draft"] else ""
    return _pdf_response(rendered, f"consensus-summary-item-{item.id}{version}{draft}")


@bp.route("/meetings/<int:meeting_id>/minutes")
@login_required
def minutes_preview(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    context = documents.meeting_minutes(meeting)
    html = documents.minutes_html(context, preview=True)
    record_view(
        "meeting", meeting.id, patient_ids=documents.patient_ids_of(context), page="minutes"
    )
    return html


@bp.route("/meetings/<int:meeting_id>/minutes.pdf")
@login_required
def minutes_pdf(meeting_id: int):
    meeting = db.get_or_404(Meeting, meeting_id)
    context = documents.meeting_minutes(meeting)
    html = documents.minutes_html(context, preview=False)
    rendered = render_pdf(html, archival=_archival())
    record_export(
        MINUTES,
        meeting.id,
        rendered,
        patient_ids=documents.patient_ids_of(context),
        meeting_id=meeting.id,
        status=meeting.status,
    )
    return _pdf_response(rendered, f"minutes-meeting-{meeting.id}")


def _item_or_404(item_id: int):
    item = decisions.load_item(item_id)
    if item is None:
        abort(404)
    return item


def _archival() -> bool:
    return request.args.get("archive") == "1"


def _pdf_response(rendered, name: str) -> Response:
    suffix = "-pdfa" if rendered.variant else ""
    response = Response(rendered.pdf, mimetype="application/pdf")
    # The file name carries ids only: no patient name on someone's download folder listing.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}{suffix}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-SHA256"] = rendered.sha256
    return response
