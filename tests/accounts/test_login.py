"""Logging in and out: passwords, sessions, redirects and refusals."""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.audit.models import AuditEvent
from app.extensions import db
from tests.support import PASSWORD, csrf_token, login, post_form, text_of

REFUSED = "Username or password not recognised."


def logged_in(client) -> bool:
    """A page only members see: 302 to the login page means nobody is logged in."""
    response = client.get("/admin/members")
    return response.status_code != 302


def log_out(client):
    # Every page of a logged-in member carries the log-out form, even a refusal.
    token = csrf_token(text_of(client.get("/admin/members")))
    return client.post("/logout", data={"csrf_token": token})


def test_login_then_logout(client, members):
    response = login(client, "oncologist")
    assert response.status_code == 302
    assert logged_in(client)
    response = log_out(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not logged_in(client)
    assert "You are logged out." in text_of(client.get("/login"))


def test_login_records_the_time_and_an_event(client, members):
    login(client, "surgeon")
    surgeon = db.session.get(User, members["surgeon"].id)
    db.session.refresh(surgeon)
    assert surgeon.last_login_at is not None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).all()
    assert [(e.user_id, e.entity_type, e.entity_id) for e in events] == [
        (surgeon.id, "user", surgeon.id)
    ]


def test_wrong_password_is_refused_with_message_next_to_field(client, members):
    response = login(client, "oncologist", "wrong password here")
    assert response.status_code == 200
    html = text_of(response)
    assert re.search(r'id="password-error"><li>' + re.escape(REFUSED), html)
    assert 'value="oncologist"' in html  # the typed username is kept
    assert not logged_in(client)


def test_passwords_are_stored_as_argon2id(app, members):
    for member in members.values():
        assert member.password_hash.startswith("$argon2id$")
        assert PASSWORD not in member.password_hash


def test_login_rehashes_when_the_cost_changes(app, client, members, monkeypatch):
    old_hash = members["oncologist"].password_hash
    new_cost = app.config["ARGON2_TIME_COST"] + 1
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", new_cost)

    assert login(client, "oncologist").status_code == 302

    db.session.expire_all()
    new_hash = db.session.get(User, members["oncologist"].id).password_hash
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$")
    assert f"t={new_cost}" in new_hash
    assert verify_password(new_hash, PASSWORD)


def test_login_keeps_the_hash_when_the_cost_is_unchanged(client, members):
    old_hash = members["oncologist"].password_hash
    login(client, "oncologist")
    db.session.expire_all()
    assert db.session.get(User, members["oncologist"].id).password_hash == old_hash


def test_login_starts_a_new_session(client, members):
    client.get("/login")
    with client.session_transaction() as session:
        session["probe"] = "x"
    cookie_before = client.get_cookie("session").value

    assert login(client, "oncologist").status_code == 302

    with client.session_transaction() as session:
        assert "probe" not in session
        assert session["_user_id"] == str(members["oncologist"].id)
    assert client.get_cookie("session").value != cookie_before


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "http:/evil.example",
        " //evil.example",
    ],
)
def test_next_url_leaving_the_site_is_refused(client, members, next_url):
    response = login(client, "oncologist", next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_url_on_the_site_is_honoured(client, members):
    response = login(client, "oncologist", next_url="/meetings/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/meetings/"


def test_login_required_page_comes_back_after_login(client, members):
    response = client.get("/admin/members")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fmembers"
    page = client.get(response.headers["Location"])
    assert 'name="next" type="hidden" value="/admin/members"' in text_of(page)
    data = {
        "username": "admin",
        "password": PASSWORD,
        "next": "/admin/members",
        "csrf_token": csrf_token(text_of(page)),
    }
    response = client.post("/login", data=data)
    assert response.headers["Location"] == "/admin/members"
    assert client.get("/admin/members").status_code == 200


def test_deactivated_member_cannot_log_in(app, client, members):
    members["physio"].is_active = False
    db.session.commit()
    response = login(client, "physio")
    assert response.status_code == 200
    assert REFUSED in text_of(response)
    assert not logged_in(client)


def _refusal_page(response, typed_username: str) -> str:
    """The page with what legitimately differs (the token, the typed name) taken out."""
    html = text_of(response)
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "TOKEN", html)
    return html.replace(f'value="{typed_username}"', 'value="TYPED"')


def test_refusals_do_not_tell_whether_the_account_exists(app, client, members):
    members["physio"].is_active = False
    db.session.commit()
    attempts = {
        "unknown member": ("nobody-here", PASSWORD),
        "wrong password": ("oncologist", "not the right password"),
        "deactivated": ("physio", PASSWORD),
    }
    pages = {}
    for reason, (username, password) in attempts.items():
        response = login(client, username, password)
        assert response.status_code == 200, reason
        assert REFUSED in text_of(response), reason
        pages[reason] = _refusal_page(response, username)
    assert len(set(pages.values())) == 1
    refused = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "login_failed")
    ).all()
    assert [(e.user_id, e.entity_id, e.detail) for e in refused] == [(None, None, {})] * 3


def test_member_deactivated_while_logged_in_is_logged_out(app, client, members):
    login(client, "oncologist")
    assert logged_in(client)

    admin_client = app.test_client()
    login(admin_client, "admin")
    member_id = members["oncologist"].id
    response = post_form(
        admin_client, f"/admin/members/{member_id}/deactivate", form_url="/admin/members"
    )
    assert response.status_code == 302

    response = client.get("/admin/members")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_without_csrf_token_is_refused(client, members):
    client.get("/login")
    response = client.post("/login", data={"username": "oncologist", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in text_of(response)
    assert not logged_in(client)


def test_logout_without_csrf_token_is_refused(client, members):
    login(client, "oncologist")
    response = client.post("/logout", data={})
    assert response.status_code == 400
    assert logged_in(client)


def test_logout_by_get_is_not_allowed(client, members):
    login(client, "oncologist")
    assert client.get("/logout").status_code == 405
    assert logged_in(client)


def test_login_page_sends_a_logged_in_member_on(client, members):
    login(client, "oncologist")
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
