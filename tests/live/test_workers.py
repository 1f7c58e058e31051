"""Several gunicorn workers on PostgreSQL: a change through one reaches streams on every worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db
from app.live import broker
from app.meetings.services import check_in
from tests.factories import make_meeting

ROOT = Path(__file__).resolve().parents[2]
BOUND = 30.0  # seconds for gunicorn to start; a bound, not a timing assertion
QUIET_BOUND = 1.0  # seconds a stream is watched for an event that must not come
MAX_STREAMS = 9  # one worker holds at most 8, so the 9th goes to the other


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + BOUND
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not listen on {port}:\n{log.read_text()}")


@pytest.fixture
def gunicorn(app, backend, tmp_path):
    """Two gthread workers serving the test database with the PostgreSQL broker."""
    port = free_port()
    env = {
        **os.environ,
        "TUMORBOARD_CONFIG": "development",
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "LIVE_BROKER": "postgres",
        # Longer than QUIET_BOUND, and short enough that a closed stream frees its thread soon.
        "LIVE_KEEPALIVE_SECONDS": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-w",
                "2",
                "-k",
                "gthread",
                "--threads",
                "8",
                # A worker whose threads are all streaming must stop accepting: otherwise it
                # takes connections it cannot serve and they hang (the kernel favours one worker).
                "--worker-connections",
                "8",
                "-b",
                f"127.0.0.1:{port}",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers die with it
        )
    try:
        wait_for_port(port, process, log)
        yield port, log
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def streams():
    opened = []
    yield opened
    for stream in opened:
        stream.close()


# Several workers share events through PostgreSQL LISTEN/NOTIFY.
@pytest.mark.only_on("postgresql")
def test_a_change_through_one_worker_reaches_streams_on_both(app, members, gunicorn, streams):
    from tests.live.sse import Visitor

    port, log = gunicorn
    meeting = make_meeting(members)
    version = meeting.live_version
    viewer = Visitor("127.0.0.1", port)
    viewer.log_in("physio")

    # The kernel hands each connection to either worker: open streams until both serve some.
    workers: set[str] = set()
    while len(workers) < 2 and len(streams) < MAX_STREAMS:
        stream = viewer.open_stream(f"/meetings/{meeting.id}/events")
        streams.append(stream)
        assert stream.status == 200, log.read_text()
        workers.add(stream.headers["X-Worker-Pid"])
        assert stream.next_message().data == {"version": version}
    assert len(workers) == 2, f"all {len(streams)} streams went to one worker"

    chair = Visitor("127.0.0.1", port)
    chair.log_in("surgeon")
    status, _, _ = chair.post(
        f"/meetings/{meeting.id}/open", {}, form_path=f"/meetings/{meeting.id}"
    )
    assert status == 302

    assert [stream.next_message().data["version"] for stream in streams] == [version + 1] * len(
        streams
    )

    app.config["LIVE_BROKER"] = "postgres"
    try:
        # A rolled-back change sends nothing: the next event every stream sees is the next
        # committed one (NOTIFY arrives in commit order, so a ghost would have come first).
        broker.publish(meeting.id, version + 100, ("ghost",))
        db.session.rollback()
        check_in(meeting=meeting, member=members["physio"])
        for stream in streams:
            event = stream.next_message()
            assert event.data["version"] == version + 2
            assert event.data["fragments"] == ["attendance", "meeting", "opinions"]

        # And nothing at all arrives after a lone rolled-back change.
        broker.publish(meeting.id, version + 200, ("ghost",))
        db.session.rollback()
        for stream in streams:
            stream.set_timeout(QUIET_BOUND)
            with pytest.raises(TimeoutError):
                stream.next_message()  # keep-alive comments are read past, not returned
    finally:
        app.config["LIVE_BROKER"] = "inprocess"
