"""Board meetings and their agendas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.cases.models import Case
from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

MEETING_STATUSES = {"scheduled": "Scheduled", "open": "Open", "closed": "Closed"}
ITEM_STATUSES = {
    "pending": "Waiting",
    "discussing": "Under discussion",
    "discussed": "Discussed",
    "deferred": "Deferred",
    "not_reached": "Not reached",
}


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    chair_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic lock: an edit based on an older version is refused, never silently applied.
    lock_version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": lock_version}

    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position"
    )

    @property
    def status_label(self) -> str:
        return MEETING_STATUSES.get(self.status, self.status)

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"


class AgendaItem(db.Model):
    """A case on a meeting's agenda.

    `is_active` marks the one agenda place that holds the case now; the partial unique index
    makes "at most one open agenda per case" hold even for two coordinators at once.
    """

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("meeting_id", "case_id"),
        Index(
            "uq_agenda_item_active_case",
            "case_id",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("board_case.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    planned_minutes: Mapped[int] = mapped_column(Integer, default=10)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()

    @property
    def status_label(self) -> str:
        return ITEM_STATUSES.get(self.status, self.status)
