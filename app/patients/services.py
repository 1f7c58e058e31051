"""Registering patients and changing their identifiers; each change is audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.editing import apply_changes, check_version, commit_edit
from app.extensions import db
from app.patients.models import SEXES, Patient

PATIENT_FIELDS = ("mrn", "family_name", "given_name", "birth_date", "sex")


class DuplicateMRN(Exception):
    """Another patient already has this MRN; `existing` is that patient."""

    def __init__(self, existing: Patient):
        super().__init__(f"MRN already registered (patient {existing.id})")
        self.existing = existing


def age_on(birth_date: date, on: date) -> int:
    """Completed years between `birth_date` and `on`."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def normalise_mrn(mrn: str) -> str:
    return mrn.strip()


def find_by_mrn(mrn: str, *, excluding: Patient | None = None) -> Patient | None:
    """The patient with this MRN, compared without surrounding spaces and case."""
    query = select(Patient).where(func.lower(Patient.mrn) == normalise_mrn(mrn).lower())
    if excluding is not None:
        query = query.where(Patient.id != excluding.id)
    return db.session.scalar(query)


def _check_values(fields: dict) -> None:
    unknown = set(fields) - set(PATIENT_FIELDS)
    if unknown:
        raise ValueError(f"not patient fields: {', '.join(sorted(unknown))}")
    if "sex" in fields and fields["sex"] not in SEXES:
        raise ValueError(f"sex: {fields['sex']!r} is not one of {', '.join(SEXES)}")
    if "mrn" in fields and not normalise_mrn(fields["mrn"]):
        raise ValueError("mrn: the MRN is empty")


def register_patient(*, mrn, family_name, given_name, birth_date, sex, author) -> Patient:
    """Add a patient, or raise DuplicateMRN naming the patient who already has the MRN."""
    fields = {
        "mrn": mrn,
        "family_name": family_name,
        "given_name": given_name,
        "birth_date": birth_date,
        "sex": sex,
    }
    _check_values(fields)
    mrn = normalise_mrn(mrn)
    existing = find_by_mrn(mrn)
    if existing is not None:
        raise DuplicateMRN(existing)
    patient = Patient(
        mrn=mrn,
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        birth_date=birth_date,
        sex=sex,
        created_by_id=author.id,
    )
    db.session.add(patient)
    try:
        db.session.flush()
        record(
            "created",
            "patient",
            patient.id,
            patient_id=patient.id,
            user_id=author.id,
            fields=list(PATIENT_FIELDS),
        )
        db.session.commit()
    except IntegrityError:
        # Two registrations of the same MRN at once: the unique constraint decides.
        db.session.rollback()
        existing = find_by_mrn(mrn)
        if existing is None:
            raise
        raise DuplicateMRN(existing) from None
    return patient


def update_patient(*, patient: Patient, base_lock_version: int, author, **fields) -> Patient:
    """Change a patient's identifiers if nobody changed them since `base_lock_version`."""
    _check_values(fields)
    check_version(patient, base_lock_version)
    if "mrn" in fields:
        fields["mrn"] = normalise_mrn(fields["mrn"])
        existing = find_by_mrn(fields["mrn"], excluding=patient)
        if existing is not None:
            raise DuplicateMRN(existing)
    for name in ("family_name", "given_name"):
        if name in fields:
            fields[name] = fields[name].strip()
    changed = apply_changes(patient, fields, PATIENT_FIELDS)
    if not changed:
        return patient
    record(
        "changed", "patient", patient.id, patient_id=patient.id, user_id=author.id, fields=changed
    )
    try:
        commit_edit(patient)
    except IntegrityError:
        db.session.rollback()
        existing = find_by_mrn(fields["mrn"]) if "mrn" in fields else None
        if existing is None:
            raise
        raise DuplicateMRN(existing) from None
    return patient
