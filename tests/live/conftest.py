"""A real threaded HTTP server on 127.0.0.1 serving the test app, for the event stream tests."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.live.sse import Visitor


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.host, self.port = "127.0.0.1", self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def visitor(self, username: str | None = None) -> Visitor:
        visitor = Visitor(self.host, self.port)
        if username:
            visitor.log_in(username)
        return visitor


@pytest.fixture
def live_server(app):
    """The app served by a real threaded server on a free port (keep-alive every 0.2 s)."""
    saved = app.config["LIVE_KEEPALIVE_SECONDS"]
    app.config["LIVE_KEEPALIVE_SECONDS"] = 0.2
    server = LiveServer(app)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=5)
        app.config["LIVE_KEEPALIVE_SECONDS"] = saved
