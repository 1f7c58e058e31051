"""The demo seed: synthetic team, six patients, two meetings; running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.cases.models import Case, Presentation
from app.decisions.models import Plan
from app.extensions import db
from app.meetings.models import Meeting
from app.seed import DEMO_MEMBERS, DEMO_PASSWORD, PAST_TITLE, UPCOMING_TITLE
from tests.support import login


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        # Logging in and viewing write audit events; the seed itself is what is compared.
        if table.name != "audit_event"
    }


def test_seed_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = _row_counts()
    audit = db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_event"]))

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert _row_counts() == counts
    assert (
        db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_event"]))
        == audit
    )
    for username in DEMO_MEMBERS:
        assert username in second.output
    assert DEMO_PASSWORD in second.output


def test_seed_builds_the_demo_board(app, client):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 8
    upcoming = db.session.scalar(select(Meeting).where(Meeting.title == UPCOMING_TITLE))
    past = db.session.scalar(select(Meeting).where(Meeting.title == PAST_TITLE))
    assert past.starts_at < upcoming.starts_at
    assert len(upcoming.items) == 6
    urgency = [item.case.is_urgent for item in upcoming.items]
    assert urgency == sorted(urgency, reverse=True), "urgent cases come first"
    assert sum(urgency) == 2
    signed = db.session.scalars(select(Plan).where(Plan.status == "signed")).all()
    assert len(signed) == 2
    assert {plan.item.meeting_id for plan in signed} == {past.id}
    # Every upcoming case is presented by all five roles.
    for item in upcoming.items:
        roles = db.session.scalars(
            select(Presentation.specialty).where(Presentation.case_id == item.case_id)
        ).all()
        assert len(set(roles)) == 5


def test_every_demo_member_can_log_in(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    for username in DEMO_MEMBERS:
        response = login(app.test_client(), username, DEMO_PASSWORD)
        assert response.status_code == 302, username


def test_seed_records_the_boards_judgements_so_noms_and_the_pathway_show(app, client):
    from app.assessment.services import case_assessment

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    upcoming = db.session.scalar(select(Meeting).where(Meeting.title == UPCOMING_TITLE))
    by_mrn = {item.case.patient.mrn: item for item in upcoming.items}
    # Example 2, judged fit for radiotherapy only: NOMS can be read, and has no surgery in it.
    paraplegic = by_mrn["SYN-0002"]
    noms = case_assessment(paraplegic.case, item=paraplegic).noms
    assert noms is not None
    assert "cebrt" in noms.options
    assert not {"separation_surgery", "open_stabilization"} & set(noms.options)
    # Example 6: the 1c grouping and the Tomita growth class are the board's, so both score.
    myeloma = case_assessment(by_mrn["SYN-0006"].case)
    assert myeloma.escc_group == "low"
    assert myeloma.tomita is not None and myeloma.tomita.total == 4
    login(client, "oncologist", DEMO_PASSWORD)
    page = client.get(f"/cases/{paraplegic.case_id}").get_data(as_text=True)
    assert "Urgency pathway" in page
