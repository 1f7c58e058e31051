"""Team members: who may log in, with which clinical specialty and permissions."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, String
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

    @property
    def specialty_label(self) -> str:
        return label(SPECIALTIES, self.specialty) if self.specialty else "No specialty"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"
