"""Helpers for tests: members, logging in, posting forms with their CSRF token, counting SQL."""

from __future__ import annotations

import re
from contextlib import contextmanager
from html import unescape

from sqlalchemy import event

from app.accounts.services import create_member
from app.extensions import db

PASSWORD = "correct horse battery staple"  # synthetic, for tests only

# username: (full name, specialty, is_admin, is_coordinator)
MEMBERS = {
    "admin": ("Ada Admin", None, True, False),
    "coordinator": ("Cora Coordinator", None, False, True),
    "oncologist": ("Olga Oncologist", "medical_oncology", False, False),
    "radiation": ("Rafael Radiation", "radiation_oncology", False, False),
    "radiologist": ("Ines Radiologist", "interventional_radiology", False, False),
    "surgeon": ("Sven Surgeon", "spine_surgery", False, False),
    "physio": ("Pia Physio", "physiotherapy", False, False),
    "surgeon2": ("Sam Second-Surgeon", "spine_surgery", False, False),
}


def make_members() -> dict:
    users = {}
    for username, (full_name, specialty, is_admin, is_coordinator) in MEMBERS.items():
        users[username] = create_member(
            username=username,
            full_name=full_name,
            password=PASSWORD,
            specialty=specialty,
            is_admin=is_admin,
            is_coordinator=is_coordinator,
        )
    db.session.commit()
    return users


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _TOKEN.search(html)
    assert match, "page has no CSRF token"
    return unescape(match.group(1))


def get_token(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_token(response.get_data(as_text=True))


def post_form(
    client,
    url: str,
    data: dict | None = None,
    *,
    form_url: str | None = None,
    token_field: str = "csrf_token",  # noqa: S107 (a field name, not a secret)
    **kw,
):
    """POST `data` to `url` with a valid CSRF token taken from `form_url` (default `url`),
    under `token_field` (a prefixed form names it after its prefix)."""
    data = dict(data or {})
    data.setdefault(token_field, get_token(client, form_url or url))
    return client.post(url, data=data, **kw)


def login(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return post_form(client, "/login", data, form_url="/login")


def logout(client):
    return post_form(client, "/logout", {}, form_url="/cases/")


def text_of(response) -> str:
    return response.get_data(as_text=True)


@contextmanager
def count_queries():
    """Count SQL statements sent in the block: `with count_queries() as n: ...`, then `n[0]`."""
    counter = [0]

    def before(*args, **kwargs):
        counter[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


def postgres_admin_url() -> str:
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_available() -> str | None:
    """None when the PostgreSQL server answers; otherwise why not."""
    try:
        import psycopg

        with psycopg.connect(postgres_admin_url(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure means: not available here
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return None
