"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts.forms import LoginForm
from app.accounts.models import User
from app.accounts.services import authenticate
from app.audit.services import record
from app.extensions import db, login_manager

bp = Blueprint("accounts", __name__, template_folder="templates")

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see this page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The member of this session; None (logged out) once they are deactivated."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def safe_next(target: str | None) -> str | None:
    """Return `target` if it stays on this site (a path, no scheme, no host), else None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as "/" and drop tabs and newlines inside a URL, so paths such
    # as "/\evil.example" would leave the site: refuse backslashes, spaces and control characters.
    if any(char == "\\" or char.isspace() or ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is None:
            record("login_failed", "user", None)
            db.session.commit()
            # The same words whether the account exists, is inactive or the password is wrong.
            form.password.errors.append("Username or password not recognised.")
        else:
            # A new session at login: nothing from before authentication carries over.
            session.clear()
            login_user(user)
            record("login", "user", user.id, user_id=user.id)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("index"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record("logout", "user", current_user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))
