"""`flask seed-demo`: a synthetic demo team, six patients and two meetings. Idempotent.

The patients are built from worked examples 1–6 of the clinical reference (§10); every name,
MRN and date is invented. Each part is keyed by a natural key (username, MRN, meeting title),
so a second run finds everything in place and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import click
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import create_member, find_by_username
from app.assessment.radiosensitivity import seed_radiosensitivity
from app.catalogue.services import sync_catalogue
from app.clinical.vocabulary import SPECIALTIES, label
from app.extensions import db
from app.meetings.models import Meeting
from app.patients.models import Patient
from app.timestamps import board_today, board_zone, utcnow

DEMO_PASSWORD = "tumorboard-demo"  # noqa: S105 - published demo login, synthetic data only

# username: (full name, specialty, admin, coordinator)
DEMO_MEMBERS = {
    "admin": ("Alex Admin", None, True, False),
    "coordinator": ("Casey Coordinator", None, False, True),
    "oncologist": ("Dr Morgan Oncologist", "medical_oncology", False, False),
    "radiation": ("Dr Riley Radiation", "radiation_oncology", False, False),
    "radiologist": ("Dr Jordan Radiologist", "interventional_radiology", False, False),
    "surgeon": ("Mr Taylor Surgeon", "spine_surgery", False, False),
    "physio": ("Sam Physio", "physiotherapy", False, False),
}

UPCOMING_TITLE = "Spine tumour board (demo, upcoming)"
PAST_TITLE = "Spine tumour board (demo, past)"


@dataclass
class DemoPatient:
    """One synthetic patient and the role presentations of their case (REFERENCE §10)."""

    example: int
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    sex: str
    question: str
    primary_site: str
    histology: str
    levels: list[str]
    suspected_mscc: bool
    lesion: dict
    oncology: dict
    neurology: dict
    mobility: str


DEMO_PATIENTS = [
    DemoPatient(
        1,
        "SYN-0001",
        "Ashdown",
        "Peter",
        date(1960, 3, 14),
        "male",
        "Solitary S3 lesion found on staging: radiotherapy alone, or SBRT with oligometastatic"
        " intent? Any role for surgery?",
        "prostate",
        "Adenocarcinoma of the prostate",
        ["S3"],
        False,
        {
            "level": "S3",
            "pain": "none",
            "lesion_quality": "blastic",
            "alignment": "normal",
            "collapse": "none",
            "posterolateral": "none",
            "escc_grade": "0",
            "is_index": True,
        },
        {
            "kps": 90,
            "ecog": 0,
            "extraspinal_bone_mets": 0,
            "vertebral_mets": 1,
            "tokuhashi_visceral": "none",
            "tomita_visceral": "none",
        },
        {"frankel": "E"},
        "independent",
    ),
    DemoPatient(
        2,
        "SYN-0002",
        "Brierley",
        "Graham",
        date(1964, 7, 2),
        "male",
        "T12 pathological fracture with translation and complete paraplegia for 5 days:"
        " any surgical option, or palliative radiotherapy and supportive care?",
        "lung",
        "Non-small-cell lung cancer",
        ["T12"],
        True,
        {
            "level": "T12",
            "pain": "mechanical",
            "lesion_quality": "lytic",
            "alignment": "subluxation",
            "collapse": "over_50",
            "posterolateral": "bilateral",
            "escc_grade": "3",
            "is_index": True,
        },
        {
            "kps": 30,
            "ecog": 3,
            "extraspinal_bone_mets": 4,
            "vertebral_mets": 5,
            "tokuhashi_visceral": "unremovable",
            "tomita_visceral": "untreatable",
        },
        {"frankel": "A", "asia": "A"},
        "bedbound",
    ),
    DemoPatient(
        3,
        "SYN-0003",
        "Calloway",
        "Helen",
        date(1971, 11, 23),
        "female",
        "Painful T7 lesion, ESCC 1b: radiotherapy fractionation, and is SBRT worth it?",
        "breast",
        "Invasive ductal carcinoma, ER positive",
        ["T7"],
        False,
        {
            "level": "T7",
            "pain": "occasional",
            "lesion_quality": "mixed",
            "alignment": "normal",
            "collapse": "under_50",
            "posterolateral": "unilateral",
            "escc_grade": "1b",
            "is_index": True,
        },
        {
            "kps": 80,
            "ecog": 1,
            "extraspinal_bone_mets": 2,
            "vertebral_mets": 1,
            "tokuhashi_visceral": "none",
            "tomita_visceral": "none",
        },
        {"frankel": "E"},
        "independent",
    ),
    DemoPatient(
        4,
        "SYN-0004",
        "Dunmore",
        "Victor",
        date(1966, 5, 9),
        "male",
        "T8 lytic renal cell metastasis, SINS 7: SBRT alone or prophylactic stabilisation?",
        "kidney",
        "Clear-cell renal cell carcinoma",
        ["T8"],
        False,
        {
            "level": "T8",
            "pain": "occasional",
            "lesion_quality": "lytic",
            "alignment": "normal",
            "collapse": "under_50",
            "posterolateral": "unilateral",
            "escc_grade": "1a",
            "is_index": True,
        },
        {
            "kps": 80,
            "ecog": 1,
            "extraspinal_bone_mets": 0,
            "vertebral_mets": 1,
            "tokuhashi_visceral": "removable",
            "tomita_visceral": "treatable",
        },
        {"frankel": "E"},
        "independent",
    ),
    DemoPatient(
        5,
        "SYN-0005",
        "Everleigh",
        "Martin",
        date(1969, 1, 30),
        "male",
        "L3 metastasis with ESCC 2 and new leg weakness: separation surgery then SBRT,"
        " or radiotherapy alone given the prognostic scores?",
        "colon",
        "Sigmoid colon adenocarcinoma",
        ["L3", "T9"],
        True,
        {
            "level": "L3",
            "pain": "mechanical",
            "lesion_quality": "lytic",
            "alignment": "normal",
            "collapse": "under_50",
            "posterolateral": "bilateral",
            "escc_grade": "2",
            "is_index": True,
        },
        {
            "kps": 70,
            "ecog": 1,
            "extraspinal_bone_mets": 0,
            "vertebral_mets": 2,
            "tokuhashi_visceral": "removable",
            "tomita_visceral": "treatable",
        },
        {"frankel": "D", "asia": "D"},
        "with_aid",
    ),
    DemoPatient(
        6,
        "SYN-0006",
        "Fairbairn",
        "Margaret",
        date(1956, 9, 17),
        "female",
        "Myeloma with T11 kyphotic collapse and mechanical pain: percutaneous stabilisation"
        " before radiotherapy?",
        "myeloma",
        "IgG kappa multiple myeloma",
        ["T11"],
        False,
        {
            "level": "T11",
            "pain": "mechanical",
            "lesion_quality": "lytic",
            "alignment": "deformity",
            "collapse": "under_50",
            "posterolateral": "unilateral",
            "escc_grade": "1c",
            "is_index": True,
        },
        {
            "kps": 60,
            "ecog": 2,
            "extraspinal_bone_mets": 3,
            "vertebral_mets": 4,
            "tokuhashi_visceral": "none",
            "tomita_visceral": "none",
        },
        {"frankel": "E"},
        "assisted",
    ),
]

# Earlier referrals of two patients, discussed at the past meeting with signed plans.
PAST_CASES = {
    "SYN-0003": {
        "question": "New T7 metastasis at first relapse: systemic and local treatment?",
        "levels": ["T7"],
        "plan": {
            "intent": "palliative",
            "rationale": "Radiosensitive histology (board setting for breast), stable spine,"
            " low-grade ESCC: radiotherapy with systemic therapy and a bone-modifying agent.",
            "steps": [
                ("cebrt", "8 Gy in 1 fraction"),
                ("systemic_therapy", "Endocrine therapy with a CDK4/6 inhibitor"),
                ("bone_modifying_agent", "Denosumab 120 mg SC every 4 weeks after dental review"),
            ],
        },
    },
    "SYN-0004": {
        "question": "Solitary resectable lung metastasis and a small T8 lesion: local options?",
        "levels": ["T8"],
        "plan": {
            "intent": "curative",
            "rationale": "Oligometastatic renal cell carcinoma with good performance status:"
            " SBRT to the spine, lung metastasectomy to be discussed by thoracic surgery.",
            "steps": [("sbrt", "24 Gy in 2 fractions")],
        },
    },
}


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo team, patients and meetings (idempotent) and print the logins."""
    sync_catalogue()
    members = _ensure_members()
    seed_radiosensitivity()
    db.session.commit()
    if db.session.scalar(select(Meeting).where(Meeting.title == UPCOMING_TITLE)) is None:
        _seed_board(members)
        click.echo("Demo team, six patients and two meetings created.")
    else:
        click.echo("Demo data already present: nothing changed.")
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for username, (full_name, specialty, is_admin, _) in DEMO_MEMBERS.items():
        role = (
            label(SPECIALTIES, specialty) if specialty else ("admin" if is_admin else "coordinator")
        )
        click.echo(f"  {username:<12} {full_name:<24} {role}")


def _ensure_members() -> dict[str, User]:
    members = {}
    for username, (full_name, specialty, is_admin, is_coordinator) in DEMO_MEMBERS.items():
        members[username] = find_by_username(username) or create_member(
            username=username,
            full_name=full_name,
            password=DEMO_PASSWORD,
            specialty=specialty,
            is_admin=is_admin,
            is_coordinator=is_coordinator,
        )
    return members


def _seed_board(members: dict[str, User]) -> None:
    from app.cases.services import mark_ready, open_case
    from app.decisions.services import save_opinion
    from app.meetings.services import (
        add_to_agenda,
        close_meeting,
        order_urgent_first,
        record_present,
        schedule_meeting,
    )
    from app.patients.services import register_patient

    zone = board_zone()
    today = board_today()
    # Next Tuesday (never today) at 16:00, and the Tuesday three weeks before it.
    next_tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    upcoming_at = datetime.combine(next_tuesday, time(16, 0), zone)
    past_at = upcoming_at - timedelta(weeks=3)
    chair = members["surgeon"]
    coordinator = members["coordinator"]

    past = schedule_meeting(
        title=PAST_TITLE,
        starts_at=past_at,
        location="Seminar room 2, spine unit",
        video_url="",
        chair=chair,
        author=coordinator,
    )
    record_present(meeting=past, members=list(members.values()), author=coordinator)
    upcoming = schedule_meeting(
        title=UPCOMING_TITLE,
        starts_at=upcoming_at,
        location="Seminar room 2, spine unit",
        video_url="https://video.example.org/spine-board",
        chair=chair,
        author=coordinator,
    )

    for demo in DEMO_PATIENTS:
        patient = db.session.scalar(select(Patient).where(Patient.mrn == demo.mrn))
        patient = patient or register_patient(
            mrn=demo.mrn,
            family_name=demo.family_name,
            given_name=demo.given_name,
            birth_date=demo.birth_date,
            sex=demo.sex,
            author=coordinator,
        )
        earlier = PAST_CASES.get(demo.mrn)
        if earlier:
            _seed_past_case(patient, demo, earlier, past, members)
        case = open_case(
            patient=patient,
            question=demo.question,
            primary_site=demo.primary_site,
            histology=demo.histology,
            levels=demo.levels,
            is_urgent=demo.suspected_mscc,
            suspected_mscc=demo.suspected_mscc,
            referring_clinician="Dr Quinn Referrer",
            author=coordinator,
        )
        _present(case, demo, members)
        mark_ready(case=case, author=coordinator)
        add_to_agenda(
            meeting=upcoming,
            case=case,
            planned_minutes=15 if demo.suspected_mscc else 10,
            author=coordinator,
        )
    order_urgent_first(meeting=upcoming, author=coordinator)
    close_meeting(meeting=past, author=chair)

    # Two opinions already in on the first urgent case, as a board would see before meeting.
    first = upcoming.items[0]
    save_opinion(
        item=first,
        author=members["radiation"],
        option_codes=["cebrt", "corticosteroids", "best_supportive_care"],
        reasoning="Poor performance status and long-standing paraplegia: palliative"
        " single-fraction radiotherapy for pain.",
        agrees_with_consensus=True,
    )
    save_opinion(
        item=first,
        author=members["surgeon"],
        option_codes=["cebrt", "bracing", "best_supportive_care"],
        reasoning="Unstable (SINS 18) but unfit for surgery; brace for comfort.",
        agrees_with_consensus=True,
    )
    _seed_assessment(upcoming, members)


def _seed_assessment(meeting, members: dict[str, User]) -> None:
    """What the board has already judged before the meeting: choices, fitness, pathway times."""
    from app.assessment.fitness import record_fitness
    from app.assessment.services import case_assessment, record_choice
    from app.assessment.urgency import record_timeline

    by_mrn = {item.case.patient.mrn: item for item in meeting.items}
    # Example 6: the board groups ESCC 1c as low grade and gives myeloma a Tomita growth class.
    myeloma = by_mrn["SYN-0006"].case
    asked = {choice.kind: choice for choice in case_assessment(myeloma).choices}
    for kind, value, reason in (
        ("escc_1c_group", "low", "Cord abutted but not compressed on axial T2."),
        ("tomita_growth", "moderate", "Treated myeloma responding to therapy."),
    ):
        record_choice(
            case=myeloma, choice=asked[kind], value=value, reason=reason, author=members["surgeon"]
        )
    # Example 2: unfit for any surgery; radiotherapy only (REFERENCE §10).
    record_fitness(
        item=by_mrn["SYN-0002"],
        author=members["surgeon"],
        note="KPS 30, complete paraplegia for 5 days.",
        fit_for_open_surgery=False,
        fit_for_mis=False,
        fit_for_sbrt=False,
        fit_for_radiotherapy=True,
    )
    # The two suspected cord compressions: times of the pathway so far, relative to now.
    now = utcnow()
    for mrn, hours in (("SYN-0002", (30, 29, 26, 12)), ("SYN-0005", (20, 19, 18, 4))):
        case = by_mrn[mrn].case
        onset, requested, steroids, scanned = (now - timedelta(hours=h) for h in hours)
        record_timeline(
            case=case,
            base_lock_version=case.lock_version,
            author=members["surgeon"],
            has_neurological_signs=True,
            moments={
                "symptom_onset_at": onset,
                "mri_requested_at": requested,
                "dexamethasone_at": steroids,
                "mri_done_at": scanned,
            },
        )


def _present(case, demo: DemoPatient, members: dict[str, User]) -> None:
    from app.cases.services import add_presentation

    lesion = dict(demo.lesion)
    add_presentation(
        case=case,
        author=members["radiologist"],
        specialty="interventional_radiology",
        summary=f"MRI whole spine: {lesion['level']} {lesion['lesion_quality']} lesion,"
        f" ESCC {lesion['escc_grade']}.",
        fields={"vertebral_mets": demo.oncology["vertebral_mets"]},
        lesions=[lesion],
    )
    add_presentation(
        case=case,
        author=members["surgeon"],
        specialty="spine_surgery",
        summary="Neurological examination as graded; stability reviewed on MRI and CT.",
        fields=dict(demo.neurology),
        lesions=[],
    )
    oncology = dict(demo.oncology)
    add_presentation(
        case=case,
        author=members["oncologist"],
        specialty="medical_oncology",
        summary=f"{demo.histology}. Performance status and staging as recorded.",
        fields=oncology,
        lesions=[],
    )
    add_presentation(
        case=case,
        author=members["radiation"],
        specialty="radiation_oncology",
        summary="No previous radiotherapy to the spine.",
        fields={},
        lesions=[],
    )
    add_presentation(
        case=case,
        author=members["physio"],
        specialty="physiotherapy",
        summary="Mobility assessed on the ward.",
        fields={"mobility": demo.mobility},
        lesions=[],
    )


def _seed_past_case(patient, demo: DemoPatient, earlier: dict, past, members) -> None:
    from app.cases.services import mark_ready, open_case
    from app.decisions.services import save_opinion, save_plan, sign_plan
    from app.meetings.services import add_to_agenda

    chair = members["surgeon"]
    case = open_case(
        patient=patient,
        question=earlier["question"],
        primary_site=demo.primary_site,
        histology=demo.histology,
        levels=earlier["levels"],
        is_urgent=False,
        suspected_mscc=False,
        referring_clinician="Dr Quinn Referrer",
        author=members["coordinator"],
    )
    _present(case, demo, members)
    mark_ready(case=case, author=members["coordinator"])
    item = add_to_agenda(meeting=past, case=case, planned_minutes=10, author=members["coordinator"])
    plan = earlier["plan"]
    for username in ("oncologist", "radiation"):
        save_opinion(
            item=item,
            author=members[username],
            option_codes=[code for code, _ in plan["steps"]],
            reasoning="As discussed at the board.",
            agrees_with_consensus=True,
        )
    saved = save_plan(
        item=item,
        author=chair,
        base_lock_version=None,
        intent=plan["intent"],
        rationale=plan["rationale"],
        steps=plan["steps"],
        dissents=[],
        actions=[
            {
                "description": "Letter to the referrer with the board's plan",
                "owner_member_id": members["coordinator"].id,
                "owner_specialty": None,
                "due_date": past.starts_at.date() + timedelta(days=2),
            }
        ],
    )
    sign_plan(plan=saved, author=chair, base_lock_version=saved.lock_version)
