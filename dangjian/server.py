"""``dangjian serve``: several web processes behind one listening socket.

waitress serves one process with threads; Python's lock lets those threads use one core, so a
2-core machine ran at half its capacity. The parent binds the socket once and forks the web
processes, each serving the same socket with waitress (the kernel hands each connection to
one of them); a process that dies is started again, and SIGTERM or SIGINT stops them all.
Where ``os.fork`` does not exist (Windows) one process serves, as before.

Two things keep the slowest answers close to the typical one (issue 19, p99 at 16 clients):

- Connections are spread evenly. A client (locust, nginx's upstream pool) keeps its connection
  open, and whichever process woke first took it: 16 connections came to 11 and 5, so one
  process ran eleven requests at once on its core while the other ran five. Each process
  publishes its number of open connections in memory the processes share, and listens for a
  new one only while it has no more than any other.
- What every process loads once (Django, the word segmenter's dictionary: about half a million
  objects) is loaded before the fork and moved out of the garbage collector's reach
  (``gc.freeze``). A full collection walked all of it, 200 ms with the process's every thread
  stopped; the pages are also shared between the processes for longer.
"""

from __future__ import annotations

import gc
import logging
import mmap
import os
import signal
import socket
import sys
import time

from waitress.adjustments import Adjustments
from waitress.server import TcpWSGIServer

# Requests one web process runs at once; more wait in its queue, first come first served.
# Python runs one thread of a process at a time: eight threads per process on two cores made
# each request share its core with seven others and hand the interpreter's lock back and forth
# (issue 19, 16 clients on loopback, docs/benchmarks.md: one thread gave the most requests a
# second and the shortest p99 on both databases, but event intake on PostgreSQL, where a
# second thread fills the process's wait for the commit). A deployment whose pages include
# slow synchronous ones raises DANGJIAN_WEB_THREADS or DANGJIAN_WEB_PROCESSES.
THREADS = 1
# A process that dies this soon after it started is not restarted at once: it would die again.
RESPAWN_PAUSE = 1.0


def _positive_setting(name: str) -> int | None:
    """The positive whole number in the environment variable ``name``; None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        wanted = int(raw)
    except ValueError:
        raise SystemExit(f"{name} 必须是正整数，当前为“{raw}”") from None
    if wanted < 1:
        raise SystemExit(f"{name} 必须是正整数，当前为“{raw}”")
    return wanted


def processes_wanted() -> int:
    """``DANGJIAN_WEB_PROCESSES`` if set, else one per core, at most 4 (each keeps its own
    database connections and caches)."""
    wanted = _positive_setting("DANGJIAN_WEB_PROCESSES")
    return wanted if wanted is not None else max(1, min(os.cpu_count() or 1, 4))


def threads_wanted() -> int:
    """``DANGJIAN_WEB_THREADS`` if set, else ``THREADS``: requests one process runs at once
    (more wait in its queue, first come first served)."""
    wanted = _positive_setting("DANGJIAN_WEB_THREADS")
    return wanted if wanted is not None else THREADS


def _application():
    from dangjian.static import with_static
    from dangjian.wsgi import application

    return with_static(application)


def _preload() -> None:
    """Load in the parent what each process would otherwise load at its first report, then
    freeze the heap (see the module's docstring)."""
    from dangjian.cases.classification import text

    try:
        text.warm()
    except Exception:  # a failed preload only costs the first report its load
        logging.getLogger(__name__).exception("预加载分词词典失败，首次上报时再加载")
    gc.collect()
    gc.freeze()


class Shares:
    """Open connections per web process, in memory the forked processes share (one writer
    per slot; a reader may see a count one event old, which only delays an accept)."""

    def __init__(self, processes: int):
        self._memory = mmap.mmap(-1, 8 * processes)
        self.counts = memoryview(self._memory).cast("q")

    def publish(self, slot: int, count: int) -> None:
        self.counts[slot] = count

    def fewest(self, slot: int) -> bool:
        """Whether ``slot`` has no more open connections than any other process."""
        mine = self.counts[slot]
        return all(mine <= other for i, other in enumerate(self.counts) if i != slot)


class BalancedServer(TcpWSGIServer):
    """waitress's server, listening for a new connection only while its process has no more
    open connections than any other (``Shares``)."""

    shares: Shares
    slot: int

    def readable(self) -> bool:
        listening = super().readable()
        self.shares.publish(self.slot, len(self.active_channels))
        return listening and self.shares.fewest(self.slot)


def _limits() -> dict:
    from dangjian.core.middleware import max_request_bytes

    # waitress answers 413 to a body over the limit from its Content-Length, before reading it
    # (and stops a chunked one at the limit): a 50 MB upload never reaches the application.
    return {
        "threads": threads_wanted(),
        "ident": "dangjian",
        "max_request_body_size": max_request_bytes(),
    }


def _serve_one(host: str, port: int) -> None:
    from waitress import serve as waitress_serve

    from dangjian.core import auditchain

    app = _application()
    _preload()
    auditchain.seal_in_background()
    waitress_serve(app, host=host, port=port, **_limits())


def _serve_share(sock: socket.socket, app, shares: Shares, slot: int) -> None:
    from dangjian.core import auditchain

    logging.basicConfig()
    auditchain.seal_in_background()
    adj = Adjustments(sockets=[sock], **_limits())
    sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
    server = BalancedServer(app, map={}, _sock=sock, adj=adj, bind_socket=False, sockinfo=sockinfo)
    server.shares, server.slot = shares, slot
    server.run()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def serve(host: str, port: int, processes: int | None = None) -> None:
    processes = processes_wanted() if processes is None else processes
    if processes == 1 or not hasattr(os, "fork"):
        _serve_one(host, port)
        return
    from django.db import connections

    sock = _bind(host, port)
    # Loaded once, before the fork: a process started again serves at once.
    app = _application()
    # Connections opened before the fork (migrate, seed) must not be shared by the children.
    connections.close_all()
    _preload()
    shares = Shares(processes)
    children: dict[int, tuple[float, int]] = {}
    stopping = False

    def start(slot: int) -> None:
        shares.publish(slot, 0)  # a process that died left its count behind
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                _serve_share(sock, app, shares, slot)
            finally:
                os._exit(0)
        children[pid] = (time.monotonic(), slot)

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                children.pop(pid, None)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(processes):
        start(slot)
    print(f"网站进程 {processes} 个：{', '.join(str(p) for p in children)}", flush=True)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        child = children.pop(pid, None)
        if child is None or stopping:
            continue
        started, slot = child
        print(f"网站进程 {pid} 已退出（状态 {status}），重新启动", file=sys.stderr, flush=True)
        if time.monotonic() - started < RESPAWN_PAUSE:
            time.sleep(RESPAWN_PAUSE)
        if not stopping:
            start(slot)
    sock.close()
