"""Hostile and random input posted to every form of the app (Hypothesis).

Every form is found by rendering the app's pages as a member who may see them all; each example
fills every field of every form with text drawn from what attackers and accidents send: overlong
text, control characters, HTML and script, SQL fragments, numbers and dates that are not. The
app must never answer 500, and must never put the input back into a page unescaped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import login
from tests.test_routes import get_urls, make_lead, routes, scene  # noqa: F401 (the fixture)

MARKER = "<script>alert('fz')</script>"
HOSTILE = st.sampled_from(
    [
        MARKER,
        "<img src=x onerror=alert(1)>",
        "'; DROP TABLE patient; --",
        '" OR 1=1 --',
        "\x00\x01\x07\x1b[31m",
        "\u202e\u200b\ufeff",
        "9" * 40,
        "-1",
        "1e309",
        "2026-02-30",
        "31/12/1999",
        "NaN",
        "ΠΑΠΑΔΟΠΟΥΛΟΥ Zoë ≥ µ",
        "",
        " ",
    ]
)
VALUES = st.one_of(
    HOSTILE,
    st.text(max_size=40),
    # Overlong: a hostile or random piece repeated to thousands of characters.
    st.tuples(st.one_of(HOSTILE, st.text(min_size=1, max_size=8)), st.integers(200, 3000)).map(
        lambda piece: piece[0] * piece[1]
    ),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
# Posting these would end the walk (the member logs out), not test input handling.
SKIPPED_ACTIONS = ("/logout",)


class Forms(HTMLParser):
    """The POST forms of a page: action → field names (hidden fields keep their values)."""

    def __init__(self):
        super().__init__()
        self.found: dict[str, dict[str, str | None]] = {}
        self._current: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._current = self.found.setdefault(attributes.get("action") or "", {})
        elif tag in ("input", "select", "textarea") and self._current is not None:
            name = attributes.get("name")
            if name and name != "csrf_token" and not name.endswith("-csrf_token"):
                hidden = attributes.get("type") == "hidden"
                self._current.setdefault(name, attributes.get("value") if hidden else None)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def discover_forms(app, client, scene):  # noqa: F811
    forms: dict[str, dict[str, str | None]] = {}
    pages: dict[str, str] = {}
    for _, url in get_urls(app, scene):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for action, fields in parser.found.items():
            action = action or url.split("?")[0]
            if action.startswith(SKIPPED_ACTIONS):
                continue
            forms.setdefault(action, {}).update(fields)
            pages.setdefault(action, url)
    return forms, pages


def unescaped(page: str) -> bool:
    return MARKER in page or "<img src=x onerror" in page


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_form_answers_500_or_reflects_input_unescaped(app, client, scene, data):  # noqa: F811
    if not getattr(scene, "fuzz_ready", False):
        make_lead()
        assert login(client, "lead").status_code == 302
        scene.fuzz_ready = True
        scene.forms, scene.pages = discover_forms(app, client, scene)
        posting = {url for _, methods, url in routes(app, scene) if "POST" in methods}
        reached = posting & set(scene.forms)
        # Forms only shown in other states (a draft plan, a closed meeting) may be missed;
        # most must be reached, or this test proves little.
        assert len(reached) >= 0.7 * len(posting), sorted(posting - reached)
    token = _token(client)
    problems = []
    for action, fields in scene.forms.items():
        values = {
            name: (kept if kept is not None and data.draw(st.booleans()) else data.draw(VALUES))
            for name, kept in fields.items()
        }
        response = client.post(action, data={**values, "csrf_token": token})
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if response.status_code >= 500:
            problems.append(f"POST {action}: {response.status_code}")
        elif unescaped(page):
            problems.append(f"POST {action}: input reflected unescaped")
    assert problems == []


def _token(client) -> str:
    page = client.get("/cases/").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "logged out during the walk"
    return match.group(1)


def test_hostile_text_in_a_refused_form_is_kept_escaped_beside_a_clear_message(client, members):
    from html import unescape

    from tests.support import post_form

    make_lead()
    assert login(client, "lead").status_code == 302
    typed = f'{MARKER} O\'Brien "Ray" ≥ µ'
    response = post_form(
        client,
        "/patients/new",
        {
            "mrn": "'; DROP TABLE patient; --",
            "family_name": typed,
            "given_name": "\x07bell",
            "birth_date": "2026-02-30",
            "sex": "female",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not unescaped(page)
    # Kept (nothing typed is lost), as an attribute value the browser reads back verbatim.
    kept = re.search(r'<input[^>]*name="family_name"[^>]*value="([^"]*)"', page)
    assert kept is not None and unescape(kept.group(1)) == typed
    assert 'class="errors"' in page and 'aria-invalid="true"' in page
