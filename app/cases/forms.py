"""Forms for opening and editing a case, finding cases, and presenting a case by role."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import NumberInput

from app.cases.models import CASE_STATUSES
from app.clinical import inputs
from app.clinical.vocabulary import LEVEL_LABELS, LEVELS, PRIMARY_SITES
from app.editing import VersionedForm
from app.timestamps import board_today

LESION_ROWS = 3
LEVEL_CHOICES = {code: LEVEL_LABELS[code] for code in LEVELS}


class CaseForm(FlaskForm):
    question = TextAreaField(
        "Clinical question for the board",
        validators=[InputRequired("Enter the clinical question for the board.")],
    )
    primary_site = SelectField(
        "Primary tumour site",
        choices={"": "Choose…", **PRIMARY_SITES},
        validate_choice=False,
    )
    histology = StringField(
        "Histology",
        validators=[Length(max=300, message="Histology has at most 300 characters.")],
    )
    levels = SelectMultipleField("Affected levels", choices=LEVEL_CHOICES, validate_choice=False)
    suspected_mscc = BooleanField("Suspected metastatic spinal cord compression (MSCC)")
    is_urgent = BooleanField("Urgent")
    referring_clinician = StringField(
        "Referring clinician",
        validators=[
            InputRequired("Enter the referring clinician."),
            Length(max=200, message="The referring clinician has at most 200 characters."),
        ],
    )

    def validate_question(self, field):
        if not field.data.strip():
            raise ValidationError("Enter the clinical question for the board.")

    def validate_primary_site(self, field):
        if field.data not in PRIMARY_SITES:
            raise ValidationError(
                "Choose the primary tumour site (Unidentified primary if it is not known)."
            )

    def validate_levels(self, field):
        if not field.data:
            raise ValidationError("Choose at least one affected level.")
        if any(level not in LEVEL_LABELS for level in field.data):
            raise ValidationError("Choose levels from C1 to S5 and coccyx.")

    def validate_referring_clinician(self, field):
        if not field.data.strip():
            raise ValidationError("Enter the referring clinician.")

    def case_fields(self) -> dict:
        return {
            "question": self.question.data,
            "primary_site": self.primary_site.data,
            "histology": self.histology.data or "",
            "levels": list(self.levels.data),
            "is_urgent": self.is_urgent.data,
            "suspected_mscc": self.suspected_mscc.data,
            "referring_clinician": self.referring_clinician.data,
        }


class EditCaseForm(VersionedForm, CaseForm):
    """The case's details, with the version the member started from."""


class MarkReadyForm(FlaskForm):
    """A button only: the CSRF token is its content."""


class CaseSearchForm(FlaskForm):
    """The case list's filters, read from the query string."""

    class Meta:
        csrf = False

    q = StringField("MRN or name")
    status = SelectField(
        "Status", choices={"": "Any status", **CASE_STATUSES}, validate_choice=False
    )
    urgent = BooleanField("Urgent only")


# Presentation by role -------------------------------------------------------------------------


class ClinicalNumberField(StringField):
    """A number input read and checked by the clinical input rules (app.clinical.inputs)."""

    widget = NumberInput()
    value = None  # the stored value, once validated

    def pre_validate(self, form):
        self.value = None
        try:
            self.value = inputs.read(self.short_name, str(self.data or ""), today=board_today())
        except inputs.InputError as error:
            raise ValidationError(error.message) from None


class ClinicalCodeField(SelectField):
    """A choice among contract codes, blank meaning "not recorded"."""

    def __init__(self, label=None, validators=None, *, codes: dict[str, str], blank: str, **kw):
        super().__init__(
            label, validators, choices={"": blank, **codes}, validate_choice=False, **kw
        )

    def pre_validate(self, form):
        if self.data:
            try:
                inputs.check(self.short_name, self.data, today=board_today())
            except inputs.InputError:
                raise ValidationError(
                    f"{inputs.LABELS[self.short_name]}: choose one of the listed values."
                ) from None

    @property
    def value(self):
        return self.data or None


def _code(name: str, blank: str = "Not recorded"):
    return ClinicalCodeField(inputs.LABELS[name], codes=inputs.CODES[name], blank=blank)


def _number(name: str, **attributes):
    return ClinicalNumberField(inputs.LABELS[name], render_kw=attributes)


class LesionForm(Form):
    """One lesion row: the SINS items and the ESCC grade (REFERENCE §1, §2, §11)."""

    level = _code("level", blank="—")
    location = _code("location", blank="From the level")
    pain = _code("pain")
    lesion_quality = _code("lesion_quality")
    alignment = _code("alignment")
    collapse = _code("collapse")
    collapse_percent = _number("collapse_percent", min=0, max=100, step=1)
    posterolateral = _code("posterolateral")
    escc_grade = _code("escc_grade")
    cauda_equina = BooleanField(inputs.LABELS["cauda_equina"])
    is_index = BooleanField(inputs.LABELS["is_index"])

    def values(self) -> dict:
        return {
            name: (self[name].data if name in {"cauda_equina", "is_index"} else self[name].value)
            for name in inputs.LESION_FIELDS
        }


class LevelsField(SelectMultipleField):
    """Vertebral levels as checkboxes, checked by the clinical input rules."""

    def __init__(self, label=None, validators=None, **kw):
        super().__init__(label, validators, choices=LEVEL_CHOICES, validate_choice=False, **kw)

    def pre_validate(self, form):
        try:
            inputs.check(self.short_name, list(self.data or []), today=board_today())
        except inputs.InputError as error:
            raise ValidationError(error.message) from None

    @property
    def value(self):
        return list(self.data or []) or None


class RadiotherapyDateField(DateField):
    def pre_validate(self, form):
        try:
            inputs.check(self.short_name, self.data, today=board_today())
        except inputs.InputError as error:
            raise ValidationError(error.message) from None

    @property
    def value(self):
        return self.data


class PresentationForm(FlaskForm):
    """Every structured input; __init__ keeps only those the member's specialty owns."""

    specialty = HiddenField()
    summary = TextAreaField("Summary")
    kps = _number("kps", min=0, max=100, step=10)
    ecog = _number("ecog", min=0, max=5, step=1)
    extraspinal_bone_mets = _number("extraspinal_bone_mets", min=0, step=1)
    vertebral_mets = _number("vertebral_mets", min=1, step=1)
    tokuhashi_visceral = _code("tokuhashi_visceral")
    tomita_visceral = _code("tomita_visceral")
    albumin_g_dl = _number("albumin_g_dl", min=0.5, max=7, step=0.1)
    frankel = _code("frankel")
    asia = _code("asia")
    previous_spine_surgery = StringField(
        inputs.LABELS["previous_spine_surgery"],
        validators=[
            Optional(),
            Length(max=300, message=inputs.MESSAGES["previous_spine_surgery"]),
        ],
    )
    prior_rt_dose_gy = _number("prior_rt_dose_gy", min=0, max=100, step="any")
    prior_rt_fractions = _number("prior_rt_fractions", min=1, max=50, step=1)
    prior_rt_date = RadiotherapyDateField(
        inputs.LABELS["prior_rt_date"],
        validators=[Optional()],
        invalid_value_message=(
            "Enter the date of prior radiotherapy as a date, for example 2024-05-02."
        ),
    )
    prior_rt_levels = LevelsField(inputs.LABELS["prior_rt_levels"])
    mobility = _code("mobility")
    lesions = FieldList(FormField(LesionForm))

    def __init__(self, *args, specialty: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.owned = inputs.FIELDS_BY_SPECIALTY.get(specialty, ())
        for name in (*inputs.PRESENTATION_FIELDS, "lesions"):
            if name not in self.owned:
                del self[name]
        if "lesions" in self.owned:
            current = kwargs.get("obj")
            held = len(current.lesions) if current is not None else 0
            # Three rows without a script, and room for one more than the current entry holds.
            # Rows are added here, not by min_entries: WTForms renumbers posted rows and would
            # fill a padding row from the form data of another.
            while len(self.lesions.entries) < max(LESION_ROWS, held + 1):
                self.lesions.append_entry()

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(name for name in inputs.PRESENTATION_FIELDS if name in self.owned)

    def structured_fields(self) -> dict:
        values = {}
        for name in self.input_names:
            if name == "previous_spine_surgery":
                values[name] = (self[name].data or "").strip() or None
            else:
                values[name] = self[name].value
        return values

    def lesion_rows(self) -> list[dict]:
        if "lesions" not in self.owned:
            return []
        rows = (entry.form.values() for entry in self.lesions.entries)
        return [row for row in rows if not inputs.lesion_is_blank(row)]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "lesions" in self.owned:
            today = board_today()
            marked = []
            for entry in self.lesions.entries:
                row = entry.form.values()
                if inputs.lesion_is_blank(row):
                    continue
                for name, message in inputs.lesion_problems(row, today=today).items():
                    field = entry.form[name]
                    if not field.errors:
                        field.errors = [*field.errors, message]
                        valid = False
                if row["is_index"]:
                    marked.append(entry.form.is_index)
            if inputs.index_problem([{"is_index": True} for _ in marked]):
                for field in marked:
                    field.errors = [*field.errors, inputs.ONE_INDEX]
                valid = False
        if valid and not (
            (self.summary.data or "").strip()
            or any(value is not None for value in self.structured_fields().values())
            or self.lesion_rows()
        ):
            self.form_errors.append("Give a summary or at least one finding before saving.")
            valid = False
        return valid
