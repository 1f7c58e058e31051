"""The form for one choice the reference leaves to the board."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.fields import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length, ValidationError

from app.clinical.assessment import ChoiceNeeded


def choice_prefix(choice: ChoiceNeeded) -> str:
    """A prefix that keeps each choice's fields apart on a page with several of them."""
    return f"{choice.kind}-{choice.subject}" if choice.subject else choice.kind


class ChoiceForm(FlaskForm):
    """One of the options the assessment offers, a reason, and the choice the member saw.

    A page shows several of these, each under its own prefix; the app-wide CSRF protection
    checks the page's one unprefixed token, so the form does not look for a prefixed one.
    """

    class Meta:
        csrf = False

    value = SelectField("The board's choice", validate_choice=False)
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=2000, message="A reason has at most 2000 characters.")],
    )
    # The id of the choice in force when the form was shown ("" when there was none): a choice
    # someone else recorded meanwhile is shown to the member rather than silently replaced.
    seen = HiddenField()

    def __init__(self, *args, choice: ChoiceNeeded, seen_id: int | None = None, **kwargs):
        kwargs.setdefault("prefix", choice_prefix(choice))
        super().__init__(*args, **kwargs)
        self.choice = choice
        self.value.choices = [("", "— choose —"), *choice.options.items()]
        if not self.is_submitted():
            self.value.data = choice.chosen or choice.suggested or ""
            self.seen.data = str(seen_id) if seen_id is not None else ""

    @property
    def seen_id(self) -> int | None:
        return int(self.seen.data) if (self.seen.data or "").isdigit() else None

    def validate_value(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose one of the options.")
        if field.data not in self.choice.options:
            raise ValidationError(f"{field.data!r} is not one of the options offered.")
