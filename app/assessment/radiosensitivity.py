"""The site's radiosensitivity table (REFERENCE §4, R8), its versions, and per-case overrides."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.assessment.choices import store_choice
from app.assessment.models import RADIOSENSITIVITY, BoardChoice, RadiosensitivityEntry
from app.audit.services import record
from app.clinical.vocabulary import CONFIDENCE_TAGS, PRIMARY_SITES
from app.extensions import db
from app.timestamps import utcnow

OVERRIDE_KIND = "radiosensitivity"
NOT_IN_TABLE = "not in the table: the board must choose"
ENTRY_FIELDS = ("primary_site", "histology", "classification", "source", "tag")

_AO = "AO Foundation Surgery Reference (classification of tumour radiosensitivity)"
_PATCHELL = "Patchell 2005 excluded these radiosensitive tumours"
_INTERMEDIATE = (
    "intermediate; commonly treated as radiosensitive for cEBRT (REFERENCE §4 [R]); "
    "Maranzano-type series call breast and prostate favourable. Not confirmed in a source yet."
)
_USUAL_LIST = (
    "REFERENCE §4: usual lists of radioresistant tumours; the exact list is from recall. "
    "Sarcoma and melanoma as less sensitive confirmed only in general terms (Scripps)."
)


@dataclass(frozen=True)
class SeedRow:
    """One row of the table as REFERENCE §4 gives it."""

    primary_site: str | None
    histology: str
    classification: str
    source: str
    tag: str


# REFERENCE §4, tier by tier. Histologies without a primary-site code are kept for reference
# and applied through a per-case override.
SEED_ROWS: tuple[SeedRow, ...] = (
    # Radiosensitive [C2].
    SeedRow("lymphoma", "Lymphoma", "sensitive", f"REFERENCE §4: {_AO}; {_PATCHELL}", "C2"),
    SeedRow(
        "myeloma",
        "Multiple myeloma / plasmacytoma",
        "sensitive",
        f"REFERENCE §4: {_AO}; {_PATCHELL}",
        "C2",
    ),
    SeedRow(None, "Seminoma (germ-cell)", "sensitive", f"REFERENCE §4: {_AO}; {_PATCHELL}", "C2"),
    SeedRow(None, "Leukaemia", "sensitive", f"REFERENCE §4: {_PATCHELL}", "C2"),
    # Intermediate ("moderately sensitive") [R]: classified as sensitive, as §4 says is common.
    SeedRow("breast", "Breast carcinoma (intermediate)", "sensitive", _INTERMEDIATE, "R"),
    SeedRow("prostate", "Prostate carcinoma (intermediate)", "sensitive", _INTERMEDIATE, "R"),
    SeedRow(None, "Ovarian carcinoma (intermediate)", "sensitive", _INTERMEDIATE, "R"),
    SeedRow(None, "Neuroendocrine tumour (intermediate)", "sensitive", _INTERMEDIATE, "R"),
    SeedRow(None, "Small-cell lung cancer (intermediate)", "sensitive", _INTERMEDIATE, "R"),
    # Radioresistant [C2].
    SeedRow(
        "kidney",
        "Renal cell carcinoma",
        "resistant",
        f"REFERENCE §4: {_AO}; Bilsky et al. J Radiosurg SBRT 2011 (RCC, melanoma)",
        "C2",
    ),
    SeedRow(
        "melanoma",
        "Melanoma",
        "resistant",
        f"REFERENCE §4: {_AO}; Bilsky et al. J Radiosurg SBRT 2011 (RCC, melanoma)",
        "C2",
    ),
    SeedRow("thyroid", "Thyroid carcinoma", "resistant", f"REFERENCE §4: {_AO}", "C2"),
    SeedRow("colon", "Colorectal carcinoma (colon)", "resistant", f"REFERENCE §4: {_AO}", "C2"),
    SeedRow("rectum", "Colorectal carcinoma (rectum)", "resistant", f"REFERENCE §4: {_AO}", "C2"),
    # Radioresistant, usual lists [R].
    SeedRow("sarcoma", "Sarcoma", "resistant", _USUAL_LIST, "R"),
    SeedRow("liver", "Hepatocellular carcinoma", "resistant", _USUAL_LIST, "R"),
    SeedRow("lung", "Non-small-cell lung cancer (NSCLC)", "resistant", _USUAL_LIST, "R"),
    SeedRow("stomach", "Gastric adenocarcinoma (other GI)", "resistant", _USUAL_LIST, "R"),
    SeedRow("esophagus", "Oesophageal adenocarcinoma (other GI)", "resistant", _USUAL_LIST, "R"),
    SeedRow("pancreas", "Pancreatic adenocarcinoma (other GI)", "resistant", _USUAL_LIST, "R"),
    SeedRow("gallbladder", "Gallbladder adenocarcinoma (other GI)", "resistant", _USUAL_LIST, "R"),
)


class StaleEntry(Exception):
    """The row was changed by someone else since the editor loaded it; `current` is the row now."""

    def __init__(self, current: RadiosensitivityEntry):
        super().__init__(f"radiosensitivity row {current.lineage_id} changed since the edit began")
        self.current = current


class DuplicateSite(ValueError):
    """A current row for that primary site exists already: edit it rather than add a second."""

    def __init__(self, existing: RadiosensitivityEntry):
        super().__init__(f"primary_site: a current row for {existing.primary_site!r} exists")
        self.existing = existing


# Reading.


def current_entry_for_site(primary_site: str | None) -> RadiosensitivityEntry | None:
    """The current table row for a primary-site code, if the table has one."""
    if not primary_site:
        return None
    return db.session.scalar(
        select(RadiosensitivityEntry)
        .where(
            RadiosensitivityEntry.primary_site == primary_site,
            RadiosensitivityEntry.is_current.is_(True),
        )
        .order_by(RadiosensitivityEntry.id.desc())
        .limit(1)
    )


def latest_override(case) -> BoardChoice | None:
    """The board's latest per-case classification, if it made one (latest wins, R8)."""
    return db.session.scalar(
        select(BoardChoice)
        .where(BoardChoice.case_id == case.id, BoardChoice.kind == OVERRIDE_KIND)
        .options(joinedload(BoardChoice.chosen_by))
        .order_by(BoardChoice.chosen_at.desc(), BoardChoice.id.desc())
        .limit(1)
    )


def override_history(case) -> list[BoardChoice]:
    """Every per-case classification the board recorded, newest first."""
    return list(
        db.session.scalars(
            select(BoardChoice)
            .where(BoardChoice.case_id == case.id, BoardChoice.kind == OVERRIDE_KIND)
            .options(joinedload(BoardChoice.chosen_by))
            .order_by(BoardChoice.chosen_at.desc(), BoardChoice.id.desc())
        )
    )


def entry_text(entry: RadiosensitivityEntry) -> str:
    return f"table: {entry.histology} — {entry.source} [{entry.tag}]"


def override_text(choice: BoardChoice) -> str:
    return f"board override by {choice.chosen_by.full_name}: {choice.reason}"


def classify_from(
    override: BoardChoice | None, entry: RadiosensitivityEntry | None
) -> tuple[bool | None, str]:
    """Radiosensitivity from an override (which wins) or a table row; None if neither (R8)."""
    if override is not None:
        return override.value == "sensitive", override_text(override)
    if entry is not None:
        return entry.classification == "sensitive", entry_text(entry)
    return None, NOT_IN_TABLE


def classify(case) -> tuple[bool | None, str]:
    """Whether the case's tumour counts as radiosensitive for NOMS "O", and on what basis.

    The board's per-case override wins over the table row for the case's primary site; with
    neither, the answer is None and the board must choose (REFERENCE §4 [I], R8).
    """
    return classify_from(latest_override(case), current_entry_for_site(case.primary_site))


def current_entries() -> list[RadiosensitivityEntry]:
    """The table as it stands: current rows, sensitive first, then by histology."""
    rows = db.session.scalars(
        select(RadiosensitivityEntry)
        .where(RadiosensitivityEntry.is_current.is_(True))
        .options(joinedload(RadiosensitivityEntry.changed_by))
    )
    order = {code: index for index, code in enumerate(RADIOSENSITIVITY)}
    return sorted(rows, key=lambda row: (order.get(row.classification, 99), row.histology))


def entry_history(lineage_id: int) -> list[RadiosensitivityEntry]:
    """Every version of one row, newest first."""
    return list(
        db.session.scalars(
            select(RadiosensitivityEntry)
            .where(RadiosensitivityEntry.lineage_id == lineage_id)
            .options(joinedload(RadiosensitivityEntry.changed_by))
            .order_by(RadiosensitivityEntry.version.desc())
        )
    )


def current_version_of(lineage_id: int) -> RadiosensitivityEntry | None:
    return db.session.scalar(
        select(RadiosensitivityEntry).where(
            RadiosensitivityEntry.lineage_id == lineage_id,
            RadiosensitivityEntry.is_current.is_(True),
        )
    )


def tag_label(tag: str) -> str:
    return CONFIDENCE_TAGS.get(tag, tag)


# Changing.


def _clean(fields: dict) -> dict:
    cleaned = {name: fields.get(name) for name in ENTRY_FIELDS}
    cleaned["primary_site"] = cleaned["primary_site"] or None
    if cleaned["primary_site"] is not None and cleaned["primary_site"] not in PRIMARY_SITES:
        raise ValueError(f"primary_site: {cleaned['primary_site']!r} is not a primary-site code")
    for name in ("histology", "source"):
        cleaned[name] = (cleaned[name] or "").strip()
        if not cleaned[name]:
            raise ValueError(f"{name}: empty")
    if cleaned["classification"] not in RADIOSENSITIVITY:
        raise ValueError(
            f"classification: {cleaned['classification']!r} is not one of "
            f"{', '.join(RADIOSENSITIVITY)}"
        )
    if cleaned["tag"] not in CONFIDENCE_TAGS:
        raise ValueError(f"tag: {cleaned['tag']!r} is not one of {', '.join(CONFIDENCE_TAGS)}")
    return cleaned


def _refuse_duplicate_site(primary_site: str | None, lineage_id: int | None = None) -> None:
    existing = current_entry_for_site(primary_site)
    if existing is not None and existing.lineage_id != lineage_id:
        raise DuplicateSite(existing)


def add_entry(*, author, **fields) -> RadiosensitivityEntry:
    """Add a new row (version 1) to the table."""
    fields = _clean(fields)
    _refuse_duplicate_site(fields["primary_site"])
    entry = RadiosensitivityEntry(
        **fields, version=1, is_current=True, changed_by_id=author.id, changed_at=utcnow()
    )
    db.session.add(entry)
    db.session.flush()
    entry.lineage_id = entry.id
    record(
        "created",
        "radiosensitivity",
        entry.id,
        user_id=author.id,
        lineage_id=entry.lineage_id,
        primary_site=entry.primary_site,
        classification=entry.classification,
        tag=entry.tag,
    )
    db.session.commit()
    return entry


def edit_entry(
    *, entry: RadiosensitivityEntry, base_version: int, author, **fields
) -> RadiosensitivityEntry:
    """Save a change as version + 1; the old version is kept, no longer current.

    Raises StaleEntry when `entry` is no longer the current version, or was not at
    `base_version` when the editor loaded it. Returns `entry` itself when nothing changed.
    """
    fields = _clean(fields)
    current = current_version_of(entry.lineage_id)
    if current is None or current.version != base_version:
        raise StaleEntry(current or entry)
    changed = [name for name in ENTRY_FIELDS if getattr(current, name) != fields[name]]
    if not changed:
        return current
    _refuse_duplicate_site(fields["primary_site"], current.lineage_id)
    # A conditional UPDATE: of two saves from the same version, only the first finds the row
    # still current, so the second is refused rather than making two current versions.
    superseded = db.session.execute(
        RadiosensitivityEntry.__table__.update()
        .where(
            RadiosensitivityEntry.id == current.id,
            RadiosensitivityEntry.is_current.is_(True),
        )
        .values(is_current=False)
    )
    if superseded.rowcount != 1:
        db.session.rollback()
        raise StaleEntry(current_version_of(entry.lineage_id) or entry)
    new = RadiosensitivityEntry(
        **fields,
        version=current.version + 1,
        is_current=True,
        changed_by_id=author.id,
        changed_at=utcnow(),
        lineage_id=current.lineage_id,
    )
    db.session.add(new)
    db.session.flush()
    record(
        "changed",
        "radiosensitivity",
        new.id,
        user_id=author.id,
        lineage_id=new.lineage_id,
        version=new.version,
        fields=changed,
    )
    db.session.commit()
    db.session.expire(current)
    return new


def record_override(*, case, value: str, reason: str, author) -> BoardChoice:
    """Record the board's classification of this case's tumour, with its reason (R8)."""
    if value not in RADIOSENSITIVITY:
        raise ValueError(f"value: {value!r} is not one of {', '.join(RADIOSENSITIVITY)}")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("reason: empty")
    return store_choice(
        case=case, kind=OVERRIDE_KIND, subject="", value=value, reason=reason, author=author
    )


def seed_radiosensitivity(author=None) -> list[RadiosensitivityEntry]:
    """Add the rows of REFERENCE §4 that the table lacks; return the rows added.

    Idempotent: a row counts as present when any version of it, current or not, has the seed
    row's primary site (or, for rows without a site code, its histology), so a row the site
    has since edited is never added again. The caller commits.
    """
    stored = db.session.execute(
        select(RadiosensitivityEntry.primary_site, RadiosensitivityEntry.histology)
    ).all()
    sites = {site for site, _ in stored if site}
    histologies = {histology for site, histology in stored if not site}
    added = []
    for row in SEED_ROWS:
        present = row.primary_site in sites if row.primary_site else row.histology in histologies
        if present:
            continue
        entry = RadiosensitivityEntry(
            primary_site=row.primary_site,
            histology=row.histology,
            classification=row.classification,
            source=row.source,
            tag=row.tag,
            version=1,
            is_current=True,
            changed_by_id=author.id if author else None,
            changed_at=utcnow(),
        )
        db.session.add(entry)
        db.session.flush()
        entry.lineage_id = entry.id
        record(
            "created",
            "radiosensitivity",
            entry.id,
            user_id=author.id if author else None,
            lineage_id=entry.id,
            primary_site=entry.primary_site,
            classification=entry.classification,
            tag=entry.tag,
            seeded=True,
        )
        added.append(entry)
    db.session.flush()
    return added
