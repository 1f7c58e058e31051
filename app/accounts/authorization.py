"""Who may use each URL of the app: one table, every rule of app.url_map, every method.

The views enforce it (login_required, require(...), the permission predicates in
permissions.py); tests/test_authorization.py walks every rule as every kind of member and fails
on any answer that differs from this table, and on any rule the table does not name.
"""

from __future__ import annotations

from enum import Enum


class Access(Enum):
    """Who may use a rule."""

    ANYONE = "anyone, logged in or not"
    MEMBER = "any logged-in member"
    OWN = "a logged-in member, on their own account only"
    SPECIALIST = "a member with a clinical specialty, under that specialty"
    CHOOSER = "a member with a clinical specialty, or a coordinator"
    CHAIR = "the chair of that meeting, or a coordinator"
    COORDINATOR = "a coordinator"
    ADMIN = "an administrator"


ANYONE, MEMBER, OWN = Access.ANYONE, Access.MEMBER, Access.OWN
SPECIALIST, CHOOSER, CHAIR = Access.SPECIALIST, Access.CHOOSER, Access.CHAIR
COORDINATOR, ADMIN = Access.COORDINATOR, Access.ADMIN

# endpoint → method → who. Pages that show patients are for members only; every change to a
# meeting's running is for its chair or a coordinator; admin pages for administrators.
RULES: dict[str, dict[str, Access]] = {
    "accounts.change_password": {"GET": OWN, "POST": OWN},
    "accounts.keepalive": {"GET": OWN},
    "accounts.login": {"GET": ANYONE, "POST": ANYONE},
    "accounts.logout": {"POST": OWN},
    "admin.audit_csv": {"GET": ADMIN},
    "admin.audit_log": {"GET": ADMIN},
    "admin.deactivate_member": {"POST": ADMIN},
    "admin.edit_member": {"GET": ADMIN, "POST": ADMIN},
    "admin.list_members": {"GET": ADMIN},
    "admin.new_member": {"GET": ADMIN, "POST": ADMIN},
    "admin.reactivate_member": {"POST": ADMIN},
    "admin.reset_password": {"GET": ADMIN, "POST": ADMIN},
    "assessment.board_choices_page": {"GET": MEMBER, "POST": CHOOSER},
    "cases.edit_case": {"GET": MEMBER, "POST": MEMBER},
    "cases.list_cases": {"GET": MEMBER},
    "cases.mark_ready": {"POST": MEMBER},
    "cases.new_case": {"GET": MEMBER, "POST": MEMBER},
    "cases.new_presentation": {"GET": SPECIALIST, "POST": SPECIALIST},
    "cases.presentation_history": {"GET": MEMBER},
    "cases.show_case": {"GET": MEMBER},
    "catalogue.list_options": {"GET": MEMBER},
    "catalogue.show_option": {"GET": MEMBER},
    "decisions.amend_plan": {"GET": CHAIR, "POST": CHAIR},
    "decisions.edit_opinion": {"GET": SPECIALIST, "POST": SPECIALIST},
    "decisions.edit_plan": {"GET": CHAIR, "POST": CHAIR},
    "decisions.opinion_history": {"GET": MEMBER},
    "decisions.show_item": {"GET": MEMBER},
    "decisions.show_plan": {"GET": MEMBER},
    "decisions.sign_plan": {"POST": CHAIR},
    "exports.minutes_pdf": {"GET": MEMBER},
    "exports.minutes_preview": {"GET": MEMBER},
    "exports.summary_pdf": {"GET": MEMBER},
    "exports.summary_preview": {"GET": MEMBER},
    "figures.board_figures": {"GET": MEMBER},
    "followup.list_actions": {"GET": MEMBER},
    "followup.mark_action": {"POST": CHOOSER},
    "fitness.record_fitness": {"GET": MEMBER, "POST": CHAIR},
    "index": {"GET": ANYONE},
    "live.meeting_events": {"GET": MEMBER},
    "meetings.add_case": {"POST": CHAIR},
    "meetings.add_guest": {"POST": CHAIR},
    "meetings.check_in": {"POST": MEMBER},
    "meetings.close_meeting": {"POST": CHAIR},
    "meetings.defer_item": {"POST": CHAIR},
    "meetings.discuss_item": {"POST": CHAIR},
    "meetings.edit_meeting": {"GET": COORDINATOR, "POST": COORDINATOR},
    "meetings.list_meetings": {"GET": MEMBER},
    "meetings.live_parts": {"GET": MEMBER},
    "meetings.mark_attendance": {"POST": CHAIR},
    "meetings.move_item": {"POST": CHAIR},
    "meetings.new_meeting": {"GET": COORDINATOR, "POST": COORDINATOR},
    "meetings.next_item": {"POST": CHAIR},
    "meetings.open_meeting": {"POST": CHAIR},
    "meetings.order_urgent_first": {"POST": CHAIR},
    "meetings.previous_item": {"POST": CHAIR},
    "meetings.remove_item": {"POST": CHAIR},
    "meetings.set_guest_presence": {"POST": CHAIR},
    "meetings.set_planned_minutes": {"POST": CHAIR},
    "meetings.show_meeting": {"GET": MEMBER},
    "patients.edit_patient": {"GET": MEMBER, "POST": MEMBER},
    "patients.new_patient": {"GET": MEMBER, "POST": MEMBER},
    "patients.show_patient": {"GET": MEMBER},
    "radiosensitivity.case_override": {"GET": MEMBER, "POST": CHOOSER},
    "radiosensitivity.edit_entry": {"GET": ADMIN, "POST": ADMIN},
    "radiosensitivity.entry_history": {"GET": ADMIN},
    "radiosensitivity.list_entries": {"GET": ADMIN},
    "radiosensitivity.new_entry": {"GET": ADMIN, "POST": ADMIN},
    "static": {"GET": ANYONE},
    "urgency.edit_timeline": {"GET": MEMBER, "POST": MEMBER},
}
