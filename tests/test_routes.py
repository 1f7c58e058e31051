"""Every route of the app at once: login, CSRF, and GET pages that change nothing but the audit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.services import create_member
from app.assessment.radiosensitivity import current_entries, seed_radiosensitivity
from app.audit.models import AuditEvent
from app.cases.models import Case
from app.cases.services import add_presentation, mark_ready, open_case
from app.decisions.models import Plan
from app.decisions.services import save_opinion, save_plan, sign_plan
from app.extensions import db
from app.meetings.models import AgendaItem, Meeting
from app.meetings.services import add_to_agenda, record_present, schedule_meeting
from app.patients.models import Patient
from app.patients.services import register_patient
from app.timestamps import utcnow
from tests.support import PASSWORD, csrf_token, login, text_of

# The audit trail is the one thing a GET may write: the event and the patients it names.
AUDIT_TABLES = ("audit_event", "audit_event_patient", "audit_head")

# Requests a live page makes in the background: refused with 401, never sent to the login page.
BACKGROUND_ENDPOINTS = {"accounts.keepalive"}

# Rules no login guards: the login page itself, and the stylesheet.
OPEN_ENDPOINTS = {"static", "accounts.login"}

_scene_numbers = itertools.count(1)


@dataclass
class Scene:
    """One of each thing a route can name, made through the services as the app makes them.

    item_a waits on the agenda with no decisions; item_b has an opinion and a draft plan;
    item_c has a signed plan; case_d is ready and on no agenda; target is a member for the
    admin pages.
    """

    patient: Patient
    case_a: Case
    case_d: Case
    meeting: Meeting
    item_a: AgendaItem
    item_b: AgendaItem
    item_c: AgendaItem
    plan_b: Plan
    plan_c: Plan
    opinion_author: User
    target: User
    mrns: tuple[str, ...]
    radiosensitivity_lineage_id: int


def build_scene(members: dict) -> Scene:
    """A meeting chaired by "surgeon" with three agenda items in three states, and more."""
    number = next(_scene_numbers)
    coordinator = members["coordinator"]
    patients = [
        register_patient(
            mrn=f"SYN-R{number:03d}{letter}",
            family_name=f"Routewalk{letter}",
            given_name="Alex",
            birth_date=date(1961, 5, 17),
            sex="female",
            author=coordinator,
        )
        for letter in "ABCD"
    ]
    cases = [
        open_case(
            patient=patient,
            question="Radiotherapy alone, or separation surgery first?",
            primary_site="kidney",
            histology="Clear cell carcinoma",
            levels=["T7"],
            is_urgent=False,
            suspected_mscc=False,
            referring_clinician="Dr Quinn Referrer",
            author=coordinator,
        )
        for patient in patients
    ]
    add_presentation(
        case=cases[0],
        author=members["surgeon"],
        specialty="spine_surgery",
        summary="Mechanical pain at T7.",
        fields={"frankel": "E"},
        lesions=[],
    )
    for case in cases:
        mark_ready(case=case, author=coordinator)
    meeting = schedule_meeting(
        title=f"Spine tumour board {number}",
        starts_at=(utcnow() + timedelta(days=7)).replace(microsecond=0),
        location="Seminar room 2",
        video_url="",
        chair=members["surgeon"],
        author=coordinator,
    )
    # Every member present: the meeting is quorate, so its plans are signed without a reason.
    record_present(meeting=meeting, members=list(members.values()), author=coordinator)
    item_a, item_b, item_c = (
        add_to_agenda(meeting=meeting, case=case, planned_minutes=10, author=coordinator)
        for case in cases[:3]
    )
    save_opinion(
        item=item_b,
        author=members["oncologist"],
        option_codes=["sbrt", "cebrt"],
        reasoning="Oligometastatic disease, good performance status.",
        agrees_with_consensus=True,
    )
    plans = [
        save_plan(
            item=item,
            author=coordinator,
            base_lock_version=None,
            intent="palliative",
            rationale="Radioresistant primary.",
            steps=[("sbrt", "24 Gy in 2 fractions")],
            dissents=[],
            # The signed plan has a follow-up action (the actions page lists and marks it).
            actions=[{"description": "Book the MRI", "owner_specialty": "spine_surgery"}]
            if item is item_c
            else [],
        )
        for item in (item_b, item_c)
    ]
    sign_plan(plan=plans[1], author=coordinator, base_lock_version=plans[1].lock_version)
    target = create_member(
        username=f"target{number}", full_name=f"Tara Target {number}", password=PASSWORD
    )
    seed_radiosensitivity(author=members["admin"])
    db.session.commit()
    return Scene(
        patient=patients[0],
        case_a=cases[0],
        case_d=cases[3],
        meeting=meeting,
        item_a=item_a,
        item_b=item_b,
        item_c=item_c,
        plan_b=plans[0],
        plan_c=plans[1],
        opinion_author=members["oncologist"],
        target=target,
        mrns=tuple(patient.mrn for patient in patients),
        radiosensitivity_lineage_id=current_entries()[0].lineage_id,
    )


def url_values(endpoint: str, arguments, scene: Scene) -> dict:
    """Real ids for the arguments of `endpoint`'s rule; a new kind of argument fails loudly."""
    values = {}
    for name in arguments:
        if name == "member_id":
            # The opinion history is of a member who gave an opinion; admin pages use the target.
            opinion = endpoint == "decisions.opinion_history"
            values[name] = (scene.opinion_author if opinion else scene.target).id
        elif name == "patient_id":
            values[name] = scene.patient.id
        elif name == "case_id":
            values[name] = scene.case_a.id
        elif name == "meeting_id":
            values[name] = scene.meeting.id
        elif name == "item_id":
            # Agenda changes act on the waiting item; the decision pages on the decided one.
            item = scene.item_a if endpoint.startswith("meetings.") else scene.item_b
            values[name] = item.id
        elif name == "plan_id":
            values[name] = (scene.plan_b if endpoint == "decisions.sign_plan" else scene.plan_c).id
        elif name == "code":
            values[name] = "sbrt"
        elif name == "filename":
            values[name] = "board.css"
        elif name == "name":
            # A live part: the one that shows patients.
            values[name] = "agenda" if endpoint == "meetings.live_part" else "opinions"
        elif name == "action_id":
            values[name] = scene.plan_c.actions[0].id
        elif name == "lineage_id":
            values[name] = scene.radiosensitivity_lineage_id
        else:
            raise AssertionError(f"{endpoint}: no test value for the URL argument {name!r}")
    return values


# Rules that need a query string to do anything.
QUERIES = {"meetings.live_parts": "?parts=meeting,current,agenda,attendance"}


def routes(app, scene: Scene) -> list[tuple[str, set[str], str]]:
    """(endpoint, methods, URL with real ids) for every rule of the app."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        values = url_values(rule.endpoint, rule.arguments, scene)
        url = adapter.build(rule.endpoint, values) + QUERIES.get(rule.endpoint, "")
        found.append((rule.endpoint, set(rule.methods) - {"HEAD", "OPTIONS"}, url))
    return sorted(found)


def table_contents(*, skip: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Every row of every table (as text, sorted), to compare before and after a request."""
    db.session.rollback()  # see what is committed, not what this session holds
    contents = {}
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        contents[table.name] = sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
    return contents


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def login_path(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path == "/login"


def make_lead() -> User:
    """A member who may open every page: admin, coordinator and a clinical specialty."""
    lead = create_member(
        username="lead",
        full_name="Lee Lead",
        password=PASSWORD,
        specialty="spine_surgery",
        is_admin=True,
        is_coordinator=True,
    )
    db.session.commit()
    return lead


@pytest.fixture
def scene(app, members) -> Scene:
    return build_scene(members)


# Anonymous visitors ---------------------------------------------------------------------------


def test_every_page_sends_an_anonymous_visitor_to_log_in(app, client, scene):
    problems = []
    before = table_contents()
    for endpoint, methods, url in routes(app, scene):
        if endpoint in OPEN_ENDPOINTS or "GET" not in methods:
            continue
        first = client.get(url)
        if endpoint in BACKGROUND_ENDPOINTS:
            # A live page's own requests: 401, so the page can say the session has ended.
            if first.status_code != 401:
                problems.append(f"GET {url} ({endpoint}): {first.status_code}, not 401")
            continue
        landed = client.get(url, follow_redirects=True)
        if first.status_code != 302 or landed.request.path != "/login":
            problems.append(
                f"GET {url} ({endpoint}): {first.status_code}, ends at {landed.request.path}"
            )
    assert problems == []
    assert changed_tables(before, table_contents()) == []


def test_every_change_refuses_an_anonymous_visitor(app, client, scene):
    """Without a token: 400 or the login page. With a valid token: the login page. Never 200."""
    token = csrf_token(text_of(client.get("/login")))
    problems = []
    before = table_contents()
    for endpoint, methods, url in routes(app, scene):
        if endpoint in OPEN_ENDPOINTS or "POST" not in methods:
            continue
        bare = client.post(url, data={"summary": "Anonymous text", "reason": "Anonymous"})
        if not (bare.status_code == 400 or login_path(bare)):
            problems.append(f"POST {url} without token ({endpoint}): {bare.status_code}")
        tokened = client.post(url, data={"csrf_token": token, "summary": "Anonymous text"})
        if not login_path(tokened):
            problems.append(f"POST {url} with a token ({endpoint}): {tokened.status_code}")
    assert problems == []
    assert changed_tables(before, table_contents()) == []


# CSRF ---------------------------------------------------------------------------------------


def test_every_change_without_a_csrf_token_is_refused_with_400(app, client, scene):
    make_lead()
    assert login(client, "lead").status_code == 302
    # What a form would send, less the token: a refusal must not depend on a missing field.
    data = {
        "summary": "Typed text",
        "reason": "Typed reason",
        "direction": "down",
        "minutes": "15",
        "planned_minutes": "10",
        "case_id": str(scene.case_d.id),
        "lock_version": str(scene.plan_b.lock_version),
        "option_1": "sbrt",
        "intent": "palliative",
        "steps-0-option": "sbrt",
    }
    problems = []
    before = table_contents()
    unsafe = 0
    for endpoint, methods, url in routes(app, scene):
        for method in sorted(methods - {"GET"}):  # every unsafe method a rule accepts
            unsafe += 1
            response = client.open(url, method=method, data=data)
            if response.status_code != 400:
                problems.append(f"{method} {url} ({endpoint}): {response.status_code}")
            wrong = client.open(url, method=method, data={**data, "csrf_token": "not-the-token"})
            if wrong.status_code != 400:
                problems.append(
                    f"{method} {url} with a wrong token ({endpoint}): {wrong.status_code}"
                )
    assert unsafe >= 40  # the walk reached every form of the app
    assert problems == []
    assert changed_tables(before, table_contents()) == []
    # Still logged in: the refusals did not end the session either.
    assert client.get("/cases/").status_code == 200


# GET pages change nothing ---------------------------------------------------------------------

# Query strings that take a GET page down another path than its bare URL.
EXTRA_GETS = (
    "/cases/?q=routewalk&status=ready&urgent=y",
    "/cases/?q=SYN-R",
    "/cases/new?mrn={mrn}",
    "/cases/new?mrn=SYN-NOBODY",
    "/cases/new?patient_id={patient_id}",
    "/cases/{case_id}/presentations?specialty=spine_surgery",
    "/catalogue/?modality=radiotherapy",
    "/catalogue/sbrt?version=1",
    "/admin/audit?patient_id={patient_id}&action=viewed",
    "/meetings/?page=2",
    "/items/{item_c}/plan",
    "/plans/{plan_b}/amend",
    "/actions/?view=open",
    "/actions/?view=done",
    "/figures/?first_day=2020-01-01&last_day=2040-12-31",
)


def get_urls(app, scene: Scene) -> list[tuple[str, str]]:
    urls = [
        (endpoint, url)
        for endpoint, methods, url in routes(app, scene)
        # An event stream never ends; tests/live reads it through a real server.
        if "GET" in methods and endpoint not in ("static", "live.meeting_events")
    ]
    values = {
        "mrn": scene.patient.mrn,
        "patient_id": scene.patient.id,
        "case_id": scene.case_a.id,
        "item_c": scene.item_c.id,
        "plan_b": scene.plan_b.id,
    }
    urls += [("(query)", template.format(**values)) for template in EXTRA_GETS]
    return urls


def test_no_get_changes_anything_but_the_audit_trail(app, client, scene):
    make_lead()
    assert login(client, "lead").status_code == 302
    problems = []
    for endpoint, url in get_urls(app, scene):
        before = table_contents(skip=AUDIT_TABLES)
        response = client.get(url)
        if response.status_code not in (200, 204, 302):
            problems.append(f"GET {url} ({endpoint}): status {response.status_code}")
        changed = changed_tables(before, table_contents(skip=AUDIT_TABLES))
        if changed:
            problems.append(f"GET {url} ({endpoint}) changed {', '.join(changed)}")
    assert problems == []


def test_every_page_showing_a_patient_records_one_view_naming_them(app, client, scene):
    """A page that shows an MRN records exactly one `viewed` event that names that patient."""
    make_lead()
    assert login(client, "lead").status_code == 302
    patient_ids = {
        mrn: db.session.scalar(select(Patient.id).where(Patient.mrn == mrn)) for mrn in scene.mrns
    }
    problems = []
    for endpoint, url in get_urls(app, scene):
        last = db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        response = client.get(url)
        # A PDF records an "exported" event instead (tests/exports).
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        shown = {patient_ids[mrn] for mrn in scene.mrns if mrn in text_of(response)}
        if not shown:
            continue
        db.session.rollback()
        views = db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last, AuditEvent.action == "viewed")
        ).all()
        if len(views) != 1:
            problems.append(f"GET {url} ({endpoint}) shows patients, recorded {len(views)} views")
            continue
        named = {link.patient_id for link in views[0].patients}
        if not shown <= named:
            problems.append(
                f"GET {url} ({endpoint}) shows patients {sorted(shown)}, "
                f"the event names {sorted(n for n in named if n is not None)}"
            )
    assert problems == []
