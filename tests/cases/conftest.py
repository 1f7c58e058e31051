"""Fixtures for case tests: patients and cases made through the services, as the app makes them."""

from datetime import date
from itertools import count

import pytest

from app.cases.services import open_case
from app.patients.services import register_patient


@pytest.fixture
def make_case(members):
    """Register a patient and open a case for them; keyword arguments override the defaults."""
    numbers = count(1)

    def make(
        *,
        mrn=None,
        family_name="Testperson",
        given_name="Alex",
        question="Radiotherapy alone, or surgery first?",
        primary_site="lung",
        histology="Adenocarcinoma",
        levels=("T4",),
        is_urgent=False,
        suspected_mscc=False,
        author="surgeon",
        patient=None,
    ):
        number = next(numbers)
        if patient is None:
            patient = register_patient(
                mrn=mrn or f"SYN-{number:04d}",
                family_name=family_name,
                given_name=given_name,
                birth_date=date(1960, 1, 15),
                sex="female",
                author=members[author],
            )
        return open_case(
            patient=patient,
            question=question,
            primary_site=primary_site,
            histology=histology,
            levels=list(levels),
            is_urgent=is_urgent,
            suspected_mscc=suspected_mscc,
            referring_clinician="Dr Referrer",
            author=members[author],
        )

    return make
