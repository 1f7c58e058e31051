"""Forms for logging in."""

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
