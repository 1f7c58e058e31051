"""How fast a meeting change reaches every open page.

Starts the app under gunicorn on a fresh database seeded with the demo team, opens N event
streams (default 100) to the demo meeting, and has the chair make a change R times (default 20:
marking a member present or absent). For each change it records when every stream received the
new version, and prints delivered/total with the p50, p95 and maximum latency, for:

  * the in-process broker: one worker on SQLite;
  * PostgreSQL LISTEN/NOTIFY: two workers on PostgreSQL (127.0.0.1:5432).

Latency is measured from the moment the chair's request is sent to the moment a stream reads
the event: an upper bound on commit-to-receipt (it includes the request's own work). The chair's
request round trip is printed beside it. All streams are read by one thread with a selector, so
the reader adds little of its own.

    python bench/live_fanout.py [--clients 100] [--rounds 20] [--only inprocess|postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "tumorboard-demo"  # the demo team's (app/seed.py): synthetic accounts only
VIEWERS = ("oncologist", "radiation", "radiologist", "physio", "coordinator", "admin")
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
WAIT_SECONDS = 10.0  # how long a round waits for stragglers before counting them lost


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Member:
    """One logged-in member over plain HTTP: cookies and CSRF tokens."""

    def __init__(self, port: int, username: str):
        self.port, self.cookies = port, {}
        status, _ = self.post("/login", {"username": username, "password": PASSWORD}, "/login")
        if status != 302:
            raise SystemExit(f"login as {username} answered {status}")

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        text = response.read().decode()
        conn.close()
        return response.status, text

    def post(self, path: str, body: dict, form_path: str):
        _, page = self.request("GET", form_path)
        match = TOKEN.search(page)
        token = match.group(1).replace("&#34;", '"') if match else ""
        return self.request("POST", path, {**body, "csrf_token": token})

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


class Streams:
    """N event streams read by one thread; records when each stream first saw each version."""

    def __init__(self, port: int, path: str, cookies: list[str], count: int):
        self.selector = selectors.DefaultSelector()
        self.seen: dict[int, dict[int, float]] = {}  # version -> stream -> perf_counter()
        self.first = 0
        self.workers: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        for index in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            request = (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                f"Cookie: {cookies[index % len(cookies)]}\r\n\r\n"
            )
            sock.sendall(request.encode())
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, {"index": index, "buffer": b""})
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.2):
                now = time.perf_counter()
                try:
                    chunk = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    self.selector.unregister(key.fileobj)
                    continue
                state = key.data
                state["buffer"] += chunk
                if "headers" not in state:
                    head, sep, rest = state["buffer"].partition(b"\r\n\r\n")
                    if not sep:
                        continue
                    state["headers"], state["buffer"] = head, rest
                    pid = re.search(rb"X-Worker-Pid: (\d+)", head, re.IGNORECASE)
                    with self.lock:
                        worker = pid.group(1).decode() if pid else "?"
                        self.workers[worker] = self.workers.get(worker, 0) + 1
                for version in self._versions(state):
                    with self.lock:
                        self.seen.setdefault(version, {}).setdefault(state["index"], now)
                        if state.get("opened") is None:
                            state["opened"] = True
                            self.first += 1

    @staticmethod
    def _versions(state) -> list[int]:
        # Complete messages only; chunked transfer framing may surround the lines, and the
        # data lines are all that is needed.
        cut = state["buffer"].rfind(b"\n\n")
        if cut < 0:
            return []
        complete, state["buffer"] = state["buffer"][:cut], state["buffer"][cut + 2 :]
        return [int(v) for v in re.findall(rb'"version": (\d+)', complete)]

    def wait_open(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.first < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {self.first} of {count} streams opened")
            time.sleep(0.05)

    def wait_version(self, version: int, count: int) -> dict[int, float]:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            with self.lock:
                got = dict(self.seen.get(version, {}))
            if len(got) >= count:
                return got
            time.sleep(0.005)
        return got

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()


def prepare_database(env: dict) -> tuple[int, int]:
    """Migrate and seed; the demo meeting's id and the member whose presence is toggled."""
    flask = [str(BIN / "flask"), "--app", "app"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    probe = (
        "from sqlalchemy import select\n"
        "from app import create_app\nfrom app.extensions import db\n"
        "from app.meetings.models import Meeting\nfrom app.accounts.models import User\n"
        "from app.seed import UPCOMING_TITLE\n"
        "with create_app().app_context():\n"
        "    m = db.session.scalar(select(Meeting.id).where(Meeting.title == UPCOMING_TITLE))\n"
        "    u = db.session.scalar(select(User.id).where(User.username == 'physio'))\n"
        "    print(m, u)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, check=True, capture_output=True
    )
    meeting_id, member_id = out.stdout.split()
    return int(meeting_id), int(member_id)


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log: Path):
    command = [
        str(BIN / "gunicorn"),
        "-w", str(workers),
        "-k", "gthread",
        "--threads", str(threads),
        "--worker-connections", str(threads),
        "--graceful-timeout", "5",
        "-b", f"127.0.0.1:{port}",
        "app:create_app()",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(label: str, env: dict, workers: int, clients: int, rounds: int, tmp: Path) -> dict:
    # Keep-alive every 2 s: a stream whose reader has gone notices soon, and shutdown is quick.
    env = {**os.environ, "TUMORBOARD_CONFIG": "development", "LIVE_KEEPALIVE_SECONDS": "2", **env}
    meeting_id, member_id = prepare_database(env)
    port = free_port()
    # One thread per stream, spread over the workers, with room for the chair's requests.
    threads = clients // workers + 16
    server = start_gunicorn(env, port, workers, threads, tmp / f"{label}.log")
    try:
        chair = Member(port, "surgeon")
        page = f"/meetings/{meeting_id}"
        chair.post(f"{page}/open", {}, page)
        cookies = [Member(port, name).cookie_header() for name in VIEWERS]
        streams = Streams(port, f"{page}/events", cookies, clients)
        streams.wait_open(clients)
        _, text = chair.request("GET", page)
        token = TOKEN.search(text).group(1)
        latencies, round_trips, delivered = [], [], 0
        with streams.lock:
            version = max(streams.seen)
        for number in range(rounds):
            body = {
                "csrf_token": token,
                "member_id": str(member_id),
                "specialty": "physiotherapy",
                "present": "1" if number % 2 == 0 else "0",
            }
            sent = time.perf_counter()
            status, _ = chair.request("POST", f"{page}/attendance", body)
            round_trips.append(time.perf_counter() - sent)
            if status != 302:
                raise SystemExit(f"the chair's change answered {status}")
            version += 1
            got = streams.wait_version(version, clients)
            delivered += len(got)
            latencies += [at - sent for at in got.values()]
        streams.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    result = {
        "broker": label,
        "workers": workers,
        "clients": clients,
        "rounds": rounds,
        "delivered": delivered,
        "total": clients * rounds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies),
        "request_p50_ms": 1000 * statistics.median(round_trips),
        "streams_per_worker": sorted(streams.workers.values()),
    }
    print(
        f"{label:<12} workers={workers} delivered={delivered}/{clients * rounds} "
        f"p50={result['p50_ms']:.1f} ms p95={result['p95_ms']:.1f} ms "
        f"max={result['max_ms']:.1f} ms (chair's request p50 {result['request_p50_ms']:.1f} ms; "
        f"streams per worker {result['streams_per_worker']})",
        flush=True,
    )
    return result


def postgres_database():
    import psycopg

    name = f"tumorboard_bench_{secrets.token_hex(4)}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", choices=("inprocess", "postgres"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.only in (None, "inprocess"):
            env = {"DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}", "LIVE_BROKER": "inprocess"}
            results.append(run("in-process", env, 1, args.clients, args.rounds, tmp))
        if args.only in (None, "postgres"):
            url, drop = postgres_database()
            try:
                env = {"DATABASE_URL": url, "LIVE_BROKER": "postgres"}
                results.append(run("postgres", env, 2, args.clients, args.rounds, tmp))
            finally:
                drop()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "live_fanout.json").write_text(json.dumps(results, indent=2))
    targets = {"in-process": 100.0, "postgres": 250.0}
    for result in results:
        met = result["delivered"] == result["total"] and (
            result["p95_ms"] <= targets[result["broker"]]
        )
        print(
            f"{result['broker']}: target 100% delivered and p95 <= "
            f"{targets[result['broker']]:.0f} ms: {'met' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
