"""The period the figures cover."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional


class PeriodForm(FlaskForm):
    """Read from the query string (a GET form: bookmarkable, nothing to protect)."""

    class Meta:
        csrf = False

    first_day = DateField("From", validators=[Optional()])
    last_day = DateField("To", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        first, last = self.first_day.data, self.last_day.data
        if valid and first and last and first > last:
            self.last_day.errors.append("The end of the period comes before its start.")
            valid = False
        return valid
