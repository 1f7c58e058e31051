"""The one form of the actions page: mark an action done, or open again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import AnyOf, NumberRange, Optional

STATES = ["0", "1"]


class ActionStateForm(FlaskForm):
    """`done` is the state asked for; `was_done` the state the page showed (a stale page's
    request is refused rather than undoing a colleague's change)."""

    done = HiddenField(validators=[AnyOf(STATES)])
    was_done = HiddenField(validators=[AnyOf(STATES)])
    view = HiddenField()
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])
