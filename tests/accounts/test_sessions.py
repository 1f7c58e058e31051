"""Sessions live on the server: logout, deactivation and timeouts end them for every copy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import create_app
from app.accounts import sessions
from app.accounts.models import MemberSession
from app.extensions import db
from app.timestamps import utcnow
from tests.support import PASSWORD, login, logout, post_form

PAGE = "/cases/"


def copy_of(client, app):
    """A second browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def logged_in(client) -> bool:
    return client.get(PAGE).status_code == 200


def test_a_session_cookie_copied_before_logout_is_refused_after(app, client, members):
    login(client, "oncologist")
    stolen = copy_of(client, app)
    assert logged_in(stolen)
    logout(client)
    assert not logged_in(stolen)
    assert stolen.get(PAGE).headers["Location"].startswith("/login")
    ended = db.session.query(MemberSession).one()
    assert ended.ended_reason == "logout" and ended.ended_at is not None


def test_deactivating_a_member_ends_their_sessions_at_once(app, client, members):
    login(client, "oncologist")
    admin = app.test_client()
    login(admin, "admin")
    response = post_form(
        admin,
        f"/admin/members/{members['oncologist'].id}/deactivate",
        {},
        form_url="/admin/members",
    )
    assert response.status_code == 302
    assert not logged_in(client)


def test_an_admin_password_reset_ends_the_members_sessions(app, client, members):
    login(client, "oncologist")
    admin = app.test_client()
    login(admin, "admin")
    url = f"/admin/members/{members['oncologist'].id}/password"
    fresh = "a new long passphrase for olga"
    assert (
        post_form(admin, url, {"password": fresh, "password_confirmation": fresh}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.query(MemberSession).filter_by(ended_reason="password_reset").count() == 1
    assert not logged_in(client)


def test_login_renews_the_session_token(client, members):
    login(client, "oncologist")
    with client.session_transaction() as session:
        first = session[sessions.TOKEN_KEY]
    logout(client)
    login(client, "oncologist")
    with client.session_transaction() as session:
        assert session[sessions.TOKEN_KEY] != first
    # Only the token's hash is stored.
    stored = {row.token_hash for row in db.session.query(MemberSession)}
    assert first not in stored and len(stored) == 2


@pytest.fixture
def clock(monkeypatch):
    """Move the sessions' clock forward by `clock.advance(minutes=…)`."""

    class Clock:
        offset = timedelta()

        def advance(self, **delta):
            self.offset += timedelta(**delta)

    moved = Clock()
    monkeypatch.setattr(sessions, "utcnow", lambda: utcnow() + moved.offset)
    return moved


def test_an_idle_session_times_out(client, members, clock):
    login(client, "oncologist")
    clock.advance(minutes=29)
    assert logged_in(client)  # a request restarts the idle clock
    clock.advance(minutes=29)
    assert logged_in(client)
    clock.advance(minutes=31)
    assert not logged_in(client)


def test_the_absolute_timeout_holds_however_active_the_member_is(client, members, clock):
    login(client, "oncologist")
    for _ in range(24):  # a request every 29 minutes, for 11.6 hours
        clock.advance(minutes=29)
        assert client.get("/session/keepalive").status_code == 204
    clock.advance(minutes=29)
    assert client.get("/session/keepalive").status_code == 401
    assert not logged_in(client)


def test_a_live_pages_background_requests_get_401_not_the_login_page(client, members):
    assert client.get("/session/keepalive").status_code == 401
    assert (
        client.get("/meetings/1/live?parts=agenda", headers={"HX-Request": "true"}).status_code
        == 401
    )
    assert (
        client.get("/meetings/1/events", headers={"Accept": "text/event-stream"}).status_code == 401
    )
    assert client.get(PAGE).status_code == 302


def test_production_cookies_are_host_only_secure_http_only_and_lax(monkeypatch, tmp_path):
    from flask_migrate import upgrade

    from app.accounts.services import create_member

    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app("production", {"WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        create_member(username="olga", full_name="Olga", password=PASSWORD)
        db.session.commit()
        response = app.test_client().post(
            "/login",
            data={"username": "olga", "password": PASSWORD},
            base_url="https://board.example",
        )
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-tumorboard=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    assert "Domain=" not in cookie
