"""``dangjian serve`` runs several web processes on one socket, restarts one that dies and
stops them all on SIGTERM (issue 19: a 2-core machine served from one core)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dangjian import server

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="pre-fork needs os.fork")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found |= {int(x) for x in text}
    return found


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=30) as r:
        return json.loads(r.read())


def _wait(predicate, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DANGJIAN_WEB_PROCESSES": "2",
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dangjian.cli", "serve", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait(lambda: _health(port))
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
            for pid in _children(proc.pid) if Path(f"/proc/{proc.pid}").exists() else ():
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_two_processes_serve_one_port_and_a_dead_one_is_replaced(served):
    proc, port = served
    first = _wait(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid))
    assert _health(port)["status"] == "ok"
    victim = sorted(first)[0]
    os.kill(victim, signal.SIGKILL)
    again = _wait(lambda: (c := _children(proc.pid)) and len(c) == 2 and victim not in c and c)
    assert victim not in again and len(again) == 2
    for _ in range(6):
        assert _health(port)["status"] == "ok"


def test_sigterm_stops_every_process(served):
    proc, _port = served
    kids = _wait(lambda: len(_children(proc.pid)) == 2 and _children(proc.pid))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    for pid in kids:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )


@pytest.mark.parametrize(
    ("raw", "wanted"), [("3", 3), ("1", 1), ("", max(1, min(os.cpu_count() or 1, 4)))]
)
def test_the_process_count_comes_from_the_setting(monkeypatch, raw, wanted):
    monkeypatch.setenv("DANGJIAN_WEB_PROCESSES", raw)
    assert server.processes_wanted() == wanted


@pytest.mark.parametrize("raw", ["0", "-2", "两个"])
def test_a_bad_process_count_is_named(monkeypatch, raw):
    monkeypatch.setenv("DANGJIAN_WEB_PROCESSES", raw)
    with pytest.raises(SystemExit, match="DANGJIAN_WEB_PROCESSES 必须是正整数"):
        server.processes_wanted()


def test_the_server_refuses_an_oversized_body_before_reading_it(served):
    """A 50 MB body is answered 413 from its declared length: the client sends only headers."""
    _proc, port = served
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(
            b"POST /api/v1/cases/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n"
        )
        answer = s.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]


def _connections_per_child(proc_pid: int, port: int) -> dict[int, int]:
    """Established connections on ``port`` held by each web process (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(fields[9])
    counts = {}
    for child in _children(proc_pid):
        held = 0
        for fd in Path(f"/proc/{child}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
        counts[child] = held
    return counts


def test_kept_open_connections_are_spread_over_the_processes(served):
    """Clients that keep their connection (locust, nginx's upstream pool) are shared out evenly:
    whichever process woke first used to take most of them, and ran that many requests at once
    on its core while the other idled."""
    import http.client

    proc, port = served
    _wait(lambda: len(_children(proc.pid)) == 2)
    clients = []
    try:
        for _ in range(8):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/health")
            assert conn.getresponse().read()
            clients.append(conn)
        counts = _wait(
            lambda: (c := _connections_per_child(proc.pid, port)) and sum(c.values()) == 8 and c
        )
        assert sorted(counts.values()) == [4, 4], counts
    finally:
        for conn in clients:
            conn.close()


def test_a_process_listens_only_while_it_has_the_fewest_connections():
    shares = server.Shares(3)
    shares.publish(0, 4)
    shares.publish(1, 3)
    shares.publish(2, 3)
    assert [shares.fewest(slot) for slot in range(3)] == [False, True, True]
    shares.publish(1, 5)
    assert [shares.fewest(slot) for slot in range(3)] == [False, False, True]


def test_the_segmenter_is_loaded_and_the_heap_frozen_before_the_fork():
    """A full garbage collection walked the segmenter's dictionary (about half a million
    objects) with the process's every thread stopped; frozen, it is not walked."""
    import gc

    from dangjian.cases.classification import text

    try:
        server._preload()
        assert text._tokenizer is not None and text._tokenizer.initialized
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("raw", "wanted"), [("1", 1), ("4", 4), ("", server.THREADS)])
def test_the_thread_count_comes_from_the_setting(monkeypatch, raw, wanted):
    monkeypatch.setenv("DANGJIAN_WEB_THREADS", raw)
    assert server.threads_wanted() == wanted


@pytest.mark.parametrize("raw", ["0", "八"])
def test_a_bad_thread_count_is_named(monkeypatch, raw):
    monkeypatch.setenv("DANGJIAN_WEB_THREADS", raw)
    with pytest.raises(SystemExit, match="DANGJIAN_WEB_THREADS 必须是正整数"):
        server.threads_wanted()
