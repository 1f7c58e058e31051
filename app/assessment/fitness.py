"""The board's fitness judgement on an agenda item (NOMS "S"): each one kept, the latest counts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.assessment.models import FitnessAssessment
from app.audit.services import record
from app.extensions import db
from app.meetings.services import publish_case_change
from app.timestamps import utcnow

JUDGEMENTS = ("fit_for_open_surgery", "fit_for_mis", "fit_for_sbrt", "fit_for_radiotherapy")
JUDGEMENT_LABELS = {
    "fit_for_open_surgery": "Fit for open surgery",
    "fit_for_mis": "Fit for MIS",
    "fit_for_sbrt": "Fit for SBRT",
    "fit_for_radiotherapy": "Fit for radiotherapy",
}


def _ordered(query):
    return query.options(joinedload(FitnessAssessment.recorded_by)).order_by(
        FitnessAssessment.recorded_at.desc(), FitnessAssessment.id.desc()
    )


def latest_fitness(item) -> FitnessAssessment | None:
    """The item's latest fitness judgement, or None if the board has not judged yet."""
    return db.session.scalar(
        _ordered(
            select(FitnessAssessment).where(FitnessAssessment.agenda_item_id == item.id)
        ).limit(1)
    )


def fitness_history(item) -> list[FitnessAssessment]:
    """Every judgement recorded on the item, newest first."""
    return list(
        db.session.scalars(
            _ordered(select(FitnessAssessment).where(FitnessAssessment.agenda_item_id == item.id))
        )
    )


def record_fitness(*, item, author, note: str = "", **judgements: bool) -> FitnessAssessment:
    """Record the board's judgement of what the patient can tolerate; earlier ones are kept."""
    missing = [name for name in JUDGEMENTS if name not in judgements]
    unknown = set(judgements) - set(JUDGEMENTS)
    if missing or unknown:
        raise ValueError(f"judgements: missing {missing or 'none'}, unknown {sorted(unknown)}")
    for name, value in judgements.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name}: {value!r} is not True or False")
    fitness = FitnessAssessment(
        agenda_item_id=item.id,
        note=(note or "").strip(),
        recorded_by_id=author.id,
        recorded_at=utcnow(),
        **judgements,
    )
    db.session.add(fitness)
    db.session.flush()
    record(
        "created",
        "fitness_assessment",
        fitness.id,
        patient_id=item.case.patient_id,
        user_id=author.id,
        agenda_item_id=item.id,
        case_id=item.case_id,
        fields=[*JUDGEMENTS, *(["note"] if fitness.note else [])],
        **judgements,
    )
    publish_case_change(item.case_id)
    db.session.commit()
    return fitness
