"""What the board decides: members' opinions, the agreed plan, its dissent and actions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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
from app.catalogue.models import TreatmentOptionVersion
from app.clinical.vocabulary import PLAN_INTENTS, SPECIALTIES, label
from app.extensions import db
from app.meetings.models import AgendaItem
from app.timestamps import UTCDateTime, utcnow


class Opinion(db.Model):
    """One version of one member's opinion on an agenda item; edits add a version."""

    __tablename__ = "opinion"
    __table_args__ = (
        UniqueConstraint("agenda_item_id", "author_id", "version"),
        Index(
            "uq_opinion_current_author",
            "agenda_item_id",
            "author_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    specialty: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    reasoning: Mapped[str] = mapped_column(Text, default="")
    agrees_with_consensus: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
    item: Mapped[AgendaItem] = relationship()
    choices: Mapped[list[OpinionChoice]] = relationship(
        order_by="OpinionChoice.position", cascade="all, delete-orphan"
    )

    @property
    def specialty_label(self) -> str:
        return label(SPECIALTIES, self.specialty)


class OpinionChoice(db.Model):
    """A catalogue option a member recommends, in their order of preference."""

    __tablename__ = "opinion_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinion.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    option_version_id: Mapped[int] = mapped_column(ForeignKey("treatment_option_version.id"))

    option_version: Mapped[TreatmentOptionVersion] = relationship()


PLAN_STATUSES = {"draft": "Draft", "signed": "Signed", "superseded": "Superseded by an amendment"}


class Plan(db.Model):
    """The agreed plan for an agenda item.

    `version` counts amendments (a signed plan is never changed; amending makes version + 1).
    `lock_version` is the optimistic lock: every save states the lock version it started from,
    and the UPDATE only matches that row version, so a concurrent save cannot overwrite.
    """

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("agenda_item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    lock_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    intent: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text, default="")
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    # Concordance with the catalogue's documented indications and the NOMS suggestion, as
    # checked when the plan was last saved: a list of departures (empty = concordant).
    departures: Mapped[list | None] = mapped_column(JSON)
    # Required to sign a plan with departures; kept with the plan.
    departure_reason: Mapped[str | None] = mapped_column(Text)
    # Required to sign while the meeting is not quorate; kept with the plan.
    quorum_override_reason: Mapped[str | None] = mapped_column(Text)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": lock_version}

    item: Mapped[AgendaItem] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    steps: Mapped[list[PlanStep]] = relationship(
        order_by="PlanStep.position", cascade="all, delete-orphan"
    )
    dissents: Mapped[list[PlanDissent]] = relationship(
        order_by="PlanDissent.id", cascade="all, delete-orphan"
    )
    actions: Mapped[list[Action]] = relationship(
        order_by="Action.id", cascade="all, delete-orphan", back_populates="plan"
    )

    @property
    def is_signed(self) -> bool:
        return self.status != "draft"

    @property
    def intent_label(self) -> str:
        return label(PLAN_INTENTS, self.intent)

    @property
    def status_label(self) -> str:
        return label(PLAN_STATUSES, self.status)


class PlanStep(db.Model):
    """One step of the plan: a catalogue option as it read when agreed, with free details."""

    __tablename__ = "plan_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    option_version_id: Mapped[int] = mapped_column(ForeignKey("treatment_option_version.id"))
    details: Mapped[str] = mapped_column(String(500), default="")

    option_version: Mapped[TreatmentOptionVersion] = relationship()


class PlanDissent(db.Model):
    """A member who does not agree with the plan, and why."""

    __tablename__ = "plan_dissent"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)

    member: Mapped[User] = relationship()


class Action(db.Model):
    """A follow-up task from a plan, owned by a member or by a specialty."""

    __tablename__ = "plan_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    description: Mapped[str] = mapped_column(String(500))
    owner_member_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    owner_specialty: Mapped[str | None] = mapped_column(String(32))
    due_date: Mapped[date | None] = mapped_column(Date)
    is_done: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who marked it done, and when (cleared when it is reopened; the audit trail keeps both).
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    plan: Mapped[Plan] = relationship(back_populates="actions")
    owner_member: Mapped[User | None] = relationship(foreign_keys=[owner_member_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    def is_overdue(self, today: date) -> bool:
        return not self.is_done and self.due_date is not None and self.due_date < today

    @property
    def owner_label(self) -> str:
        if self.owner_member is not None:
            return self.owner_member.full_name
        return label(SPECIALTIES, self.owner_specialty) if self.owner_specialty else "—"
