"""The form recording a case's urgency-pathway times, entered in the board's time zone."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, TimeField
from wtforms.validators import Optional

from app.clinical.scores import ClinicalInputError
from app.clinical.urgency import STEP_FIELDS, STEP_LABELS, check_timeline
from app.editing import VersionedForm
from app.timestamps import board_local_to_utc, board_zone, utcnow

NEUROLOGICAL_SIGNS = "Neurological symptoms or signs"


def _day(step: str) -> DateField:
    return DateField(
        "Date",
        validators=[Optional()],
        invalid_value_message=(
            f"Enter the date of “{STEP_LABELS[step]}” as year-month-day, for example 2026-03-14."
        ),
    )


def _clock(step: str) -> TimeField:
    return TimeField(
        "Time",
        format=["%H:%M", "%H:%M:%S"],
        validators=[Optional()],
        invalid_value_message=(
            f"Enter the time of “{STEP_LABELS[step]}” as hours:minutes, for example 14:30."
        ),
    )


class UrgencyTimelineForm(VersionedForm, FlaskForm):
    """Each step's date and time (both, or neither to clear it) and the neurological flag."""

    has_neurological_signs = BooleanField(NEUROLOGICAL_SIGNS)
    symptom_onset_at_date = _day("symptom_onset_at")
    symptom_onset_at_time = _clock("symptom_onset_at")
    mri_requested_at_date = _day("mri_requested_at")
    mri_requested_at_time = _clock("mri_requested_at")
    mri_done_at_date = _day("mri_done_at")
    mri_done_at_time = _clock("mri_done_at")
    dexamethasone_at_date = _day("dexamethasone_at")
    dexamethasone_at_time = _clock("dexamethasone_at")
    board_decision_at_date = _day("board_decision_at")
    board_decision_at_time = _clock("board_decision_at")
    treatment_started_at_date = _day("treatment_started_at")
    treatment_started_at_time = _clock("treatment_started_at")

    steps = tuple(STEP_LABELS.items())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.moments: dict[str, datetime | None] = {}

    @staticmethod
    def data_from(case) -> dict:
        """The case's saved values as the form shows them: local dates and times."""
        zone = board_zone()
        data = {
            "has_neurological_signs": case.has_neurological_signs,
            "lock_version": str(case.lock_version),
        }
        for step in STEP_FIELDS:
            moment = getattr(case, step)
            if moment is not None:
                local = moment.astimezone(zone)
                data[f"{step}_date"] = local.date()
                data[f"{step}_time"] = local.time().replace(second=0, microsecond=0)
        return data

    def refuse(self, error: ClinicalInputError) -> None:
        """Show a refusal naming a pathway step beside that step's date."""
        field = self[f"{error.field}_date"] if error.field in STEP_LABELS else None
        message = f"{STEP_LABELS.get(error.field, error.field)} {error.problem}."
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        now = utcnow()
        self.moments = {}
        for step in STEP_FIELDS:
            day, clock = self[f"{step}_date"], self[f"{step}_time"]
            if day.errors or clock.errors:
                continue
            label = STEP_LABELS[step]
            if day.data is None and clock.data is None:
                self.moments[step] = None
            elif clock.data is None:
                clock.errors = [f"Enter the time of “{label}” too, or clear its date."]
            elif day.data is None:
                day.errors = [f"Enter the date of “{label}” too, or clear its time."]
            elif (moment := board_local_to_utc(day.data, clock.data)) is None:
                clock.errors = [
                    "This time does not exist on that day (the clocks go forward). "
                    "Choose another time."
                ]
            elif moment > now:
                day.errors = [f"{label} cannot be in the future."]
            else:
                self.moments[step] = moment
        if len(self.moments) < len(STEP_FIELDS):
            return False
        try:
            check_timeline(**self.moments)
        except ClinicalInputError as error:
            self.refuse(error)
            return False
        return valid
