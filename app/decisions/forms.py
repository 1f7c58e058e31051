"""Forms for a member's opinion, the agreed plan, signing and amending it."""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.clinical.vocabulary import PLAN_INTENTS, SPECIALTIES

OPINION_CHOICES = 5
PLAN_STEPS = 6
PLAN_DISSENTS = 4
PLAN_ACTIONS = 4

ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth")


class OpinionForm(FlaskForm):
    """Up to five catalogue options in order of preference, the reasoning, and agreement."""

    option_1 = SelectField("First choice", validate_choice=False)
    option_2 = SelectField("Second choice", validate_choice=False)
    option_3 = SelectField("Third choice", validate_choice=False)
    option_4 = SelectField("Fourth choice", validate_choice=False)
    option_5 = SelectField("Fifth choice", validate_choice=False)
    reasoning = TextAreaField("Reasoning", validators=[Length(max=10000)])
    agrees_with_consensus = BooleanField("I agree with the emerging consensus")

    def __init__(self, *args, options: list[tuple[str, str]], **kwargs):
        """`options` is the catalogue as (code, name) pairs, in catalogue order."""
        super().__init__(*args, **kwargs)
        self._names = dict(options)
        for field in self.option_fields:
            field.choices = {"": "— no option —", **self._names}

    @property
    def option_fields(self) -> list[SelectField]:
        return [getattr(self, f"option_{n}") for n in range(1, OPINION_CHOICES + 1)]

    @property
    def option_codes(self) -> list[str]:
        return [field.data for field in self.option_fields if field.data]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        chosen: dict[str, int] = {}
        for position, field in enumerate(self.option_fields, start=1):
            code = field.data
            if not code:
                continue
            if code not in self._names:
                field.errors.append(f"{code!r} is not an option in the catalogue.")
                valid = False
            elif code in chosen:
                first = ORDINALS[chosen[code] - 1].lower()
                field.errors.append(
                    f"{self._names[code]} is already your {first} choice: choose each option once."
                )
                valid = False
            else:
                chosen[code] = position
        if not self.option_1.data:
            self.option_1.errors.append("Choose your first option from the catalogue.")
            valid = False
        return valid


class StepRow(Form):
    option = SelectField("Option", validate_choice=False)
    details = StringField("Details", validators=[Length(max=500)])


class DissentRow(Form):
    member = SelectField("Member", validate_choice=False)
    reason = StringField("Reason", validators=[Length(max=2000)])


class ActionRow(Form):
    action_id = HiddenField()
    description = StringField("What", validators=[Length(max=500)])
    owner_member = SelectField("Owner: a member", validate_choice=False)
    owner_specialty = SelectField("or a specialty", validate_choice=False)
    due_date = DateField(
        "Due date",
        validators=[Optional()],
        invalid_value_message="Enter the due date as a date (YYYY-MM-DD).",
    )

    def is_empty(self) -> bool:
        return not (
            (self.description.data or "").strip()
            or self.owner_member.data
            or self.owner_specialty.data
            or (self.due_date.raw_data and self.due_date.raw_data[0].strip())
        )


class PlanForm(FlaskForm):
    """The agreed plan: intent, ordered steps, rationale, dissent and follow-up actions."""

    lock_version = HiddenField()
    intent = SelectField(
        "Intent",
        choices={"": "— choose —", **PLAN_INTENTS},
        validate_choice=False,
        validators=[DataRequired("Choose the intent of the plan.")],
    )
    rationale = TextAreaField("Rationale", validators=[Length(max=10000)])
    steps = FieldList(FormField(StepRow), min_entries=PLAN_STEPS, max_entries=PLAN_STEPS)
    dissents = FieldList(
        FormField(DissentRow), min_entries=PLAN_DISSENTS, max_entries=PLAN_DISSENTS
    )
    actions = FieldList(FormField(ActionRow), min_entries=PLAN_ACTIONS, max_entries=PLAN_ACTIONS)

    def __init__(
        self,
        *args,
        options: list[tuple[str, str]],
        members: list[tuple[int, str]],
        today: date,
        existing_due_dates: dict[int, date | None] | None = None,
        **kwargs,
    ):
        """`options`: (code, name); `members`: (id, label) of active members; `today` in the
        board's time zone; `existing_due_dates`: the saved plan's actions, which may keep a
        due date that has passed."""
        super().__init__(*args, **kwargs)
        self._option_names = dict(options)
        self._member_labels = {str(member_id): text for member_id, text in members}
        self._today = today
        self._existing_due = existing_due_dates or {}
        option_choices = {"": "— none —", **self._option_names}
        member_choices = {"": "— none —", **self._member_labels}
        specialty_choices = {"": "— none —", **SPECIALTIES}
        for number, row in enumerate(self.steps, start=1):
            row.form.option.choices = option_choices
            row.form.option.label.text = f"Step {number}"
        for number, row in enumerate(self.dissents, start=1):
            row.form.member.choices = member_choices
            row.form.member.label.text = f"Dissenting member {number}"
        for number, row in enumerate(self.actions, start=1):
            row.form.owner_member.choices = member_choices
            row.form.owner_specialty.choices = specialty_choices
            row.form.description.label.text = f"Action {number}: what"

    def validate_intent(self, field):
        if field.data and field.data not in PLAN_INTENTS:
            raise ValidationError("Choose curative, palliative or supportive.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid = self._check_steps() and valid
        valid = self._check_dissents() and valid
        valid = self._check_actions() and valid
        return valid

    def _check_steps(self) -> bool:
        valid = True
        for row in self.steps:
            option, details = row.form.option, row.form.details
            if option.data and option.data not in self._option_names:
                option.errors.append(f"{option.data!r} is not an option in the catalogue.")
                valid = False
            elif not option.data and (details.data or "").strip():
                option.errors.append("Choose the option these details belong to.")
                valid = False
        if not any(row.form.option.data for row in self.steps):
            self.steps[0].form.option.errors.append(
                "Add at least one step: choose an option from the catalogue."
            )
            valid = False
        return valid

    def _check_dissents(self) -> bool:
        valid = True
        seen = set()
        for row in self.dissents:
            member, reason = row.form.member, row.form.reason
            has_reason = bool((reason.data or "").strip())
            if member.data and member.data not in self._member_labels:
                member.errors.append("Choose a member from the list.")
                valid = False
            elif member.data and member.data in seen:
                member.errors.append("This member is already listed as dissenting.")
                valid = False
            elif member.data and not has_reason:
                reason.errors.append("Say why this member dissents.")
                valid = False
            elif has_reason and not member.data:
                member.errors.append("Choose the member who dissents.")
                valid = False
            seen.add(member.data)
        return valid

    def _check_actions(self) -> bool:
        valid = True
        for row in self.actions:
            action = row.form
            if action.is_empty():
                continue
            if not (action.description.data or "").strip():
                action.description.errors.append("Say what is to be done.")
                valid = False
            if action.owner_member.data and action.owner_specialty.data:
                action.owner_member.errors.append(
                    "Choose a member or a specialty as the owner, not both."
                )
                valid = False
            elif not (action.owner_member.data or action.owner_specialty.data):
                action.owner_member.errors.append(
                    "Choose who owns this action: a member or a specialty."
                )
                valid = False
            elif action.owner_member.data and action.owner_member.data not in self._member_labels:
                action.owner_member.errors.append("Choose a member from the list.")
                valid = False
            elif action.owner_specialty.data and action.owner_specialty.data not in SPECIALTIES:
                action.owner_specialty.errors.append("Choose a specialty from the list.")
                valid = False
            due = action.due_date.data
            if action.due_date.errors:
                valid = False
            elif due is None:
                action.due_date.errors.append("Give a due date.")
                valid = False
            elif due < self._today and not self._keeps_saved_due_date(action, due):
                action.due_date.errors.append("The due date cannot be before today.")
                valid = False
        return valid

    def _keeps_saved_due_date(self, action: ActionRow, due: date) -> bool:
        # An action agreed earlier may now be overdue; saving the plan again must not refuse it.
        action_id = _int_or_none(action.action_id.data)
        return action_id in self._existing_due and self._existing_due[action_id] == due

    @property
    def step_rows(self) -> list[tuple[str, str]]:
        return [
            (row.form.option.data, (row.form.details.data or "").strip())
            for row in self.steps
            if row.form.option.data
        ]

    @property
    def dissent_rows(self) -> list[tuple[int, str]]:
        return [
            (int(row.form.member.data), row.form.reason.data.strip())
            for row in self.dissents
            if row.form.member.data
        ]

    @property
    def action_rows(self) -> list[dict]:
        return [
            {
                "id": _int_or_none(row.form.action_id.data),
                "description": row.form.description.data.strip(),
                "owner_member_id": _int_or_none(row.form.owner_member.data),
                "owner_specialty": row.form.owner_specialty.data or None,
                "due_date": row.form.due_date.data,
            }
            for row in self.actions
            if not row.form.is_empty()
        ]

    @property
    def base_lock_version(self) -> int | None:
        return _int_or_none(self.lock_version.data)


def plan_form_data(plan) -> dict:
    """The saved plan as form data, to pre-fill the form."""
    if plan is None:
        return {"lock_version": ""}
    return {
        "lock_version": plan.lock_version,
        "intent": plan.intent,
        "rationale": plan.rationale,
        "steps": [
            {"option": step.option_version.code, "details": step.details} for step in plan.steps
        ],
        "dissents": [
            {"member": str(dissent.member_id), "reason": dissent.reason}
            for dissent in plan.dissents
        ],
        "actions": [
            {
                "action_id": action.id,
                "description": action.description,
                "owner_member": str(action.owner_member_id) if action.owner_member_id else "",
                "owner_specialty": action.owner_specialty or "",
                "due_date": action.due_date,
            }
            for action in plan.actions
        ],
    }


def opinion_form_data(opinion) -> dict:
    """The member's current opinion as form data, to pre-fill the form."""
    if opinion is None:
        return {}
    data = {
        f"option_{choice.position}": choice.option_version.code
        for choice in opinion.choices
        if choice.position <= OPINION_CHOICES
    }
    data["reasoning"] = opinion.reasoning
    data["agrees_with_consensus"] = opinion.agrees_with_consensus
    return data


class SignPlanForm(FlaskForm):
    """Signing a draft; a plan that departs from the documented indications needs a reason."""

    lock_version = HiddenField(validators=[DataRequired("The form lost its plan version.")])
    departure_reason = TextAreaField(
        "Reason for departing from the documented indications",
        validators=[Length(max=5000)],
    )

    quorum_override_reason = TextAreaField(
        "Reason for signing although the meeting is not quorate",
        validators=[Length(max=5000)],
    )

    # Whether a reason is required depends on the plan's departures, checked when signing.
    REASON_NEEDED = "Give the reason for departing from the documented indications before signing."
    QUORUM_REASON_NEEDED = (
        "The meeting is not quorate: give the reason for signing the plan all the same."
    )


class AmendPlanForm(FlaskForm):
    reason = TextAreaField(
        "Reason for the amendment",
        validators=[DataRequired("Say why the plan is amended."), Length(max=5000)],
    )


def _int_or_none(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
