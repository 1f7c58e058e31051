"""Board meetings and their agendas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
# The specialties a meeting needs present to be quorate, unless the board configures others.
DEFAULT_REQUIRED_SPECIALTIES = (
    "medical_oncology",
    "radiation_oncology",
    "interventional_radiology",
    "spine_surgery",
)


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
    # Specialty codes that must all be present for the meeting to be quorate (set when the
    # meeting is scheduled, from the board's configuration).
    required_specialties: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REQUIRED_SPECIALTIES)
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The item the chair has brought up. The foreign key closes a cycle with agenda_item, so it
    # is created after both tables; deleting the item clears it.
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", use_alter=True, ondelete="SET NULL")
    )
    # Counts every change of the meeting's live state (agenda, attendance, current item): a page
    # that has seen version n knows it is up to date while the meeting is still at n.
    live_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Optimistic lock: an edit based on an older version is refused, never silently applied.
    lock_version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": lock_version}

    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting",
        order_by="AgendaItem.position",
        foreign_keys="AgendaItem.meeting_id",
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", order_by="Attendance.id"
    )

    @property
    def status_label(self) -> str:
        return MEETING_STATUSES.get(self.status, self.status)

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def is_open(self) -> bool:
        return self.status == "open"


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
    # Where a deferred or not-reached case went next, and the chair's note on deferring it.
    deferred_to_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id"))
    defer_note: Mapped[str | None] = mapped_column(Text)

    meeting: Mapped[Meeting] = relationship(back_populates="items", foreign_keys=[meeting_id])
    deferred_to: Mapped[Meeting | None] = relationship(foreign_keys=[deferred_to_meeting_id])
    case: Mapped[Case] = relationship()

    @property
    def status_label(self) -> str:
        return ITEM_STATUSES.get(self.status, self.status)


class Attendance(db.Model):
    """Who is at a meeting: a member (one row each) or a named guest, with the specialty they
    bring to the quorum."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    guest_name: Mapped[str | None] = mapped_column(String(200))
    specialty: Mapped[str | None] = mapped_column(String(32))
    is_present: Mapped[bool] = mapped_column(Boolean, default=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    member: Mapped[User | None] = relationship(foreign_keys=[member_id])

    @property
    def name(self) -> str:
        return self.member.full_name if self.member is not None else (self.guest_name or "")

    @property
    def is_guest(self) -> bool:
        return self.member_id is None
