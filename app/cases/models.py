"""Cases referred to the board and each role's presentation of them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.clinical.vocabulary import LEVELS, SPECIALTIES, label
from app.extensions import db
from app.patients.models import Patient
from app.timestamps import UTCDateTime, utcnow

CASE_STATUSES = {
    "draft": "Draft",
    "ready": "Ready for the board",
    "on_agenda": "On an agenda",
    "discussed": "Discussed",
    "closed": "Closed",
}


class Case(db.Model):
    """A patient's referral to the board with the question it must answer."""

    __tablename__ = "board_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    primary_site: Mapped[str] = mapped_column(String(32))
    histology: Mapped[str] = mapped_column(String(300), default="")
    # Vertebral level codes, kept in cranio-caudal order.
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    suspected_mscc: Mapped[bool] = mapped_column(Boolean, default=False)
    referring_clinician: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic lock: an edit based on an older version is refused, never silently applied.
    lock_version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": lock_version}

    # Urgency pathway (REFERENCE §9.5 item 4, R17–R19): when each step happened.
    # Neurological symptoms or signs set the 24-hour MRI target; without them it is 1 week (R18).
    has_neurological_signs: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    symptom_onset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mri_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mri_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dexamethasone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    board_decision_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    treatment_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return label(CASE_STATUSES, self.status)

    @property
    def levels_text(self) -> str:
        return ", ".join(self.levels or [])

    def __repr__(self) -> str:
        return f"<Case {self.id}>"


def sort_levels(levels: list[str]) -> list[str]:
    """Return distinct level codes in cranio-caudal order."""
    order = {code: index for index, code in enumerate(LEVELS)}
    return sorted(set(levels), key=order.__getitem__)


class Presentation(db.Model):
    """One role's contribution to a case. Rows are never edited: a new entry supersedes."""

    __tablename__ = "presentation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("board_case.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    specialty: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[str] = mapped_column(Text, default="")

    # Performance status and systemic disease (medical oncology). KPS and ECOG are kept
    # apart on purpose: one is never overwritten with the other (REFERENCE §6.3, §11).
    kps: Mapped[int | None] = mapped_column(Integer)
    ecog: Mapped[int | None] = mapped_column(Integer)
    extraspinal_bone_mets: Mapped[int | None] = mapped_column(Integer)
    vertebral_mets: Mapped[int | None] = mapped_column(Integer)
    # Tokuhashi's "removable" and Tomita's "treatable" are different questions (§5.1, §11).
    tokuhashi_visceral: Mapped[str | None] = mapped_column(String(16))
    tomita_visceral: Mapped[str | None] = mapped_column(String(16))
    albumin_g_dl: Mapped[float | None] = mapped_column(Float)
    # Neurology (spine surgery).
    frankel: Mapped[str | None] = mapped_column(String(1))
    asia: Mapped[str | None] = mapped_column(String(1))
    previous_spine_surgery: Mapped[str | None] = mapped_column(String(300))
    # Prior radiotherapy (radiation oncology).
    prior_rt_dose_gy: Mapped[float | None] = mapped_column(Float)
    prior_rt_fractions: Mapped[int | None] = mapped_column(Integer)
    prior_rt_date: Mapped[date | None] = mapped_column(Date)
    prior_rt_levels: Mapped[list[str] | None] = mapped_column(JSON)
    # Function (physiotherapy).
    mobility: Mapped[str | None] = mapped_column(String(16))

    author: Mapped[User] = relationship()
    lesions: Mapped[list[Lesion]] = relationship(
        back_populates="presentation", order_by="Lesion.position", cascade="all, delete-orphan"
    )

    @property
    def specialty_label(self) -> str:
        return label(SPECIALTIES, self.specialty)


class Lesion(db.Model):
    """Imaging findings for one lesion: the SINS items and the ESCC grade (REFERENCE §11)."""

    __tablename__ = "lesion"

    id: Mapped[int] = mapped_column(primary_key=True)
    presentation_id: Mapped[int] = mapped_column(ForeignKey("presentation.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(8))
    # Chosen by hand only where the level does not fix it (coccyx, a lesion across classes).
    location: Mapped[str | None] = mapped_column(String(16))
    pain: Mapped[str | None] = mapped_column(String(16))
    lesion_quality: Mapped[str | None] = mapped_column(String(16))
    alignment: Mapped[str | None] = mapped_column(String(16))
    collapse: Mapped[str | None] = mapped_column(String(24))
    collapse_percent: Mapped[int | None] = mapped_column(Integer)
    posterolateral: Mapped[str | None] = mapped_column(String(16))
    escc_grade: Mapped[str | None] = mapped_column(String(2))
    cauda_equina: Mapped[bool] = mapped_column(Boolean, default=False)
    is_index: Mapped[bool] = mapped_column(Boolean, default=False)

    presentation: Mapped[Presentation] = relationship(back_populates="lesions")
