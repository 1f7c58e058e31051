"""A server process compiles every template after its first request, off the request path."""

from __future__ import annotations

import threading

from app import create_app

BOUND = 30.0  # seconds to wait for the background compile; a bound, not a timing assertion


def test_the_first_request_compiles_every_template_in_the_background(tmp_path):
    app = create_app(
        "development",
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'warm.sqlite3'}", "TESTING": False},
    )
    templates = app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    assert len(app.jinja_env.cache) == 0
    app.test_client().get("/login")
    warmer = next(t for t in threading.enumerate() if t.name == "template-warmup")
    warmer.join(BOUND)
    cached = {key[1] for key in app.jinja_env.cache}
    assert set(templates) <= cached


def test_the_test_suite_and_commands_skip_it(app):
    app.test_client().get("/login")
    assert "template-warmup" not in {t.name for t in threading.enumerate()}
