"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_url, login_user, logout_user

from app.accounts import services, sessions
from app.accounts.forms import ChangePasswordForm, LoginForm
from app.accounts.models import User
from app.accounts.passwords import password_problem, verify_password
from app.accounts.services import authenticate
from app.audit.services import record
from app.extensions import db, login_manager

bp = Blueprint("accounts", __name__, template_folder="templates")

LOGIN_REFUSED = (
    "Username or password not recognised. After several failed attempts logging in is paused "
    "for a while: wait a few minutes, then try again."
)
# What a member who must first choose a password may still reach.
PASSWORD_FIRST_ALLOWED = {
    "accounts.change_password",
    "accounts.logout",
    "accounts.keepalive",
    "static",
}

login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see this page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The member of this session; None (logged out) once the session has ended, idled out or
    expired, or the member was deactivated (app.accounts.sessions)."""
    if not user_id.isdigit():
        return None
    return sessions.member_of_request(int(user_id))


@login_manager.unauthorized_handler
def unauthorized():
    """Pages send the visitor to the login page; a live page's background requests (parts,
    the event stream, the keep-alive) get 401, so the page can say the session has ended."""
    background = (
        request.headers.get("HX-Request") == "true"
        or "text/event-stream" in request.headers.get("Accept", "")
        or request.endpoint == "accounts.keepalive"
    )
    if background:
        return "Your session has ended. Log in again.", 401
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))


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
        user = authenticate(form.username.data, form.password.data, request.remote_addr)
        if user is None:
            record("login_failed", "user", None)
            db.session.commit()
            # The same words whether the account exists, is inactive or locked, the address
            # failed too often, or the password is wrong.
            form.password.errors.append(LOGIN_REFUSED)
        else:
            # A new session at login: nothing from before authentication carries over.
            session.clear()
            login_user(user)
            sessions.start(user)
            record("login", "user", user.id, user_id=user.id)
            db.session.commit()
            if user.must_change_password:
                flash("Your password was set by an administrator: choose your own now.", "info")
                return redirect(url_for("accounts.change_password"))
            return redirect(safe_next(form.next.data) or url_for("index"))
    return render_template("accounts/login.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    member = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(member.password_hash, form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        elif problem := password_problem(
            form.new_password.data, form.confirmation.data, username=member.username
        ):
            form.new_password.errors.append(problem)
        else:
            services.change_password(member, form.new_password.data)
            sessions.start(member)  # this session goes on; every other one has ended
            db.session.commit()
            flash("Your password is changed. Your other sessions have ended.", "success")
            return redirect(url_for("index"))
    return render_template(
        "accounts/change_password.html", form=form, forced=member.must_change_password
    )


@bp.before_app_request
def _own_password_first():
    """A member whose password an admin set sees nothing until they choose their own."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in PASSWORD_FIRST_ALLOWED
    ):
        return redirect(url_for("accounts.change_password"))
    return None


@bp.route("/session/keepalive")
@login_required
def keepalive():
    """Touched by an open live meeting page: the member is there, the session stays."""
    return "", 204


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record("logout", "user", current_user.id)
    sessions.end_current("logout")
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))
