"""The case list: search, filters, order, pagination, and a query count that does not grow."""

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.cases.services import add_presentation, mark_ready
from app.extensions import db
from tests.factories import make_case
from tests.support import count_queries, login, text_of


def mrns_in(response) -> list[str]:
    return re.findall(r"<td>(SYN-\d{4}|XYZ-\d+)</td>", text_of(response))


def test_search_by_mrn_prefix_or_name(client, members):
    make_case(members, mrn="SYN-0101", family_name="Ashdown", given_name="Peter")
    make_case(members, mrn="SYN-0102", family_name="Brierley", given_name="Graham")
    make_case(members, mrn="XYZ-7", family_name="Calloway", given_name="Helen")
    login(client, "surgeon")
    assert sorted(mrns_in(client.get("/cases/?q=syn-01"))) == ["SYN-0101", "SYN-0102"]
    assert mrns_in(client.get("/cases/?q=SYN-0101")) == ["SYN-0101"]
    assert mrns_in(client.get("/cases/?q=ASHD")) == ["SYN-0101"]
    assert mrns_in(client.get("/cases/?q=graham")) == ["SYN-0102"]
    assert mrns_in(client.get("/cases/?q=ELEN")) == ["XYZ-7"]
    assert mrns_in(client.get("/cases/?q=Peter+Ashdown")) == ["SYN-0101"]
    assert mrns_in(client.get("/cases/?q=Ashdown%2C+Peter")) == ["SYN-0101"]
    assert mrns_in(client.get("/cases/?q=0101")) == []  # an MRN matches from its start
    assert mrns_in(client.get("/cases/?q=%25")) == []  # wildcards are plain characters
    assert "No case matches this search." in text_of(client.get("/cases/?q=nobody"))


def test_filter_by_status_and_urgency(client, members):
    make_case(members, mrn="SYN-0001")
    ready = make_case(members, mrn="SYN-0002")
    mark_ready(case=ready, author=members["coordinator"])
    make_case(members, mrn="SYN-0003", suspected_mscc=True)
    login(client, "surgeon")
    assert mrns_in(client.get("/cases/?status=ready")) == ["SYN-0002"]
    assert sorted(mrns_in(client.get("/cases/?status=draft"))) == ["SYN-0001", "SYN-0003"]
    assert mrns_in(client.get("/cases/?urgent=y")) == ["SYN-0003"]
    assert mrns_in(client.get("/cases/?urgent=y&status=ready")) == []
    # An unknown status is no filter at all.
    assert len(mrns_in(client.get("/cases/?status=bogus"))) == 3


def test_urgent_cases_first_then_newest(client, members):
    make_case(members, mrn="SYN-0001")
    make_case(members, mrn="SYN-0002", is_urgent=True)
    make_case(members, mrn="SYN-0003")
    make_case(members, mrn="SYN-0004", suspected_mscc=True)
    login(client, "surgeon")
    assert mrns_in(client.get("/cases/")) == ["SYN-0004", "SYN-0002", "SYN-0003", "SYN-0001"]


def test_list_shows_what_a_member_scans_for(client, members):
    case = make_case(
        members,
        mrn="SYN-0005",
        family_name="Everleigh",
        given_name="Martin",
        levels=("L3", "T9"),
        primary_site="colon",
        suspected_mscc=True,
    )
    for username, specialty in (("surgeon", "spine_surgery"), ("surgeon2", "spine_surgery")):
        add_presentation(
            case=case,
            author=members[username],
            specialty=specialty,
            summary="Seen.",
            fields={},
            lesions=[],
        )
    add_presentation(
        case=case,
        author=members["physio"],
        specialty="physiotherapy",
        summary="",
        fields={"mobility": "with_aid"},
        lesions=[],
    )
    login(client, "oncologist")
    page = text_of(client.get("/cases/"))
    for shown in (
        "EVERLEIGH, Martin",
        "SYN-0005",
        "T9, L3",
        "Colon",
        "Draft",
        "Urgent: suspected cord compression",
        f'href="/cases/{case.id}"',
        'title="2 entries">Spine surgery</span>',
        'title="1 entry">Physiotherapy</span>',
        "(2 of 5 roles)",
    ):
        assert shown in page, shown


def test_the_list_records_one_view_without_the_search_text(client, members):
    case = make_case(members, family_name="Ashdown")
    login(client, "oncologist")
    client.get("/cases/?q=Ashdown")
    (viewed,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "viewed")).all()
    assert viewed.entity_type == "case_list"
    assert viewed.detail == {"case_ids": [case.id]}
    assert [link.patient_id for link in viewed.patients] == [case.patient_id]


def test_pages_of_fifty(client, members):
    for _ in range(51):
        make_case(members)
    login(client, "oncologist")
    first = client.get("/cases/")
    assert len(mrns_in(first)) == 50
    assert "Page 1 of 2" in text_of(first)
    assert "/cases/?page=2" in text_of(first)
    second = client.get("/cases/?page=2")
    assert mrns_in(second) == ["SYN-0001"]  # the oldest comes last
    assert mrns_in(client.get("/cases/?page=9")) == []


def test_query_count_is_the_same_for_3_and_30_cases(client, members):
    def add_cases(n):
        for i in range(n):
            case = make_case(members, is_urgent=i % 3 == 0)
            add_presentation(
                case=case,
                author=members["oncologist"],
                specialty="medical_oncology",
                summary="",
                fields={"kps": 70},
                lesions=[],
            )

    login(client, "surgeon")
    add_cases(3)
    client.get("/cases/")
    with count_queries() as few:
        assert len(mrns_in(client.get("/cases/"))) == 3
    add_cases(27)
    client.get("/cases/")
    with count_queries() as many:
        assert len(mrns_in(client.get("/cases/"))) == 30
    assert few[0] == many[0]
