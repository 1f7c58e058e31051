"""Member accounts: authentication and creation, shared by the views and the CLI."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.extensions import db
from app.timestamps import utcnow


def find_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User | None:
    """Return the active member with these credentials, or None, in the same time either way."""
    user = find_by_username(username.strip())
    valid = verify_password(user.password_hash if user else None, password)
    if not (user and valid and user.is_active):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


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
    """Add a member to the session (the caller commits)."""
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        email=email or None,
        specialty=specialty or None,
        is_admin=is_admin,
        is_coordinator=is_coordinator,
        is_active=True,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    return user
