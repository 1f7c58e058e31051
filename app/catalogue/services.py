"""Keep the stored catalogue in step with the data file; each change of text is a new version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalogue.models import TreatmentOption, TreatmentOptionVersion
from app.clinical.catalogue import CatalogueOption, load_catalogue
from app.extensions import db


@dataclass
class SyncReport:
    added: list[str]
    new_versions: list[str]
    unchanged: int


def sync_catalogue(options: tuple[CatalogueOption, ...] | None = None) -> SyncReport:
    """Bring the database to the file's content; old versions stay for the plans that cite them.

    Idempotent: a second run with the same file changes nothing. The caller commits.
    """
    options = options if options is not None else load_catalogue()
    stored = {
        option.code: option
        for option in db.session.scalars(
            select(TreatmentOption).options(selectinload(TreatmentOption.versions))
        )
    }
    report = SyncReport(added=[], new_versions=[], unchanged=0)
    for source in options:
        option = stored.get(source.code)
        if option is None:
            option = TreatmentOption(code=source.code, current_version=0)
            db.session.add(option)
            report.added.append(source.code)
        latest = option.versions[-1] if option.versions else None
        option.number = source.number
        option.name = source.name
        option.modality = source.modality
        if latest is not None and latest.content_hash == source.content_hash:
            report.unchanged += 1
            continue
        version = (latest.version if latest else 0) + 1
        option.versions.append(
            TreatmentOptionVersion(
                version=version, content=source.content(), content_hash=source.content_hash
            )
        )
        option.current_version = version
        if latest is not None:
            report.new_versions.append(source.code)
    db.session.flush()
    return report


def current_versions() -> list[TreatmentOptionVersion]:
    """Every option's current version, in catalogue order (one query)."""
    return list(
        db.session.scalars(
            select(TreatmentOptionVersion)
            .join(TreatmentOption)
            .where(TreatmentOptionVersion.version == TreatmentOption.current_version)
            .order_by(TreatmentOption.number)
        )
    )


def current_version_by_code(code: str) -> TreatmentOptionVersion | None:
    return db.session.scalar(
        select(TreatmentOptionVersion)
        .join(TreatmentOption)
        .where(
            TreatmentOption.code == code,
            TreatmentOptionVersion.version == TreatmentOption.current_version,
        )
    )
