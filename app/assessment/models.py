"""The board's clinical judgements on a case: open choices, fitness, radiosensitivity table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timestamps import UTCDateTime, utcnow

# What the board may have to choose, and why the tool asks (REFERENCE section in the comment).
CHOICE_KINDS = {
    # §2 / R7: grade 1c is neither low nor high; the board groups it for NOMS.
    "escc_1c_group": "ESCC 1c grouping for NOMS",
    # §5.2: Tomita's lists end with "etc."; an unlisted primary needs a growth class.
    "tomita_growth": "Tomita growth class",
    # §5.1 [I]: unlisted primaries are "others" (2) only by a literal reading.
    "tokuhashi_primary": "Tokuhashi primary-site category",
    # §6.3: ECOG 1 is KPS 70 or 80, which fall in different Tokuhashi bands.
    "kps_for_ecog": "KPS for Tokuhashi when only ECOG is known",
    # §1.3–1.4, R4: coccyx and lesions spanning two classes have no SINS location by level.
    "sins_location": "SINS location for a lesion",
    # §4, R8: per-case override of the radiosensitivity table.
    "radiosensitivity": "Radiosensitivity (per-case override)",
    # §3.1 M: whether instability is gross, or mechanical pain without gross instability.
    "mechanical": "Mechanical status for NOMS",
}


class BoardChoice(db.Model):
    """One recorded choice; a later choice of the same kind and subject supersedes it."""

    __tablename__ = "board_choice"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("board_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # What the choice is about within the case (a lesion's level for SINS location), else "".
    subject: Mapped[str] = mapped_column(String(16), default="")
    value: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    chosen_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chosen_by: Mapped[User] = relationship()


class FitnessAssessment(db.Model):
    """The board's judgement of what the patient can tolerate (NOMS "S"), entered on the item."""

    __tablename__ = "fitness_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    fit_for_open_surgery: Mapped[bool] = mapped_column(Boolean)
    fit_for_mis: Mapped[bool] = mapped_column(Boolean)
    fit_for_sbrt: Mapped[bool] = mapped_column(Boolean)
    fit_for_radiotherapy: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()


RADIOSENSITIVITY = {"sensitive": "Radiosensitive", "resistant": "Radioresistant"}


class RadiosensitivityEntry(db.Model):
    """One version of one row of the site's radiosensitivity table (REFERENCE §4, R8).

    Rows are never edited: a change adds version + 1 and marks the old one superseded, so the
    table as it stood when a case was assessed can always be read again.
    """

    __tablename__ = "radiosensitivity_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The primary-site code the row applies to; rows for histologies without a code are
    # shown for reference and applied through a per-case override.
    primary_site: Mapped[str | None] = mapped_column(String(32), index=True)
    histology: Mapped[str] = mapped_column(String(200))
    classification: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    tag: Mapped[str] = mapped_column(String(2))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # All versions of one row share the id of its first version.
    lineage_id: Mapped[int | None] = mapped_column(Integer, index=True)

    changed_by: Mapped[User | None] = relationship()
