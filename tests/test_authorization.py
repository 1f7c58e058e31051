"""The authorization table (app/accounts/authorization.py) names every rule of the app, and the
app answers every rule, for every kind of member, as the table says."""

from __future__ import annotations

import pytest

from app.accounts.authorization import RULES, Access
from tests.support import csrf_token, login, text_of
from tests.test_routes import make_lead, routes, scene  # noqa: F401 (the fixture)

# The kinds of visitor the walk takes, and who each is in the scene: the scene's meeting is
# chaired by "surgeon"; "surgeon2" shares the specialty but chairs nothing; "physio" is another
# plain member.
ROLES = {
    "anonymous": None,
    "member": "oncologist",
    "other member": "physio",
    "chair": "surgeon",
    "same specialty, not the chair": "surgeon2",
    "coordinator": "coordinator",
    "admin": "admin",
}
ALLOWED = {
    Access.ANYONE: set(ROLES),
    Access.MEMBER: set(ROLES) - {"anonymous"},
    Access.OWN: set(ROLES) - {"anonymous"},
    Access.SPECIALIST: {"member", "other member", "chair", "same specialty, not the chair"},
    Access.CHOOSER: {
        "member",
        "other member",
        "chair",
        "same specialty, not the chair",
        "coordinator",
    },
    Access.CHAIR: {"chair", "coordinator"},
    Access.COORDINATOR: {"coordinator"},
    Access.ADMIN: {"admin"},
}
# Not walked: the stream never ends, logging out ends the walk (both tested elsewhere).
NOT_WALKED = {"live.meeting_events", "accounts.logout", "static"}


def test_every_rule_and_method_is_in_the_table(app):
    declared = {(endpoint, method) for endpoint, methods in RULES.items() for method in methods}
    present = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(present - declared) == [], "rules the table does not name"
    assert sorted(declared - present) == [], "the table names rules the app does not have"


def refused(response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code in (401, 403) or (
        response.status_code == 302 and location.startswith("/login")
    )


@pytest.mark.parametrize("role", list(ROLES))
def test_every_rule_answers_as_the_table_says(app, scene, role):  # noqa: F811
    client = app.test_client()
    if ROLES[role] is not None:
        assert login(client, ROLES[role]).status_code == 302
    token = csrf_token(text_of(client.get("/login" if ROLES[role] is None else "/cases/")))
    mismatches = []
    for endpoint, methods, url in routes(app, scene):
        if endpoint in NOT_WALKED:
            continue
        for method in sorted(methods):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.open(url, method=method, data={"csrf_token": token})
            expected = role in ALLOWED[RULES[endpoint][method]]
            if refused(response) == expected:
                mismatches.append(
                    f"{method} {url} ({endpoint}): {response.status_code}, the table says "
                    f"{RULES[endpoint][method].value}"
                )
            response.close()
    assert mismatches == []
