"""Who may do what: small predicates, and a decorator that turns a refusal into 403.

Views follow load, check, act: load the object (404), check a predicate here (403), then act.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_admin)


def is_coordinator(user) -> bool:
    return bool(user.is_authenticated and user.is_coordinator)


def has_specialty(user) -> bool:
    return bool(user.is_authenticated and user.specialty)


def may_present_as(user, specialty: str) -> bool:
    """A member logs a presentation only under their own specialty."""
    return bool(user.is_authenticated and user.specialty and user.specialty == specialty)


def may_record_plan(user, meeting) -> bool:
    """The meeting's chair or a coordinator records and signs the agreed plan."""
    return bool(user.is_authenticated and (user.is_coordinator or meeting.chair_id == user.id))


def may_manage_agenda(user, meeting) -> bool:
    """A coordinator or the meeting's chair adds, orders and removes the agenda's cases."""
    return bool(user.is_authenticated and (user.is_coordinator or meeting.chair_id == user.id))


def may_give_opinion(user) -> bool:
    """A clinical opinion comes from a member with a clinical specialty."""
    return has_specialty(user)


def may_record_choice(user) -> bool:
    """A member with a clinical specialty or a coordinator records a choice left to the board."""
    return bool(user.is_authenticated and (user.specialty or user.is_coordinator))


def require(predicate):
    """Decorate a view: log in first, then 403 unless `predicate(current_user)` holds."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not predicate(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def check(allowed: bool) -> None:
    """Refuse the request with 403 unless `allowed`."""
    if not allowed:
        abort(403)
