"""Forms for scheduling a meeting and building its agenda."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields import URLField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.clinical.vocabulary import SPECIALTIES
from app.meetings.services import DEFAULT_PLANNED_MINUTES, MAX_PLANNED_MINUTES, MIN_PLANNED_MINUTES
from app.timestamps import board_local_to_utc, utcnow

DEFAULT_TITLE = "Spine tumour board"
SPECIALTY_CHOICES = {"": "No specialty"} | SPECIALTIES
MINUTES_MESSAGE = f"Enter planned minutes between {MIN_PLANNED_MINUTES} and {MAX_PLANNED_MINUTES}."
MINUTES_NOT_NUMBER = "Enter the planned minutes as a whole number, for example 10."


def _optional_id(value) -> int | None:
    """Coerce a submitted id; the empty placeholder option means nothing was chosen."""
    if value in (None, ""):
        return None
    return int(value)


def _minutes_field(label: str, **kwargs) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired("Enter the planned minutes."),
            NumberRange(MIN_PLANNED_MINUTES, MAX_PLANNED_MINUTES, MINUTES_MESSAGE),
        ],
        invalid_value_message=MINUTES_NOT_NUMBER,
        render_kw={"min": MIN_PLANNED_MINUTES, "max": MAX_PLANNED_MINUTES},
        **kwargs,
    )


class MeetingForm(FlaskForm):
    """Schedule or edit a meeting; date and time are entered in the board's time zone.

    The quorum's specialties are set on the edit form only: a new meeting takes the board's.
    """

    title = StringField(
        "Title",
        default=DEFAULT_TITLE,
        validators=[
            InputRequired("Enter a title for the meeting."),
            Length(max=200, message="Keep the title to 200 characters or fewer."),
        ],
    )
    date = DateField(
        "Date",
        validators=[InputRequired("Enter the date of the meeting.")],
        invalid_value_message="Enter the date as year-month-day, for example 2026-06-03.",
    )
    time = TimeField(
        "Start time",
        format=["%H:%M", "%H:%M:%S"],
        validators=[InputRequired("Enter the start time.")],
        invalid_value_message="Enter the start time as hours:minutes, for example 14:00.",
    )
    location = StringField(
        "Place",
        validators=[Length(max=200, message="Keep the place to 200 characters or fewer.")],
    )
    video_url = URLField(
        "Video link",
        validators=[Length(max=500, message="Keep the video link to 500 characters or fewer.")],
    )
    chair_id = SelectField(
        "Chair",
        coerce=_optional_id,
        validate_choice=False,
        validators=[InputRequired("Choose the chair.")],
        invalid_value_message="Choose the chair from the list of members.",
    )
    required_specialties = SelectMultipleField(
        "Specialties the quorum needs",
        choices=dict(SPECIALTIES),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    lock_version = HiddenField()

    def __init__(
        self, *args, members=(), must_be_future: bool = False, with_quorum: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if not with_quorum:
            del self.required_specialties
        self.members = {member.id: member for member in members}
        self.chair_id.choices = {"": "Choose a member"} | {
            str(member.id): f"{member.full_name} ({member.specialty_label})" for member in members
        }
        self.must_be_future = must_be_future

    def validate_date(self, field) -> None:
        if not self.must_be_future or field.data is None or self.time.data is None:
            return
        starts_at = board_local_to_utc(field.data, self.time.data)
        if starts_at is not None and starts_at <= utcnow():
            raise ValidationError("Choose a date and time in the future.")

    def validate_time(self, field) -> None:
        if self.date.data is None or field.data is None:
            return
        if board_local_to_utc(self.date.data, field.data) is None:
            raise ValidationError(
                "This time does not exist on that day (the clocks go forward). Choose another time."
            )

    def validate_location(self, field) -> None:
        if not (field.data or "").strip() and not (self.video_url.data or "").strip():
            raise ValidationError("Enter a place, a video link, or both.")

    def validate_video_url(self, field) -> None:
        value = (field.data or "").strip()
        if not value:
            return
        parts = urlsplit(value)
        if parts.scheme.lower() != "https" or not parts.netloc or any(c.isspace() for c in value):
            raise ValidationError(
                "Enter the video link as a full web address starting with https://, "
                "for example https://video.example.org/spine-board."
            )

    def validate_chair_id(self, field) -> None:
        if field.data not in self.members:
            raise ValidationError("Choose the chair from the list of active members.")

    def validate_required_specialties(self, field) -> None:
        if not field.data:
            raise ValidationError("Tick at least one specialty that must be present.")
        unknown = [code for code in field.data if code not in SPECIALTIES]
        if unknown:
            raise ValidationError("Tick specialties from the list only.")

    def starts_at(self) -> datetime:
        """The start as aware UTC (call after validation)."""
        return board_local_to_utc(self.date.data, self.time.data)

    def chair(self):
        return self.members[self.chair_id.data]

    def base_lock_version(self) -> int:
        """The version the editor loaded; -1 (never current) when the field was tampered with."""
        value = (self.lock_version.data or "").strip()
        return int(value) if value.isdigit() else -1


class AddCaseForm(FlaskForm):
    """Put a case on the agenda.

    The case list may be out of date by the time it is sent, so any case id is accepted here
    and the agenda rules decide (with a message naming the meeting that holds the case).
    """

    case_id = SelectField(
        "Case",
        coerce=_optional_id,
        validate_choice=False,
        validators=[InputRequired("Choose a case to add.")],
        invalid_value_message="Choose a case from the list.",
    )
    planned_minutes = _minutes_field("Planned minutes", default=DEFAULT_PLANNED_MINUTES)

    def offer(self, cases) -> None:
        """Offer `cases` in the list (they are not a limit on what may be sent)."""
        self.case_id.choices = {"": "Choose a case"} | {
            str(case.id): _case_choice_label(case) for case in cases
        }


def _case_choice_label(case) -> str:
    patient = case.patient
    parts = [f"{patient.display_name} ({patient.mrn})"]
    if case.levels:
        parts.append(case.levels_text)
    if case.is_urgent:
        parts.append("URGENT")
    return " · ".join(parts)


class PlannedMinutesForm(FlaskForm):
    """Change one agenda item's planned minutes."""

    minutes = _minutes_field("Planned minutes")


class MoveItemForm(FlaskForm):
    """Move one agenda item up or down by one place."""

    direction = SelectField(
        "Direction",
        choices={"up": "Up", "down": "Down"},
        validators=[InputRequired("Choose up or down.")],
    )


def _specialty_field(label: str) -> SelectField:
    return SelectField(
        label,
        choices=SPECIALTY_CHOICES,
        validators=[Optional()],
        invalid_value_message="Choose a specialty from the list.",
    )


class AttendanceForm(FlaskForm):
    """The chair or a coordinator marks one member present (with a specialty) or absent."""

    member_id = HiddenField(validators=[InputRequired("The form lost its member; reload.")])
    specialty = _specialty_field("Specialty")
    present = SelectField(
        "Present",
        choices={"1": "Present", "0": "Absent"},
        validators=[InputRequired("Choose present or absent.")],
    )


class GuestForm(FlaskForm):
    """Add a guest to the attendance."""

    guest_name = StringField(
        "Guest's name",
        validators=[
            InputRequired("Enter the guest's name."),
            Length(max=200, message="Keep the name to 200 characters or fewer."),
        ],
    )
    specialty = _specialty_field("Specialty they bring")

    def validate_guest_name(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Enter the guest's name.")


class GuestPresenceForm(FlaskForm):
    """Mark a guest present or absent again."""

    attendance_id = HiddenField(validators=[InputRequired("The form lost its guest; reload.")])
    present = SelectField(
        "Present",
        choices={"1": "Present", "0": "Absent"},
        validators=[InputRequired("Choose present or absent.")],
    )


class DeferForm(FlaskForm):
    """Defer a case to the next scheduled meeting, with a note for that meeting."""

    note = StringField(
        "Note",
        validators=[Length(max=500, message="Keep the note to 500 characters or fewer.")],
    )


class CloseMeetingForm(FlaskForm):
    """Close the meeting; with an unsigned case under discussion, only once confirmed."""

    confirm_unsigned = BooleanField("Close although the item under discussion has no signed plan")
