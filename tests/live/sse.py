"""A small HTTP client for a real server: logs in with cookies and reads event streams."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlencode

from tests.support import PASSWORD

READ_TIMEOUT = 5.0  # a bound on waiting for a message, not a timing assertion
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Message:
    id: str | None
    event: str | None
    data: dict


class Visitor:
    """One member's browser against the server at host:port: cookies, CSRF tokens, streams."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        """The response status, headers and text of one request (connection closed)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=READ_TIMEOUT)
        try:
            all_headers = {"Cookie": self._cookie_header(), **(headers or {})}
            data = None
            if body is not None:
                data = urlencode(body)
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            self._keep_cookies(response)
            return response.status, response.headers, response.read().decode()
        finally:
            conn.close()

    def token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, (path, status)
        match = _TOKEN.search(page)
        assert match, f"{path} has no CSRF token"
        return unescape(match.group(1))

    def post(self, path: str, data: dict, *, form_path: str):
        return self.request("POST", path, {**data, "csrf_token": self.token(form_path)})

    def log_in(self, username: str) -> None:
        status, _, _ = self.post(
            "/login", {"username": username, "password": PASSWORD}, form_path="/login"
        )
        assert status == 302, f"login as {username} answered {status}"

    def open_stream(self, path: str, last_event_id: int | None = None) -> Stream:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=READ_TIMEOUT)
        headers = {"Cookie": self._cookie_header(), "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        conn.request("GET", path, headers=headers)
        sock = conn.sock  # the response takes it over and the connection forgets it
        return Stream(conn, conn.getresponse(), sock)

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep_cookies(self, response) -> None:
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]


class Stream:
    """An open text/event-stream response, read message by message."""

    def __init__(self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, sock):
        self.conn, self.response, self.sock = conn, response, sock
        self.status = response.status
        self.headers = response.headers
        self.comments: list[str] = []

    def next_message(self) -> Message:
        """The next message (comments are kept aside); TimeoutError after READ_TIMEOUT."""
        fields: dict[str, str] = {}
        while True:
            line = self.response.readline().decode()
            if not line:
                raise EOFError("the stream ended")
            line = line.rstrip("\r\n")
            if not line:
                if fields:
                    return Message(
                        fields.get("id"), fields.get("event"), json.loads(fields.get("data", "{}"))
                    )
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")

    def set_timeout(self, seconds: float) -> None:
        """Wait at most `seconds` for each read from now on."""
        self.sock.settimeout(seconds)

    def next_comment(self) -> str:
        while True:
            line = self.response.readline().decode()
            if not line:
                raise EOFError("the stream ended")
            if line.startswith(":"):
                return line[1:].strip()

    def close(self) -> None:
        self.response.close()
        self.conn.close()
