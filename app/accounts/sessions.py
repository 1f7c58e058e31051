"""Server-side sessions: started at login, checked on every request, ended at logout.

The signed session cookie carries a random token and the time of the member's last request.
A request is accepted only if the token names a session that has not ended, is before its
absolute end (SESSION_ABSOLUTE_HOURS, default 12), and follows the previous request within
the idle timeout (SESSION_IDLE_MINUTES, default 30). Ending the session in the database
(logout, deactivation) refuses every copy of the cookie at once. Requests write nothing: the
idle clock travels in the signed cookie, the rest is read.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from sqlalchemy import select, update

from app.accounts.models import MemberSession, User
from app.extensions import db
from app.timestamps import utcnow

TOKEN_KEY = "sid"  # noqa: S105 (the cookie key that holds the token, not a secret)
SEEN_KEY = "seen"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> None:
    """A new session for `user`, in a cleared cookie (the caller commits)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = float(current_app.config.get("SESSION_ABSOLUTE_HOURS", 12))
    db.session.add(
        MemberSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session[TOKEN_KEY] = token
    session[SEEN_KEY] = now.timestamp()


def member_of_request(user_id: int) -> User | None:
    """The member this request's session belongs to, or None if it may not continue."""
    token = session.get(TOKEN_KEY)
    seen = session.get(SEEN_KEY)
    if not isinstance(token, str) or not isinstance(seen, int | float):
        return None
    now = utcnow()
    idle = timedelta(minutes=float(current_app.config.get("SESSION_IDLE_MINUTES", 30)))
    if now - datetime.fromtimestamp(seen, now.tzinfo) > idle:
        return None
    row = db.session.scalar(select(MemberSession).where(MemberSession.token_hash == _hash(token)))
    if row is None or row.user_id != user_id or row.ended_at is not None or now >= row.expires_at:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    session[SEEN_KEY] = now.timestamp()  # the idle clock starts again
    return user


def end_current(reason: str) -> None:
    """End this request's session (the caller commits)."""
    token = session.get(TOKEN_KEY)
    if isinstance(token, str):
        _end(MemberSession.token_hash == _hash(token), reason)


def end_all(user: User, reason: str) -> None:
    """End every open session of `user` (the caller commits)."""
    _end(MemberSession.user_id == user.id, reason)


def _end(condition, reason: str) -> None:
    db.session.execute(
        update(MemberSession)
        .where(condition, MemberSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
