"""The audit trail: who viewed or changed which patient data, and when. Append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

AUDIT_ACTIONS = {
    "viewed": "Viewed",
    "created": "Created",
    "changed": "Changed",
    "signed": "Signed",
    "exported": "Exported",
    "login": "Logged in",
    "logout": "Logged out",
    "login_failed": "Login refused",
}


class AuditEvent(db.Model):
    """One event. `detail` holds field names and codes only, never clinical free text."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(16), index=True)
    entity_type: Mapped[str] = mapped_column(String(32), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    # The hash chain (app/audit/chain.py): the event's place in the chain, the hash of the event
    # before it and its own; set when its transaction commits. Empty on events recorded before
    # the chain existed.
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()
    # Every patient whose data the event touched, `patient_id` included: a list page shows many.
    patients: Mapped[list[AuditEventPatient]] = relationship(cascade="all, delete-orphan")


class AuditEventPatient(db.Model):
    """A patient named by an audit event, so the trail can be searched by patient."""

    __tablename__ = "audit_event_patient"

    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("audit_event.id"),
        primary_key=True,
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True, index=True)


class AuditHead(db.Model):
    """The chain's head: one row, the last event's place and hash. Updating it is also the lock
    that lets one transaction at a time extend the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditMaintenance(db.Model):
    """Normally empty. While it holds a row, the append-only triggers let rows of the audit
    trail be deleted: for a retention purge by an administrator at the database, and for the
    test suite's clean slate. The application never writes it."""

    __tablename__ = "audit_maintenance"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
