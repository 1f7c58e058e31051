"""Member accounts: authentication, creation and listing, shared by the views and the CLI."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.accounts import throttle
from app.accounts.models import User
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.audit.services import record
from app.extensions import db
from app.timestamps import utcnow

USERNAME_MAX_LENGTH = 64
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def find_by_username(username: str) -> User | None:
    """The member with this username, ignoring case (usernames are unique without case)."""
    return db.session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )


def username_problem(username: str) -> str | None:
    """Say what is wrong with the form of a username, or None when it is acceptable."""
    username = username.strip()
    if not username:
        return "Enter a username."
    if len(username) > USERNAME_MAX_LENGTH:
        return f"A username has at most {USERNAME_MAX_LENGTH} characters."
    if not _USERNAME.match(username):
        return (
            "Use letters, digits, dots, hyphens or underscores only, "
            "starting with a letter or digit."
        )
    return None


def username_taken(username: str, *, except_member: User | None = None) -> bool:
    """True when another member already has this username (ignoring case)."""
    other = find_by_username(username)
    return other is not None and (except_member is None or other.id != except_member.id)


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """Return the active member with these credentials, or None, in the same time either way.

    A locked account (too many failures) or an address that failed too often gets None even
    with the right password; the caller says the same words in every case. Failures are
    counted here; the caller commits.
    """
    blocked = throttle.address_blocked(address)
    user = find_by_username(username)
    # Always verified, so that the time taken says nothing about which case this is.
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or blocked:
        return None
    if throttle.is_locked(user) or not (valid and user.is_active):
        if not valid:
            throttle.record_failure(user)
        return None
    throttle.record_success(user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def change_password(user: User, new_password: str) -> None:
    """The member's own new password (checked by the caller); their other sessions end."""
    from app.accounts import sessions

    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    sessions.end_all(user, "password_changed")
    record("changed", "user", user.id, fields=["password"])


def create_member(
    *,
    username: str,
    full_name: str,
    password: str,
    specialty: str | None = None,
    is_admin: bool = False,
    is_coordinator: bool = False,
    email: str | None = None,
) -> User:
    """Add a member to the session (the caller records the event and commits)."""
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        email=(email or "").strip() or None,
        specialty=specialty or None,
        is_admin=is_admin,
        is_coordinator=is_coordinator,
        is_active=True,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    return user


def register_member(*, source: str | None = None, **fields) -> User:
    """Create a member, record who added them (field names only) and commit.

    `fields` are those of create_member; `source` says where the member was added from
    when that is not a logged-in administrator (for example the command line).
    """
    member = create_member(**fields)
    db.session.flush()
    given = ["username", "full_name", "password"] + [
        name
        for name in ("email", "specialty", "is_admin", "is_coordinator")
        if getattr(member, name)
    ]
    detail = {"fields": given}
    if source:
        detail["source"] = source
    record("created", "user", member.id, **detail)
    db.session.commit()
    return member


def list_members() -> list[User]:
    """Every member, active ones first, then by username."""
    return list(
        db.session.scalars(select(User).order_by(User.is_active.desc(), func.lower(User.username)))
    )


def active_members() -> list[User]:
    """Members who may take part now (chair a meeting, dissent, own an action), by name."""
    return list(
        db.session.scalars(select(User).where(User.is_active).order_by(User.full_name, User.id))
    )
