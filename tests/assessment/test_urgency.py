"""The urgency pathway card and its form; urgent cases first in every list of cases."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.cases.services import update_case
from app.extensions import db
from app.timestamps import board_zone, utcnow
from tests.factories import add_item, make_case, make_meeting, make_patient
from tests.support import login, post_form, text_of

STEPS = (
    "symptom_onset_at",
    "mri_requested_at",
    "mri_done_at",
    "dexamethasone_at",
    "board_decision_at",
    "treatment_started_at",
)


def timeline(case: Case, *, neurological: bool = True, **moments) -> dict:
    """The form as a browser posts it: each step as (date, time) text, blank when not given."""
    data = {"lock_version": str(case.lock_version)}
    if neurological:
        data["has_neurological_signs"] = "y"
    for step in STEPS:
        day, clock = moments.get(step, ("", ""))
        data[f"{step}_date"] = day
        data[f"{step}_time"] = clock
    return data


def url(case: Case) -> str:
    return f"/cases/{case.id}/urgency"


def fresh(case: Case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def card(response) -> str:
    html = text_of(response)
    start = html.index('<section class="card urgency-pathway"')
    return html[start : html.index("</section>", start)]


def target_row(html: str, code: str) -> str:
    start = html.index(f'data-target="{code}"')
    return html[start : html.index("</tr>", start)]


def local(moment: datetime) -> tuple[str, str]:
    moment = moment.astimezone(board_zone())
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")


# The card on the case page -------------------------------------------------------------------


def test_suspected_mscc_case_shows_the_pathway_card_with_sources_and_tags(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "physio")
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    html = card(response)
    assert "Urgency pathway (NICE NG234)" in html
    assert "MRI of the whole spine within 1 week" in html  # no neurological signs recorded yet
    assert "Definitive treatment within 24 h of confirmed MSCC" in html
    assert "Not started" in target_row(html, "mri")
    # [S] rules say "secondary source"; the 24 h treatment target [R] says "unverified".
    assert "secondary source" in target_row(html, "mri")
    assert "unverified" in target_row(html, "treatment")
    assert "NICE NG234" in target_row(html, "mri")
    assert "CG75" in target_row(html, "treatment")
    assert "Record pathway times" in html


def test_urgent_case_shows_the_card_and_a_routine_case_does_not(client, members):
    urgent = make_case(members, is_urgent=True)
    routine = make_case(members)
    login(client, "surgeon")
    assert "Urgency pathway (NICE NG234)" in text_of(client.get(f"/cases/{urgent.id}"))
    assert "Urgency pathway (NICE NG234)" not in text_of(client.get(f"/cases/{routine.id}"))


def test_recorded_times_show_met_and_missed_in_local_time(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    # Winter: London is on UTC. MRI 27 h after the request: missed by 3 h. Treatment 21.5 h
    # after the MRI: met. Dexamethasone 45 min after the request.
    data = timeline(
        case,
        symptom_onset_at=("2025-01-09", "22:15"),
        mri_requested_at=("2025-01-10", "09:30"),
        dexamethasone_at=("2025-01-10", "10:15"),
        mri_done_at=("2025-01-11", "12:30"),
        board_decision_at=("2025-01-11", "16:00"),
        treatment_started_at=("2025-01-12", "10:00"),
    )
    response = post_form(client, url(case), data)
    assert response.status_code == 302
    assert response.location.endswith(f"/cases/{case.id}")
    saved = fresh(case)
    assert saved.has_neurological_signs
    assert saved.mri_requested_at == datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
    assert saved.treatment_started_at == datetime(2025, 1, 12, 10, 0, tzinfo=UTC)

    page = client.get(f"/cases/{case.id}")
    html = card(page)
    assert "Neurological symptoms or signs recorded" in html
    mri = target_row(html, "mri")
    assert "MRI of the whole spine within 24 h" in mri
    assert "Missed</span> (missed by 3 h)" in mri
    assert "MRI requested: 10 Jan 2025 09:30" in mri
    assert "11 Jan 2025 09:30" in mri  # due
    treatment = target_row(html, "treatment")
    assert "Met</span>" in treatment
    dexamethasone = target_row(html, "dexamethasone")
    assert "Recorded</span> 10 Jan 2025 10:15 (45 min after suspicion)" in dexamethasone
    assert "09 Jan 2025 22:15" in html  # symptom onset among the recorded times


def test_times_are_entered_and_shown_in_the_board_time_zone_in_summer(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "oncologist")
    data = timeline(case, mri_requested_at=("2025-07-01", "09:30"))
    assert post_form(client, url(case), data).status_code == 302
    # British Summer Time: 09:30 in London is 08:30 UTC.
    assert fresh(case).mri_requested_at == datetime(2025, 7, 1, 8, 30, tzinfo=UTC)
    assert "MRI requested: 01 Jul 2025 09:30" in card(client.get(f"/cases/{case.id}"))
    form = text_of(client.get(url(case)))
    assert 'value="2025-07-01"' in form and 'value="09:30"' in form


def test_a_pending_target_shows_the_time_left(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "radiation")
    requested = utcnow() - timedelta(hours=18, minutes=40)
    data = timeline(case, mri_requested_at=local(requested))
    assert post_form(client, url(case), data).status_code == 302
    mri = target_row(card(client.get(f"/cases/{case.id}")), "mri")
    # The minute entered is rounded down, so up to a minute more may have passed.
    assert re.search(r"Pending</span> \(5 h (19|20) min left\)", mri), mri


def test_clearing_a_time(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    data = timeline(case, mri_requested_at=("2025-02-03", "08:00"))
    assert post_form(client, url(case), data).status_code == 302
    case = fresh(case)
    assert case.mri_requested_at is not None
    assert post_form(client, url(case), timeline(case, neurological=False)).status_code == 302
    case = fresh(case)
    assert case.mri_requested_at is None
    assert not case.has_neurological_signs


def test_any_member_may_record_and_the_change_is_audited_by_field_name(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "coordinator")
    data = timeline(case, mri_requested_at=("2025-02-03", "08:00"))
    assert post_form(client, url(case), data).status_code == 302
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "changed", AuditEvent.entity_type == "case")
        .order_by(AuditEvent.id.desc())
    )
    assert event.entity_id == case.id
    assert event.patient_id == case.patient_id
    assert event.user_id == members["coordinator"].id
    assert event.detail == {"fields": ["has_neurological_signs", "mri_requested_at"]}


def test_the_form_page_is_audited_as_a_view_and_needs_a_login(client, members):
    case = make_case(members, suspected_mscc=True)
    response = client.get(url(case))
    assert response.status_code == 302 and "/login" in response.location
    login(client, "physio")
    assert client.get(url(case)).status_code == 200
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "viewed", AuditEvent.entity_id == case.id)
    ).all()
    assert [(event.entity_type, event.patient_id) for event in viewed][-1] == (
        "case",
        case.patient_id,
    )
    assert client.get("/cases/999999/urgency").status_code == 404


def test_nothing_changed_saves_nothing(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    version = case.lock_version
    response = post_form(client, url(case), timeline(case, neurological=False))
    assert response.status_code == 302
    assert fresh(case).lock_version == version
    assert "Nothing to save" in text_of(client.get(response.location))


# Refusals ---------------------------------------------------------------------------------


def test_a_time_out_of_order_is_refused_beside_the_field(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    data = timeline(
        case, mri_requested_at=("2025-02-03", "08:00"), mri_done_at=("2025-02-03", "07:59")
    )
    response = post_form(client, url(case), data)
    assert response.status_code == 200
    html = text_of(response)
    assert 'id="mri_done_at_date-error"' in html
    assert "MRI done cannot be before the MRI request." in html
    assert 'value="07:59"' in html  # the member's entry is kept
    assert fresh(case).mri_requested_at is None


def test_a_date_without_a_time_and_a_future_time_are_refused(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    tomorrow = local(utcnow() + timedelta(days=1))
    data = timeline(case, mri_requested_at=("2025-02-03", ""), treatment_started_at=tomorrow)
    html = text_of(post_form(client, url(case), data))
    assert "Enter the time of “MRI requested” too, or clear its date." in html
    assert "Definitive treatment started cannot be in the future." in html


def test_a_time_skipped_by_the_clocks_going_forward_is_refused(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    # London skipped 01:00–02:00 on 30 March 2025.
    data = timeline(case, symptom_onset_at=("2025-03-30", "01:30"))
    html = text_of(post_form(client, url(case), data))
    assert "This time does not exist on that day" in html


def test_unreadable_dates_and_times_are_refused_with_an_example(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    data = timeline(case, mri_done_at=("3rd of May", "noon"))
    html = text_of(post_form(client, url(case), data))
    assert "Enter the date of “MRI done” as year-month-day, for example 2026-03-14." in html
    assert "Enter the time of “MRI done” as hours:minutes, for example 14:30." in html


def test_a_stale_edit_is_refused_with_409_and_the_entries_kept(client, members):
    case = make_case(members, suspected_mscc=True)
    login(client, "surgeon")
    form_version = case.lock_version
    # Someone else edits the case after the form was opened.
    update_case(
        case=case,
        base_lock_version=form_version,
        author=members["oncologist"],
        question="Is separation surgery still possible?",
    )
    data = timeline(case, mri_requested_at=("2025-02-03", "08:00"))
    data["lock_version"] = str(form_version)
    response = post_form(client, url(case), data)
    assert response.status_code == 409
    html = text_of(response)
    assert "Not saved: someone else changed this case" in html
    assert 'value="2025-02-03"' in html and 'value="08:00"' in html
    current = fresh(case)
    assert current.mri_requested_at is None
    assert f'name="lock_version" type="hidden" value="{current.lock_version}"' in html
    # Saving again applies the member's entries over the version now saved.
    data["lock_version"] = str(current.lock_version)
    assert post_form(client, url(case), data).status_code == 302
    assert fresh(case).mri_requested_at == datetime(2025, 2, 3, 8, 0, tzinfo=UTC)


# Urgent cases first ------------------------------------------------------------------------


def test_urgent_cases_come_first_in_every_list_of_cases(client, members):
    patient = make_patient(members, family_name="Ordering")
    older_urgent = make_case(members, patient=patient, question="Urgent one", is_urgent=True)
    routine = make_case(members, patient=patient, question="Routine one")
    mscc = make_case(members, patient=patient, question="Compression one", suspected_mscc=True)
    routine_later = make_case(members, patient=patient, question="Routine two")
    urgent_ids = {older_urgent.id, mscc.id}
    login(client, "coordinator")

    def order(html: str, ids) -> list[int]:
        found = sorted((html.index(marker), case_id) for case_id, marker in ids)
        return [case_id for _, case_id in found]

    def is_urgent_first(ordered: list[int]) -> bool:
        return set(ordered[: len(urgent_ids)]) == urgent_ids

    cases = (older_urgent, routine, mscc, routine_later)
    links = [(case.id, f'href="/cases/{case.id}"') for case in cases]

    # The patient's page and the case list.
    assert is_urgent_first(order(text_of(client.get(f"/patients/{patient.id}")), links))
    assert is_urgent_first(order(text_of(client.get("/cases/")), links))

    # The meeting's "add a case" list.
    meeting = make_meeting(members)
    page = text_of(client.get(f"/meetings/{meeting.id}"))
    select = page[
        page.index('name="case_id"') : page.index("</select>", page.index('name="case_id"'))
    ]
    options = [(case.id, f'<option value="{case.id}"') for case in cases]
    assert is_urgent_first(order(select, options))

    # The agenda: urgent cases are placed above routine ones as they are added.
    for case in (routine, older_urgent, routine_later, mscc):
        add_item(members, meeting, case)
    agenda = db.session.get(type(meeting), meeting.id)
    db.session.refresh(agenda)
    assert is_urgent_first([item.case_id for item in agenda.items])
