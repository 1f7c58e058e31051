"""The treatment-option catalogue as stored: one row per option, one per version of its text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timestamps import UTCDateTime, utcnow


class TreatmentOption(db.Model):
    """A catalogue option by its stable contract code."""

    __tablename__ = "treatment_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    modality: Mapped[str] = mapped_column(String(16))
    current_version: Mapped[int] = mapped_column(Integer, default=1)

    versions: Mapped[list[TreatmentOptionVersion]] = relationship(
        back_populates="option", order_by="TreatmentOptionVersion.version"
    )


class TreatmentOptionVersion(db.Model):
    """The text of an option as it stood; plans and opinions point here, never at the option."""

    __tablename__ = "treatment_option_version"
    __table_args__ = (UniqueConstraint("option_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("treatment_option.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    option: Mapped[TreatmentOption] = relationship(back_populates="versions")

    @property
    def code(self) -> str:
        return self.content["code"]

    @property
    def name(self) -> str:
        return self.content["name"]
