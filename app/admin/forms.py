"""Forms of the admin area: members, their passwords, and the audit trail filters."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length, Optional, Regexp, StopValidation, ValidationError

from app.accounts.passwords import password_problem
from app.accounts.services import USERNAME_MAX_LENGTH, username_problem, username_taken
from app.admin.services import username_taken_message
from app.audit.models import AUDIT_ACTIONS
from app.clinical.vocabulary import SPECIALTIES

NO_SPECIALTY = ""


def _required(message: str):
    """A presence check whose message says what to enter (spaces alone count as empty)."""

    def check(form, field):
        if not (field.data or "").strip():
            raise StopValidation(message)

    return check


class MemberForm(FlaskForm):
    """A member's details and permissions, as an admin edits them."""

    username = StringField(
        "Username",
        validators=[_required("Enter a username.")],
        render_kw={"maxlength": USERNAME_MAX_LENGTH, "autocomplete": "off"},
    )
    full_name = StringField(
        "Full name",
        validators=[
            _required("Enter the member's full name."),
            Length(max=200, message="A full name has at most 200 characters."),
        ],
    )
    email = StringField(
        "Email (optional)",
        validators=[
            Optional(),
            Length(max=254, message="An email address has at most 254 characters."),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                message="Enter an email address such as name@hospital.example, or leave it empty.",
            ),
        ],
    )
    specialty = SelectField(
        "Specialty",
        choices={NO_SPECIALTY: "No specialty", **SPECIALTIES},
        default=NO_SPECIALTY,
        validate_choice=False,
    )
    is_admin = BooleanField("Admin: may manage members and see the audit trail")
    is_coordinator = BooleanField("Coordinator: may schedule meetings and build agendas")
    submit = SubmitField("Save")

    def __init__(self, *args, member=None, **kwargs):
        """`member` is the member being edited (None for a new one): their own name is free."""
        super().__init__(*args, obj=member, **kwargs)
        self.member = member

    def validate_username(self, field):
        if problem := username_problem(field.data or ""):
            raise ValidationError(problem)
        # Checked here too (the service checks again at saving) so that every error shows at once.
        if username_taken(field.data, except_member=self.member):
            raise ValidationError(username_taken_message(field.data.strip()))

    def validate_specialty(self, field):
        if field.data and field.data not in SPECIALTIES:
            raise ValidationError("Choose a specialty from the list, or No specialty.")

    def member_fields(self) -> dict:
        """The submitted details, trimmed, as the services take them."""
        return {
            "username": self.username.data.strip(),
            "full_name": self.full_name.data.strip(),
            "email": (self.email.data or "").strip() or None,
            "specialty": self.specialty.data or None,
            "is_admin": bool(self.is_admin.data),
            "is_coordinator": bool(self.is_coordinator.data),
        }


def _new_password(form, field):
    username = getattr(getattr(form, "username", None), "data", None) or getattr(
        form, "member_username", None
    )
    if problem := password_problem(field.data or "", username=username):
        raise ValidationError(problem)


def _matches_password(form, field):
    if (field.data or "") != (form.password.data or ""):
        raise ValidationError("The two passwords do not match: type the same password twice.")


def _password_field(label: str, check) -> PasswordField:
    # The browser may offer to generate and store it, never to fill in a saved one.
    return PasswordField(label, validators=[check], render_kw={"autocomplete": "new-password"})


class NewMemberForm(MemberForm):
    """A new member: details plus the initial password, typed twice."""

    password = _password_field("Initial password", _new_password)
    password_confirmation = _password_field("Repeat the password", _matches_password)
    submit = SubmitField("Add member")


class ResetPasswordForm(FlaskForm):
    """A new password for a member, set by an admin."""

    password = _password_field("New password", _new_password)
    password_confirmation = _password_field("Repeat the password", _matches_password)
    submit = SubmitField("Set password")


class BoardDateField(DateField):
    """A date field whose error says what format it expects."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = date.fromisoformat(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError("Enter the date as YYYY-MM-DD, for example 2026-03-31.") from None


class AuditFilterForm(FlaskForm):
    """Filters of the audit trail; a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    member = SelectField("Member", choices={}, validate_choice=False, default="")
    action = SelectField(
        "Action",
        choices={"": "Any action", **AUDIT_ACTIONS},
        validate_choice=False,
        default="",
    )
    entity_type = SelectField("Entity type", choices={}, validate_choice=False, default="")
    patient_id = StringField(
        "Patient number",
        validators=[
            Optional(),
            Regexp(r"^\s*\d{1,9}\s*$", message="Enter the patient number as digits, e.g. 42."),
        ],
    )
    date_from = BoardDateField("From (date)", validators=[Optional()])
    date_to = BoardDateField("To (date, included)", validators=[Optional()])

    def set_choices(self, members, entity_types) -> None:
        self.member.choices = {"": "Any member"} | {
            str(member.id): f"{member.full_name} ({member.username})" for member in members
        }
        self.entity_type.choices = {"": "Any entity"} | {name: name for name in entity_types}

    def validate_member(self, field):
        if field.data and field.data not in field.choices:
            raise ValidationError("Choose a member from the list.")

    def validate_action(self, field):
        if field.data and field.data not in AUDIT_ACTIONS:
            raise ValidationError("Choose an action from the list.")

    def validate_entity_type(self, field):
        if field.data and field.data not in field.choices:
            raise ValidationError("Choose an entity type from the list.")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")

    def filters(self) -> dict:
        """The filters that are set, keyed by name, with typed values."""
        chosen = {
            "user_id": int(self.member.data) if self.member.data else None,
            "action": self.action.data or None,
            "entity_type": self.entity_type.data or None,
            "patient_id": int(self.patient_id.data) if self.patient_id.data else None,
            "date_from": self.date_from.data,
            "date_to": self.date_to.data,
        }
        return {name: value for name, value in chosen.items() if value is not None}
