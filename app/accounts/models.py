"""Team members: who may log in, with which clinical specialty and permissions."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from app.clinical.vocabulary import SPECIALTIES, label
from app.extensions import db
from app.timestamps import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    """One team member. The chair is per meeting, not a permission."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    specialty: Mapped[str | None] = mapped_column(String(32))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    # Overrides UserMixin.is_active: Flask-Login refuses to log in an inactive member.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Login throttling (app/accounts/throttle.py): failures since the last success, and the
    # time before which even the right password is refused.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by an admin's password reset: the member chooses their own at the next login.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )

    @property
    def specialty_label(self) -> str:
        return label(SPECIALTIES, self.specialty) if self.specialty else "No specialty"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class MemberSession(db.Model):
    """A logged-in session, kept on the server so that logging out or deactivating a member
    ends it at once, whatever copy of its cookie exists. The cookie holds a random token;
    the database only its SHA-256."""

    __tablename__ = "member_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The absolute end, however active the member is.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "logout", "deactivated", "password_changed"
    ended_reason: Mapped[str | None] = mapped_column(String(32))
