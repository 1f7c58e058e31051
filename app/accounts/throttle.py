"""Login throttling, counted in the database so that every worker and server sees the same
numbers.

Per account: after MAX_FAILURES consecutive failures the account is locked, for a minute and
then twice as long after each further failure (up to a day); the right password does not get
in while it is locked, and a success resets the count. Per address: more than ADDRESS_LIMIT
failures from one address in ADDRESS_WINDOW refuse further attempts from it (counted from
the audit trail's login_failed events). OWASP ASVS 2.2.1.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.extensions import db
from app.timestamps import utcnow

MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(days=1)
ADDRESS_LIMIT = 30
ADDRESS_WINDOW = timedelta(minutes=15)


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and (now or utcnow()) < user.locked_until


def address_blocked(address: str | None) -> bool:
    if not address:
        return False
    since = utcnow() - ADDRESS_WINDOW
    failures = db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "login_failed",
            AuditEvent.remote_addr == address,
            AuditEvent.created_at >= since,
        )
    )
    return (failures or 0) >= ADDRESS_LIMIT


def record_failure(user: User) -> None:
    """Count one more failure, in one statement (exact when several arrive at once), and lock
    the account when there have been too many (the caller commits)."""
    failures = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures >= MAX_FAILURES:
        lock = min(FIRST_LOCK * 2 ** (failures - MAX_FAILURES), LONGEST_LOCK)
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(locked_until=utcnow() + lock)
            .execution_options(synchronize_session=False)
        )


def record_success(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
