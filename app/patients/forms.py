"""Forms for registering a patient and changing their identifiers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from app.patients.models import SEXES
from app.patients.services import board_today


class DayField(DateField):
    """A date input whose unreadable value gets the form's own message, not a generic one."""

    def __init__(self, label=None, validators=None, *, unreadable: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.unreadable = unreadable

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.unreadable) from None


class PatientForm(FlaskForm):
    mrn = StringField(
        "MRN (hospital number)",
        validators=[
            InputRequired("Enter the MRN."),
            Length(max=64, message="An MRN has at most 64 characters."),
        ],
    )
    family_name = StringField(
        "Family name",
        validators=[
            InputRequired("Enter the family name."),
            Length(max=100, message="A family name has at most 100 characters."),
        ],
    )
    given_name = StringField(
        "Given name",
        validators=[
            InputRequired("Enter the given name."),
            Length(max=100, message="A given name has at most 100 characters."),
        ],
    )
    birth_date = DayField(
        "Date of birth",
        validators=[InputRequired("Enter the date of birth.")],
        unreadable="Enter the date of birth as a date, for example 1956-03-14.",
    )
    sex = SelectField(
        "Sex",
        choices={"": "Choose…", **SEXES},
        validators=[InputRequired("Choose the sex (Unknown if it is not recorded).")],
        validate_choice=False,
    )

    def validate_mrn(self, field):
        if not field.data.strip():
            raise ValidationError("Enter the MRN.")

    def validate_family_name(self, field):
        if not field.data.strip():
            raise ValidationError("Enter the family name.")

    def validate_given_name(self, field):
        if not field.data.strip():
            raise ValidationError("Enter the given name.")

    def validate_birth_date(self, field):
        if field.data and field.data > board_today():
            raise ValidationError("The date of birth cannot be in the future.")

    def validate_sex(self, field):
        if field.data not in SEXES:
            raise ValidationError("Choose the sex from the list.")

    def patient_fields(self) -> dict:
        return {
            "mrn": self.mrn.data,
            "family_name": self.family_name.data,
            "given_name": self.given_name.data,
            "birth_date": self.birth_date.data,
            "sex": self.sex.data,
        }


class EditPatientForm(PatientForm):
    # The version the member started from; a save based on an older one is refused.
    lock_version = HiddenField()

    def validate_lock_version(self, field):
        try:
            int(field.data)
        except (TypeError, ValueError):
            raise ValidationError("This form is missing its version; reload the page.") from None

    @property
    def base_lock_version(self) -> int:
        return int(self.lock_version.data)
