"""A real threaded HTTP server on 127.0.0.1 serving the test app, for the event stream tests."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from tests.live.sse import Visitor


class LiveServer:
    """`wsgi` (by default the app itself) served by a threaded server on a free port."""

    def __init__(self, app, wsgi=None):
        self.server = make_server("127.0.0.1", 0, wsgi or app, threaded=True)
        self.host, self.port = "127.0.0.1", self.server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def visitor(self, username: str | None = None) -> Visitor:
        visitor = Visitor(self.host, self.port)
        if username:
            visitor.log_in(username)
        return visitor


@contextmanager
def serving(app, wsgi=None):
    """A running LiveServer for the block, with keep-alive comments every 0.2 s."""
    saved = app.config["LIVE_KEEPALIVE_SECONDS"]
    app.config["LIVE_KEEPALIVE_SECONDS"] = 0.2
    server = LiveServer(app, wsgi)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=5)
        app.config["LIVE_KEEPALIVE_SECONDS"] = saved


@pytest.fixture
def live_server(app):
    """The app served by a real threaded server on a free port (keep-alive every 0.2 s)."""
    with serving(app) as server:
        yield server
