"""Rendering reads nothing but the document: no file, no network, no loopback service."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from app.decisions.services import sign_plan
from app.exports.pdf import DataOnlyFetcher, render_pdf
from tests.exports.conftest import flat, pages_text
from tests.factories import add_item, make_meeting, make_plan
from tests.support import login

PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
    "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def loopback():
    """A loopback HTTP server that counts every request it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_only_data_urls_are_read(app, loopback):
    base, hits = loopback
    fetcher = DataOnlyFetcher()
    html = f"""<html><head><link rel="stylesheet" href="{base}/style.css">
      <style>@import url("{base}/imported.css");</style></head>
      <body><p>Fetch test</p>
      <img src="file:///etc/passwd"><img src="{base}/pixel.png"><img src="{PIXEL}">
      <object data="file:///etc/hostname"></object></body></html>"""
    rendered = render_pdf(html, fetcher=fetcher)
    assert hits == []
    assert set(fetcher.refused) >= {
        "file:///etc/passwd",
        f"{base}/pixel.png",
        f"{base}/style.css",
        f"{base}/imported.css",
    }
    assert not any(url.startswith("data:") for url in fetcher.refused)
    assert "Fetch test" in pages_text(rendered.pdf)[0]


def test_urls_in_what_members_type_are_text_not_requests(client, members, loopback):
    base, hits = loopback
    item = add_item(members, make_meeting(members))
    hostile = (
        f'<img src="file:///etc/passwd"><link rel="stylesheet" href="{base}/x.css">'
        f"<script>alert(1)</script> url({base}/y.png)"
    )
    plan = make_plan(members, item, rationale=hostile)
    sign_plan(plan=plan, author=members["surgeon"], base_lock_version=plan.lock_version)
    login(client, "oncologist")
    pdf = client.get(f"/items/{item.id}/summary.pdf").data
    assert hits == []
    text = flat(" ".join(pages_text(pdf)))
    # Shown as the member typed it, not interpreted (spaces ignored: a line may break at "/").
    packed = text.replace(" ", "")
    assert '<imgsrc="file:///etc/passwd">' in packed and "<script>alert(1)</script>" in packed
    assert "root:x:0:0" not in text
    preview = client.get(f"/items/{item.id}/summary").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview and "<script>alert" not in preview
