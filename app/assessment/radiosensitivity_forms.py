"""Forms for the radiosensitivity table, the per-case override and the fitness judgement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from app.assessment.models import RADIOSENSITIVITY
from app.clinical.vocabulary import CONFIDENCE_TAGS, PRIMARY_SITES

NO_SITE = ""
YES_NO = {"yes": "Yes", "no": "No"}


def _required(message: str):
    """A presence check whose message says what to enter (spaces alone count as empty)."""

    def check(form, field):
        if not (field.data or "").strip():
            raise StopValidation(message)

    return check


class RadiosensitivityEntryForm(FlaskForm):
    """One row of the table, as an admin adds or edits it."""

    primary_site = SelectField(
        "Primary-site code",
        choices={NO_SITE: "— none: reference row, applied by per-case override —", **PRIMARY_SITES},
        validate_choice=False,
    )
    histology = StringField(
        "Histology",
        validators=[
            _required("Enter the histology the row is about."),
            Length(max=200, message="A histology label has at most 200 characters."),
        ],
    )
    classification = RadioField(
        "Classification for cEBRT",
        choices=dict(RADIOSENSITIVITY),
        validators=[InputRequired("Choose radiosensitive or radioresistant.")],
    )
    source = TextAreaField(
        "Source", validators=[_required("Enter the source the classification rests on.")]
    )
    tag = SelectField(
        "Confidence tag",
        choices={code: f"[{code}] {text}" for code, text in CONFIDENCE_TAGS.items()},
        validate_choice=False,
    )
    # The version the admin loaded; a save based on an older one is refused (409).
    base_version = HiddenField()

    def validate_primary_site(self, field):
        if field.data and field.data not in PRIMARY_SITES:
            raise ValidationError("Choose a primary-site code from the list, or none.")

    def validate_tag(self, field):
        if field.data not in CONFIDENCE_TAGS:
            raise ValidationError("Choose the confidence tag of the source (C2, C, S, R or I).")

    def entry_fields(self) -> dict:
        return {
            "primary_site": self.primary_site.data or None,
            "histology": self.histology.data,
            "classification": self.classification.data,
            "source": self.source.data,
            "tag": self.tag.data,
        }

    @property
    def base_version_number(self) -> int | None:
        try:
            return int(self.base_version.data)
        except (TypeError, ValueError):
            return None


class RadiosensitivityOverrideForm(FlaskForm):
    """The board classifies this case's tumour itself, and says why."""

    value = RadioField(
        "The board classifies this tumour as",
        choices=dict(RADIOSENSITIVITY),
        validators=[InputRequired("Choose radiosensitive or radioresistant.")],
    )
    reason = TextAreaField(
        "Reason",
        validators=[
            _required("Give the reason for the board's classification."),
            Length(max=2000, message="A reason has at most 2000 characters."),
        ],
    )


def _yes_no(label: str) -> RadioField:
    return RadioField(
        label,
        choices=dict(YES_NO),
        validators=[InputRequired(f"Answer yes or no: {label.lower()}?")],
    )


class FitnessForm(FlaskForm):
    """The board's judgement of what the patient can tolerate (NOMS "S")."""

    fit_for_open_surgery = _yes_no("Fit for open surgery")
    fit_for_mis = _yes_no("Fit for minimally invasive surgery (MIS)")
    fit_for_sbrt = _yes_no("Fit for SBRT")
    fit_for_radiotherapy = _yes_no("Fit for radiotherapy")
    note = TextAreaField(
        "Note", validators=[Length(max=4000, message="A note has at most 4000 characters.")]
    )

    JUDGEMENTS = ("fit_for_open_surgery", "fit_for_mis", "fit_for_sbrt", "fit_for_radiotherapy")

    def judgements(self) -> dict[str, bool]:
        return {name: getattr(self, name).data == "yes" for name in self.JUDGEMENTS}

    @classmethod
    def data_from(cls, fitness) -> dict:
        """The form's values for a recorded assessment (the latest one, to start from)."""
        if fitness is None:
            return {}
        return {
            **{name: "yes" if getattr(fitness, name) else "no" for name in cls.JUDGEMENTS},
            "note": fitness.note,
        }
