"""Login throttling in the database, and a member's passwords: strong, their own."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.accounts import throttle
from app.accounts.models import User
from app.accounts.passwords import password_problem
from app.extensions import db
from app.timestamps import utcnow
from tests.live.conftest import live_server  # noqa: F401 (the fixture)
from tests.support import PASSWORD, login, logout, post_form, text_of

REFUSED = "Username or password not recognised."


def attempt(client, username, password, address=None):
    """A login from `address` (the test client's own by default)."""
    extra = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return post_form(client, "/login", {"username": username, "password": password}, **extra)


def refusal_of(response) -> str:
    page = text_of(response)
    start = page.index('<ul class="errors"')
    return page[start : page.index("</ul>", start)]


def fresh(username) -> User:
    db.session.expire_all()
    return db.session.query(User).filter_by(username=username).one()


def test_repeated_failures_lock_the_account_even_against_the_right_password(client, members):
    for _ in range(throttle.MAX_FAILURES):
        assert REFUSED in text_of(attempt(client, "oncologist", "wrong password 123"))
    locked = fresh("oncologist")
    assert locked.failed_logins == throttle.MAX_FAILURES and throttle.is_locked(locked)
    refused = attempt(client, "oncologist", PASSWORD)
    assert refused.status_code == 200 and REFUSED in text_of(refused)
    # Every refusal reads the same: a locked account, a wrong password, nobody by that name.
    unknown = attempt(client, "nobody-by-this-name", PASSWORD)
    assert refusal_of(refused) == refusal_of(unknown)
    # When the lock has passed, the right password gets in and the count starts again.
    locked.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert attempt(client, "oncologist", PASSWORD).status_code == 302
    assert fresh("oncologist").failed_logins == 0


def test_the_lock_grows_with_each_further_failure(client, members):
    for _ in range(throttle.MAX_FAILURES):
        attempt(client, "radiation", "wrong password 123")
    first = fresh("radiation").locked_until - utcnow()
    attempt(client, "radiation", "still the wrong one")
    second = fresh("radiation").locked_until - utcnow()
    assert timedelta(seconds=50) < first <= throttle.FIRST_LOCK
    assert timedelta(seconds=110) < second <= 2 * throttle.FIRST_LOCK


def test_failures_arriving_together_are_all_counted(live_server, members):  # noqa: F811
    """Twelve wrong passwords at once through a threaded server: the count is exact."""
    visitors = [live_server.visitor() for _ in range(12)]
    tokens = [visitor.token("/login") for visitor in visitors]

    def fail(visitor, token):
        visitor.request(
            "POST",
            "/login",
            {"username": "surgeon", "password": "wrong password 123", "csrf_token": token},
        )

    threads = [
        threading.Thread(target=fail, args=pair) for pair in zip(visitors, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert fresh("surgeon").failed_logins == 12


def test_one_address_that_fails_too_often_is_refused_for_a_while(client, members):
    for number in range(throttle.ADDRESS_LIMIT):
        attempt(client, f"guess{number}", "wrong password 123", address="10.9.9.9")
    blocked = attempt(client, "physio", PASSWORD, address="10.9.9.9")
    assert blocked.status_code == 200 and REFUSED in text_of(blocked)
    assert attempt(client, "physio", PASSWORD, address="10.1.1.1").status_code == 302


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("Password2024!", "too common"),
        ("123456789012", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("olga-oncologist-2026", "must not contain the username"),
        ("x" * 1025, "at most 1024"),
        ("purple tractor sings over quiet harbours at dawn " * 4, None),
        ("Zoë ≥ µ kürbis lantern", None),
    ],
)
def test_new_passwords_are_long_and_not_common(password, problem):
    found = password_problem(password, username="oncologist")
    assert (found is None) if problem is None else (problem in found)


def test_a_member_changes_their_password_and_their_other_sessions_end(app, client, members):
    other_device = app.test_client()
    login(other_device, "oncologist")
    login(client, "oncologist")
    new = "four quiet words of my own"
    refused = post_form(
        client,
        "/account/password",
        {"current_password": "not it", "new_password": new, "confirmation": new},
    )
    assert "That is not your current password." in text_of(refused)
    changed = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirmation": new},
    )
    assert changed.status_code == 302
    assert client.get("/cases/").status_code == 200  # this session goes on
    assert other_device.get("/cases/").status_code == 302  # the other one has ended
    logout(client)
    assert attempt(client, "oncologist", PASSWORD).status_code == 200
    assert attempt(client, "oncologist", new).status_code == 302


def test_after_an_admin_reset_the_member_must_choose_their_own(app, client, members):
    admin = app.test_client()
    login(admin, "admin")
    given = "temporary words from the admin"
    url = f"/admin/members/{members['physio'].id}/password"
    assert (
        post_form(admin, url, {"password": given, "password_confirmation": given}).status_code
        == 302
    )
    response = attempt(client, "physio", given)
    assert response.headers["Location"] == "/account/password"
    assert client.get("/cases/").headers["Location"] == "/account/password"
    page = text_of(client.get("/account/password"))
    assert "An administrator set your password" in page
    own = "my very own new passphrase"
    post_form(
        client,
        "/account/password",
        {"current_password": given, "new_password": own, "confirmation": own},
    )
    assert client.get("/cases/").status_code == 200
    assert fresh("physio").must_change_password is False
