"""The MSCC urgency pathway: which time targets were met, are pending or were missed (R17–R19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.clinical.scores import ClinicalInputError

# The timestamps of REFERENCE §9.5 item 4, in the order the pathway runs.
STEP_LABELS: dict[str, str] = {
    "symptom_onset_at": "Symptom onset",
    "mri_requested_at": "MRI requested",
    "mri_done_at": "MRI done",
    "dexamethasone_at": "Dexamethasone started",
    "board_decision_at": "Board decision",
    "treatment_started_at": "Definitive treatment started",
}
STEP_FIELDS: tuple[str, ...] = tuple(STEP_LABELS)
# How a step reads inside a sentence ("… cannot be before the MRI request").
STEP_PHRASES: dict[str, str] = {
    "symptom_onset_at": "symptom onset",
    "mri_requested_at": "the MRI request",
    "mri_done_at": "the MRI",
    "dexamethasone_at": "the start of dexamethasone",
    "board_decision_at": "the board decision",
    "treatment_started_at": "the start of definitive treatment",
}

# (later, earlier): `later` may not come before `earlier`. Symptoms come before everything
# else; the MRI is done after it is requested; definitive treatment follows the MRI that
# confirms MSCC and the decision to give it.
ORDER: tuple[tuple[str, str], ...] = (
    ("mri_requested_at", "symptom_onset_at"),
    ("mri_done_at", "symptom_onset_at"),
    ("mri_done_at", "mri_requested_at"),
    ("dexamethasone_at", "symptom_onset_at"),
    ("board_decision_at", "symptom_onset_at"),
    ("treatment_started_at", "symptom_onset_at"),
    ("treatment_started_at", "mri_done_at"),
    ("treatment_started_at", "board_decision_at"),
)

STATUS_LABELS: dict[str, str] = {
    "met": "Met",
    "pending": "Pending",
    "missed": "Missed",
    "not_started": "Not started",
}

MRI_EMERGENCY_LIMIT = timedelta(hours=24)
MRI_ROUTINE_LIMIT = timedelta(weeks=1)
TREATMENT_LIMIT = timedelta(hours=24)

# [I] The MRI clock starts when MSCC was suspected. The tool has no field for that moment, so
# it takes the MRI request (the act of suspicion it can see) and, failing that, symptom onset.
CLOCK_RULE = (
    "The MRI clock starts when MSCC was suspected: the time the MRI was requested, "
    "or symptom onset when no request time is recorded (the tool's own choice)."
)
# [I] The MRI result is not recorded; the time the MRI was done stands for "MSCC confirmed".
# When the MRI rules MSCC out, the board clears the suspected-MSCC flag on the case.
CONFIRMATION_RULE = (
    "The treatment clock starts when the MRI was done, taken as the time MSCC was confirmed "
    "(the tool's own choice)."
)


@dataclass(frozen=True)
class Step:
    """One recorded moment of the pathway."""

    field: str
    label: str
    at: datetime | None


@dataclass(frozen=True)
class Target:
    """A time target: from when its clock runs, when it is due, and where it stands."""

    code: str
    label: str
    limit: timedelta
    rule: str
    tag: str
    source: str
    clock_field: str | None
    starts_at: datetime | None
    due_at: datetime | None
    done_field: str
    done_at: datetime | None
    status: str
    time_left: timedelta | None = None
    missed_by: timedelta | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def clock_label(self) -> str | None:
        return STEP_LABELS[self.clock_field] if self.clock_field else None

    @property
    def detail(self) -> str:
        """What the status means now: "5 h 20 min left", "missed by 3 h", or ""."""
        if self.status == "pending":
            return f"{duration_text(self.time_left)} left"
        if self.status == "missed":
            missed = f"missed by {duration_text(self.missed_by, round_up=True)}"
            return missed if self.done_at is not None else f"{missed}, not done yet"
        return ""

    @property
    def status_text(self) -> str:
        """ "Met", "Pending (5 h 20 min left)", "Missed (missed by 3 h)", "Not started"."""
        return f"{self.status_label} ({self.detail})" if self.detail else self.status_label


@dataclass(frozen=True)
class Dexamethasone:
    """Dexamethasone 16 mg for neurological symptoms or signs (R17): recorded or not."""

    expected: bool
    given_at: datetime | None
    # Signed: negative when it was given before the moment the MRI clock starts from.
    after_suspicion: timedelta | None
    label: str = "Dexamethasone 16 mg as soon as possible"
    rule: str = "R17"
    tag: str = "S"
    source: str = "NICE NG234 (via iatroX)"

    @property
    def recorded(self) -> bool:
        return self.given_at is not None

    @property
    def status_label(self) -> str:
        return "Recorded" if self.recorded else "Not recorded"

    @property
    def detail(self) -> str:
        """How long after suspicion it was given ("" when not known)."""
        if self.after_suspicion is None:
            return ""
        if self.after_suspicion < timedelta(0):
            return f"{duration_text(-self.after_suspicion)} before the clock start"
        return f"{duration_text(self.after_suspicion)} after suspicion"


@dataclass(frozen=True)
class Pathway:
    """The pathway of one case at the moment `now`."""

    suspected_mscc: bool
    has_neurological_signs: bool
    clock_field: str | None
    suspected_at: datetime | None
    steps: tuple[Step, ...]
    mri: Target
    # Only when MSCC is suspected: a target "from confirmed MSCC" means nothing otherwise.
    treatment: Target | None
    # Only with neurological signs (R17), or when it was given all the same.
    dexamethasone: Dexamethasone | None

    @property
    def targets(self) -> tuple[Target, ...]:
        return (self.mri,) + ((self.treatment,) if self.treatment else ())

    @property
    def notes(self) -> tuple[str, ...]:
        """The tool's own choices behind the clocks, to be shown with the targets ([I])."""
        return (CLOCK_RULE,) + ((CONFIRMATION_RULE,) if self.treatment else ())

    @property
    def clock_label(self) -> str | None:
        return STEP_LABELS[self.clock_field] if self.clock_field else None


def duration_text(delta: timedelta, *, round_up: bool = False) -> str:
    """A duration in days, hours and minutes: "5 h 20 min", "3 h", "6 d 2 h".

    Time left is rounded down and time overdue up, so neither is ever understated.
    """
    seconds = int(delta.total_seconds())
    if seconds < 0:
        raise ValueError("delta: a duration cannot be negative")
    minutes = -(-seconds // 60) if round_up else seconds // 60
    if minutes == 0:
        return "0 min" if seconds == 0 else "less than 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min")]
    return " ".join(f"{amount} {unit}" for amount, unit in parts if amount)


def check_timeline(**moments: datetime | None) -> None:
    """Raise ClinicalInputError naming the field when a time is naive or out of order."""
    unknown = set(moments) - set(STEP_FIELDS)
    if unknown:
        raise ClinicalInputError(sorted(unknown)[0], "is not a step of the urgency pathway")
    for field, moment in moments.items():
        _check_aware(field, moment)
    for later, earlier in ORDER:
        late, early = moments.get(later), moments.get(earlier)
        if late is not None and early is not None and late < early:
            raise ClinicalInputError(later, f"cannot be before {STEP_PHRASES[earlier]}")


def _check_aware(field: str, moment: datetime | None) -> None:
    if moment is None:
        return
    if not isinstance(moment, datetime):
        raise ClinicalInputError(field, f"{moment!r} is not a date and time")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ClinicalInputError(field, "must be an aware UTC date and time, not a naive one")


def _target(
    *,
    code: str,
    label: str,
    limit: timedelta,
    rule: str,
    tag: str,
    source: str,
    clock_field: str | None,
    starts_at: datetime | None,
    done_field: str,
    done_at: datetime | None,
    now: datetime,
) -> Target:
    fixed = {
        "code": code,
        "label": label,
        "limit": limit,
        "rule": rule,
        "tag": tag,
        "source": source,
        "clock_field": clock_field,
        "starts_at": starts_at,
        "done_field": done_field,
        "done_at": done_at,
    }
    if starts_at is None:
        return Target(**fixed, due_at=None, status="not_started")
    due_at = starts_at + limit
    if done_at is not None:
        if done_at <= due_at:  # exactly on the limit still meets it
            return Target(**fixed, due_at=due_at, status="met")
        return Target(**fixed, due_at=due_at, status="missed", missed_by=done_at - due_at)
    if now <= due_at:
        return Target(**fixed, due_at=due_at, status="pending", time_left=due_at - now)
    return Target(**fixed, due_at=due_at, status="missed", missed_by=now - due_at)


def pathway(
    *,
    suspected_mscc: bool,
    has_neurological_signs: bool,
    symptom_onset_at: datetime | None,
    mri_requested_at: datetime | None,
    mri_done_at: datetime | None,
    dexamethasone_at: datetime | None,
    board_decision_at: datetime | None,
    treatment_started_at: datetime | None,
    now: datetime,
) -> Pathway:
    """Where each target of the pathway stands at `now` (aware UTC datetimes throughout).

    Raises ClinicalInputError (a ValueError) naming the field when a time is naive or comes
    before a step that must precede it.
    """
    moments = {
        "symptom_onset_at": symptom_onset_at,
        "mri_requested_at": mri_requested_at,
        "mri_done_at": mri_done_at,
        "dexamethasone_at": dexamethasone_at,
        "board_decision_at": board_decision_at,
        "treatment_started_at": treatment_started_at,
    }
    check_timeline(**moments)
    if now is None:
        raise ClinicalInputError("now", "is required")
    _check_aware("now", now)
    neurological = bool(has_neurological_signs)
    # R17: cancer with neurological symptoms or signs is suspected MSCC, flagged or not.
    mscc = bool(suspected_mscc) or neurological

    clock_field = next(
        (field for field in ("mri_requested_at", "symptom_onset_at") if moments[field]), None
    )
    suspected_at = moments[clock_field] if clock_field else None

    if mscc:
        # R17 [S]: MRI of the whole spine as soon as possible and within 24 h.
        label, limit, rule = "MRI of the whole spine within 24 h", MRI_EMERGENCY_LIMIT, "R17"
        source = "NICE NG234 (via iatroX and public code); Christie and NHS GGC pathways"
    else:
        # R18 [S]: without neurological symptoms or signs, MRI of the whole spine within 1 week.
        label, limit, rule = "MRI of the whole spine within 1 week", MRI_ROUTINE_LIMIT, "R18"
        source = "NICE NG234 (via public code)"
    mri = _target(
        code="mri",
        label=label,
        limit=limit,
        rule=rule,
        tag="S",
        source=source,
        clock_field=clock_field,
        starts_at=suspected_at,
        done_field="mri_done_at",
        done_at=mri_done_at,
        now=now,
    )

    treatment = None
    if mscc:
        # R19 [R]: CG75's wording, unverified; Patchell's ≤ 24 h timing supports it [C].
        treatment = _target(
            code="treatment",
            label="Definitive treatment within 24 h of confirmed MSCC",
            limit=TREATMENT_LIMIT,
            rule="R19",
            tag="R",
            source="NICE CG75 wording; Patchell 2005 (surgery within 24 h)",
            clock_field="mri_done_at" if mri_done_at else None,
            starts_at=mri_done_at,
            done_field="treatment_started_at",
            done_at=treatment_started_at,
            now=now,
        )

    dexamethasone = None
    if mscc or dexamethasone_at is not None:
        after = (
            dexamethasone_at - suspected_at
            if dexamethasone_at is not None and suspected_at is not None
            else None
        )
        dexamethasone = Dexamethasone(
            expected=mscc, given_at=dexamethasone_at, after_suspicion=after
        )

    return Pathway(
        suspected_mscc=mscc,
        has_neurological_signs=neurological,
        clock_field=clock_field,
        suspected_at=suspected_at,
        steps=tuple(Step(field, STEP_LABELS[field], moments[field]) for field in STEP_FIELDS),
        mri=mri,
        treatment=treatment,
        dexamethasone=dexamethasone,
    )
