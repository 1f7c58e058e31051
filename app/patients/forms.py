"""Forms for registering a patient and changing their identifiers."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from app.editing import VersionedForm
from app.patients.models import SEXES
from app.timestamps import board_today


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
    birth_date = DateField(
        "Date of birth",
        validators=[InputRequired("Enter the date of birth.")],
        invalid_value_message="Enter the date of birth as a date, for example 1956-03-14.",
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


class EditPatientForm(VersionedForm, PatientForm):
    """The patient's identifiers, with the version the member started from."""
