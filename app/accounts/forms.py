"""Forms for logging in and for a member's own password."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        "Username", validators=[InputRequired("Enter your username."), Length(max=64)]
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    next = HiddenField()
    submit = SubmitField("Log in")


class ChangePasswordForm(FlaskForm):
    """A member's own new password; the current one proves it is them."""

    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Choose a new password.")],
        render_kw={"autocomplete": "new-password"},
    )
    confirmation = PasswordField(
        "Repeat the new password",
        validators=[InputRequired("Type the new password again.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change my password")
