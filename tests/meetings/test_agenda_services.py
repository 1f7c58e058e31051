"""Agenda rules called directly: one open agenda per case, ordering, removal, races."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditEvent
from app.cases.models import Case
from app.extensions import db
from app.meetings import services
from app.meetings.models import AgendaItem, Meeting
from tests.factories import (
    add_item,
    agenda_order,
    close_meeting,
    future,
    make_case,
    make_meeting,
)


def test_adding_puts_the_case_at_the_end_and_marks_it_on_agenda(app, members):
    meeting = make_meeting(members)
    first, second = make_case(members), make_case(members)
    item = add_item(members, meeting, first, minutes=15)
    add_item(members, meeting, second)
    assert agenda_order(meeting.id) == [first.id, second.id]
    db.session.expire_all()
    assert db.session.get(Case, first.id).status == "on_agenda"
    assert (item.position, item.planned_minutes, item.status, item.is_active) == (
        1,
        15,
        "pending",
        True,
    )


def test_urgent_case_goes_after_the_last_urgent_one(app, members):
    meeting = make_meeting(members)
    routine_a, urgent_a, routine_b, urgent_b = (
        make_case(members),
        make_case(members, is_urgent=True),
        make_case(members),
        make_case(members, is_urgent=True),
    )
    for case in (routine_a, urgent_a, routine_b, urgent_b):
        add_item(members, meeting, case)
    assert agenda_order(meeting.id) == [urgent_a.id, urgent_b.id, routine_a.id, routine_b.id]
    positions = [item.position for item in db.session.get(Meeting, meeting.id).items]
    assert positions == [1, 2, 3, 4]


def test_the_same_case_cannot_be_added_twice(app, members):
    first_meeting = make_meeting(members, title="First board")
    second_meeting = make_meeting(members, title="Second board", starts_at=future(14))
    case = make_case(members)
    item = add_item(members, first_meeting, case)
    for meeting in (second_meeting, first_meeting):
        with pytest.raises(services.CaseAlreadyOnAgenda) as refused:
            add_item(members, meeting, case)
        assert refused.value.item.id == item.id
        assert refused.value.item.meeting.title == "First board"
    assert agenda_order(second_meeting.id) == []
    assert agenda_order(first_meeting.id) == [case.id]


def test_partial_unique_index_refuses_a_second_active_item(app, members):
    first_meeting = make_meeting(members)
    second_meeting = make_meeting(members, starts_at=future(14))
    case = make_case(members)
    db.session.add(AgendaItem(meeting_id=first_meeting.id, case_id=case.id, position=1))
    db.session.commit()
    db.session.add(AgendaItem(meeting_id=second_meeting.id, case_id=case.id, position=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # An inactive item (a closed meeting's) does not count.
    db.session.add(
        AgendaItem(meeting_id=second_meeting.id, case_id=case.id, position=1, is_active=False)
    )
    db.session.commit()


def test_a_case_from_a_closed_meeting_can_go_on_a_new_agenda(app, members):
    old_meeting = make_meeting(members, title="Last week")
    case = make_case(members)
    add_item(members, old_meeting, case)
    close_meeting(old_meeting)
    new_meeting = make_meeting(members, starts_at=future(14))
    item = add_item(members, new_meeting, case)
    assert item.is_active
    assert services.active_item_for_case(case.id).id == item.id


def test_closed_meeting_and_closed_case_are_refused(app, members):
    meeting = make_meeting(members)
    closed_case = make_case(members, status="closed")
    with pytest.raises(services.ChangeRefused, match="This case is closed"):
        add_item(members, meeting, closed_case)
    meeting.status = "closed"
    db.session.commit()
    with pytest.raises(services.ChangeRefused, match="This meeting is closed"):
        add_item(members, meeting)
    assert agenda_order(meeting.id) == []


def test_planned_minutes_must_be_within_range(app, members):
    meeting = make_meeting(members)
    with pytest.raises(services.ChangeRefused, match="between 1 and 120"):
        add_item(members, meeting, make_case(members), minutes=121)
    item = add_item(members, meeting)
    with pytest.raises(services.ChangeRefused, match="between 1 and 120"):
        services.set_planned_minutes(item=item, minutes=0, author=members["coordinator"])
    services.set_planned_minutes(item=item, minutes=25, author=members["coordinator"])
    db.session.expire_all()
    assert db.session.get(AgendaItem, item.id).planned_minutes == 25


def test_removing_frees_the_case_and_closes_the_gap(app, members):
    meeting = make_meeting(members)
    cases = [make_case(members) for _ in range(3)]
    items = [add_item(members, meeting, case) for case in cases]
    services.remove_from_agenda(item=items[1], author=members["coordinator"])
    assert agenda_order(meeting.id) == [cases[0].id, cases[2].id]
    assert [item.position for item in db.session.get(Meeting, meeting.id).items] == [1, 2]
    assert db.session.get(Case, cases[1].id).status == "ready"
    assert services.active_item_for_case(cases[1].id) is None
    # Freed: it may come back, to this meeting or another.
    add_item(members, meeting, db.session.get(Case, cases[1].id))
    assert agenda_order(meeting.id) == [cases[0].id, cases[2].id, cases[1].id]


def test_only_a_waiting_item_can_be_removed(app, members):
    meeting = make_meeting(members)
    case = make_case(members)
    item = add_item(members, meeting, case)
    item.status = "discussed"
    db.session.commit()
    with pytest.raises(services.ChangeRefused, match="still waiting"):
        services.remove_from_agenda(item=item, author=members["coordinator"])
    assert agenda_order(meeting.id) == [case.id]


def test_move_and_order_urgent_first_keep_the_order_within_groups(app, members):
    meeting = make_meeting(members)
    cases = [make_case(members) for _ in range(4)]
    items = [add_item(members, meeting, case) for case in cases]
    coordinator = members["coordinator"]
    assert services.move_item(item=items[0], direction="up", author=coordinator) is False
    assert services.move_item(item=items[3], direction="down", author=coordinator) is False
    assert services.move_item(item=items[2], direction="up", author=coordinator) is True
    a, b, c, d = (case.id for case in cases)
    assert agenda_order(meeting.id) == [a, c, b, d]
    # Two cases become urgent after they were placed; ordering puts them first, stably.
    for case_id in (b, d):
        db.session.get(Case, case_id).is_urgent = True
    db.session.commit()
    meeting = db.session.get(Meeting, meeting.id)
    assert services.order_urgent_first(meeting=meeting, author=coordinator) is True
    assert agenda_order(meeting.id) == [b, d, a, c]
    meeting = db.session.get(Meeting, meeting.id)
    assert services.order_urgent_first(meeting=meeting, author=coordinator) is False


def test_every_change_is_audited_with_ids_and_field_names_only(app, members):
    meeting = make_meeting(members)
    case = make_case(members, family_name="Privatename", question="Very private clinical question")
    item = add_item(members, meeting, case)
    coordinator = members["coordinator"]
    services.set_planned_minutes(item=item, minutes=20, author=coordinator)
    services.order_urgent_first(meeting=db.session.get(Meeting, meeting.id), author=coordinator)
    services.remove_from_agenda(item=db.session.get(AgendaItem, item.id), author=coordinator)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "agenda_item").order_by(AuditEvent.id)
    ).all()
    assert [event.action for event in events] == ["created", "changed", "changed"]
    assert {event.patient_id for event in events} == {case.patient_id}
    assert {event.user_id for event in events} == {coordinator.id}
    assert events[1].detail["fields"] == ["planned_minutes"]
    assert events[2].detail["change"] == "removed_from_agenda"
    text = repr([event.detail for event in events])
    assert "Privatename" not in text and "private" not in text and "SYN-" not in text


@pytest.mark.parametrize(
    "marks_case", [False, True], ids=["caught-by-the-index", "caught-by-the-case-version"]
)
def test_a_simultaneous_add_names_the_winner(app, members, marks_case):
    """The other coordinator's add commits between our check and our insert.

    Either it only inserted its item (the partial unique index refuses ours), or it also
    marked the case, as the service does (the case's lock version refuses ours).
    """
    ours = make_meeting(members, title="Our board")
    theirs = make_meeting(members, title="Their board", starts_at=future(14))
    case = make_case(members)
    case_id, their_meeting_id = case.id, theirs.id

    def competitor(session, flush_context, instances):
        with db.engine.connect() as other:
            if marks_case:
                other.execute(
                    update(Case)
                    .where(Case.id == case_id)
                    .values(status="on_agenda", lock_version=Case.lock_version + 1)
                )
            other.execute(
                insert(AgendaItem).values(
                    meeting_id=their_meeting_id,
                    case_id=case_id,
                    position=1,
                    planned_minutes=10,
                    status="pending",
                    is_active=True,
                )
            )
            other.commit()

    event.listen(db.session(), "before_flush", competitor, once=True)
    with pytest.raises(services.CaseAlreadyOnAgenda) as refused:
        add_item(members, ours, case)
    assert refused.value.item.meeting_id == their_meeting_id
    assert agenda_order(ours.id) == []
