"""Every response carries the security headers, and no page needs inline script or style."""

from __future__ import annotations

import re

import pytest

from app import create_app
from tests.support import login, text_of
from tests.test_routes import get_urls, make_lead, scene  # noqa: F401 (the fixture)

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


def header_problems(label: str, response) -> list[str]:
    headers = response.headers
    problems = []
    policy = headers.get("Content-Security-Policy", "")
    for needed in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        if needed not in policy:
            problems.append(f"{label}: CSP lacks {needed}")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append(f"{label}: CSP allows unsafe-inline or unsafe-eval")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    for name, value in expected.items():
        if headers.get(name) != value:
            problems.append(f"{label}: {name} is {headers.get(name)!r}")
    if "Strict-Transport-Security" in headers:
        problems.append(f"{label}: HSTS outside production")
    return problems


def inline_problems(label: str, response) -> list[str]:
    if response.mimetype != "text/html":
        return []
    page = text_of(response)
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("inline handler", INLINE_HANDLER),
        ("style attribute", STYLE_ATTRIBUTE),
    ):
        match = pattern.search(page)
        if match:
            found.append(f"{label}: {name} {match.group(0)[:80]!r}")
    return found


def test_every_page_document_and_error_carries_the_headers(app, client, scene):  # noqa: F811
    problems = []
    # As an anonymous visitor: the login page, redirects, static files, unknown pages.
    for endpoint, url in get_urls(app, scene):
        response = client.get(url)
        problems += header_problems(f"anonymous GET {url} ({endpoint})", response)
    make_lead()
    assert login(client, "lead").status_code == 302
    for endpoint, url in get_urls(app, scene):
        response = client.get(url)
        label = f"GET {url} ({endpoint}) {response.status_code}"
        problems += header_problems(label, response) + inline_problems(label, response)
    for label, response in (
        ("404", client.get("/no/such/page")),
        ("405", client.put("/cases/")),
        ("400 without a CSRF token", client.post("/logout", data={})),
        ("static", client.get("/static/live.js")),
        ("vendored script", client.get("/static/vendor/htmx-2.0.11.min.js")),
    ):
        problems += header_problems(label, response) + inline_problems(label, response)
        response.close()  # a static file is sent from an open file
    stream = client.get(f"/meetings/{scene.meeting.id}/events", buffered=False)
    problems += header_problems("event stream", stream)
    stream.close()
    assert problems == []


def test_production_adds_hsts(tmp_path):
    app = create_app(
        "testing",
        {"SECURITY_HSTS": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.db'}"},
    )
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("name", ["live.js", "vendor/htmx-2.0.11.min.js"])
def test_the_scripts_need_no_eval(name):
    """The vendored htmx is configured without eval; our own script never calls it."""
    from pathlib import Path

    source = (Path(__file__).parents[1] / "app" / "static" / name).read_text()
    if name == "live.js":
        assert "eval(" not in source and "new Function" not in source
    else:
        # htmx only evaluates when allowEval is on; the pages turn it off.
        assert "allowEval" in source
    page = (Path(__file__).parents[1] / "app" / "templates" / "macros" / "live.html").read_text()
    assert '"allowEval": false' in page and '"includeIndicatorStyles": false' in page
