"""``dangjian serve``: several web processes behind one listening socket.

waitress serves one process with threads; Python's lock lets those threads use one core, so a
2-core machine ran at half its capacity. The parent binds the socket once and forks the web
processes, each serving the same socket with waitress (the kernel hands each connection to
one of them); a process that dies is started again, and SIGTERM or SIGINT stops them all.
Where ``os.fork`` does not exist (Windows) one process serves, as before.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

THREADS = 8
# A process that dies this soon after it started is not restarted at once: it would die again.
RESPAWN_PAUSE = 1.0


def processes_wanted() -> int:
    """``DANGJIAN_WEB_PROCESSES`` if set, else one per core, at most 4 (each keeps its own
    database connections and caches)."""
    raw = os.environ.get("DANGJIAN_WEB_PROCESSES", "").strip()
    if raw:
        try:
            wanted = int(raw)
        except ValueError:
            raise SystemExit(f"DANGJIAN_WEB_PROCESSES 必须是正整数，当前为“{raw}”") from None
        if wanted < 1:
            raise SystemExit(f"DANGJIAN_WEB_PROCESSES 必须是正整数，当前为“{raw}”")
        return wanted
    return max(1, min(os.cpu_count() or 1, 4))


def _application():
    from dangjian.static import with_static
    from dangjian.wsgi import application

    return with_static(application)


def _serve_one(sock: socket.socket | None, host: str, port: int, app=None) -> None:
    from waitress import serve as waitress_serve

    from dangjian.core.middleware import max_request_bytes

    app = app or _application()
    # waitress answers 413 to a body over the limit from its Content-Length, before reading it
    # (and stops a chunked one at the limit): a 50 MB upload never reaches the application.
    limits = {"threads": THREADS, "ident": "dangjian", "max_request_body_size": max_request_bytes()}
    if sock is None:
        waitress_serve(app, host=host, port=port, **limits)
    else:
        waitress_serve(app, sockets=[sock], **limits)


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
        _serve_one(None, host, port)
        return
    from django.db import connections

    sock = _bind(host, port)
    # Loaded once, before the fork: a process started again serves at once.
    app = _application()
    # Connections opened before the fork (migrate, seed) must not be shared by the children.
    connections.close_all()
    children: dict[int, float] = {}
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                _serve_one(sock, host, port, app)
            finally:
                os._exit(0)
        children[pid] = time.monotonic()

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
    for _ in range(processes):
        start()
    print(f"网站进程 {processes} 个：{', '.join(str(p) for p in children)}", flush=True)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        started = children.pop(pid, None)
        if started is None or stopping:
            continue
        print(f"网站进程 {pid} 已退出（状态 {status}），重新启动", file=sys.stderr, flush=True)
        if time.monotonic() - started < RESPAWN_PAUSE:
            time.sleep(RESPAWN_PAUSE)
        if not stopping:
            start()
    sock.close()
