"""Compile every template once, in the background, when a server process takes its first request.

Jinja compiles a template on first use, about a second for all of them: without this, the first
case brought up in a live meeting would reach every screen that much later.
"""

from __future__ import annotations

import threading

from flask import Flask


def warm_templates_on_first_request(app: Flask) -> None:
    if app.testing or not app.config.get("WARM_TEMPLATES", True):
        return
    started = threading.Event()

    @app.before_request
    def _warm_once() -> None:
        if started.is_set():
            return
        started.set()
        threading.Thread(
            target=_compile_all, args=(app,), name="template-warmup", daemon=True
        ).start()


def _compile_all(app: Flask) -> None:
    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html")):
        app.jinja_env.get_template(name)
