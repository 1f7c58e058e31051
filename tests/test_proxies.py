"""Behind a reverse proxy: the client's address and scheme come from the proxy's headers, and
only when the proxy is declared (TRUSTED_PROXIES); a client cannot choose its own address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from app.accounts import throttle
from app.audit.models import AuditEvent
from app.extensions import db
from config import Config
from tests.support import PASSWORD, post_form, text_of

REFUSED = "Username or password not recognised."
WRONG = "not the password 123"  # a wrong password, on purpose
PROXY = "10.0.0.2"  # the proxy's own address, as the app sees the connection


@pytest.fixture
def proxied_client(app):
    """A client of the same database through an app that trusts one proxy in front of it."""
    proxied = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TRUSTED_PROXIES": 1},
    )
    proxied.test_client_class = app.test_client_class
    yield proxied.test_client()
    with proxied.app_context():
        db.engine.dispose()


def login_from(client, forwarded_for: str | None, username="oncologist", password=WRONG):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return post_form(
        client,
        "/login",
        {"username": username, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": PROXY},
    )


def recorded_addresses() -> list[str]:
    db.session.expire_all()
    query = select(AuditEvent.remote_addr).where(AuditEvent.action == "login_failed")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_without_a_declared_proxy_a_forwarded_address_is_ignored(client, members):
    login_from(client, "203.0.113.7")
    assert recorded_addresses() == [PROXY]


def test_behind_a_declared_proxy_the_address_is_the_one_it_appended(proxied_client, members):
    # The client wrote its own X-Forwarded-For; the proxy appended the real address.
    login_from(proxied_client, "198.51.100.66, 203.0.113.7")
    assert recorded_addresses() == ["203.0.113.7"]


def test_behind_a_proxy_one_guessing_address_does_not_lock_out_the_others(proxied_client, members):
    for number in range(throttle.ADDRESS_LIMIT):
        login_from(proxied_client, "203.0.113.7", username=f"guess{number}")
    blocked = login_from(proxied_client, "203.0.113.7", username="physio", password=PASSWORD)
    assert REFUSED in text_of(blocked)
    # Every member comes through the same proxy, yet a colleague elsewhere still gets in.
    colleague = login_from(proxied_client, "203.0.113.8", username="physio", password=PASSWORD)
    assert colleague.status_code == 302


def test_behind_a_proxy_the_scheme_is_the_one_it_forwarded(proxied_client, members):
    # Over HTTPS, CSRF protection also requires a referrer from this site.
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    data = {"username": "physio", "password": PASSWORD}
    no_referrer = post_form(proxied_client, "/login", data, headers=https)
    assert no_referrer.status_code == 400 and "Referer header" in text_of(no_referrer)
    same_site = {**https, "Referer": "https://localhost/login"}
    assert post_form(proxied_client, "/login", data, headers=same_site).status_code == 302


def test_without_a_declared_proxy_a_forwarded_scheme_is_ignored(client, members):
    # Plain HTTP as far as the app knows: no referrer is required, whatever the header says.
    https = {"X-Forwarded-Proto": "https"}
    data = {"username": "physio", "password": PASSWORD}
    assert post_form(client, "/login", data, headers=https).status_code == 302


@pytest.mark.parametrize("value", ["one", "-1", ""])
def test_a_proxy_count_that_is_not_a_count_is_refused_with_its_meaning(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(RuntimeError, match="number of reverse proxies"):
        Config.from_environment()
