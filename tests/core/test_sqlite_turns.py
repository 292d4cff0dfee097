"""SQLite writers take turns (``dangjian.core.sqlite``): a transaction holds the database's
write turn from BEGIN to its commit or rollback, and gives it back on every path; a writer that
waits past the busy timeout ends in "database is locked" (a 503), not in a request hanging."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from django.db import OperationalError, connections

from dangjian.core.sqlite.base import DatabaseWrapper


@pytest.fixture
def database(tmp_path, django_db_blocker):
    name = str(tmp_path / "turns.sqlite3")
    opened = []

    def connect(timeout: float = 5) -> DatabaseWrapper:
        settings = {
            **connections["default"].settings_dict,
            "NAME": name,
            "CONN_MAX_AGE": 0,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        }
        conn = DatabaseWrapper(settings, alias=f"turns{len(opened)}")
        opened.append(conn)
        return conn

    with django_db_blocker.unblock():
        first = connect()
        with first.cursor() as cur:
            cur.execute("CREATE TABLE t (n integer)")
        yield connect, name
        for conn in opened:
            conn.inc_thread_sharing()
            conn.close()


def _turn_free(name: str) -> bool:
    fd = os.open(f"{name}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_transaction_holds_the_turn_until_it_commits(database):
    connect, name = database
    conn = connect()
    with _atomic(conn):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
        assert not _turn_free(name)
    assert _turn_free(name)


def test_a_rollback_gives_the_turn_back(database):
    connect, name = database
    conn = connect()
    with pytest.raises(ZeroDivisionError), _atomic(conn):
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
        1 / 0  # noqa: B018
    assert _turn_free(name)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone()[0] == 0


def test_a_writer_behind_a_stuck_transaction_is_told_the_database_is_locked(database):
    connect, name = database
    holder, waiter = connect(), connect(timeout=0.2)
    outcome = []

    def write():
        try:
            with _atomic(waiter), waiter.cursor() as cur:
                cur.execute("INSERT INTO t VALUES (2)")
            outcome.append("written")
        except OperationalError as exc:
            outcome.append(str(exc))

    with _atomic(holder):
        with holder.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
        waiter.inc_thread_sharing()
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
    assert outcome == ["database is locked"]
    assert _turn_free(name)


def test_writers_in_threads_each_get_their_turn(database):
    connect, name = database
    conns = [connect() for _ in range(4)]
    errors = []

    def write(conn):
        try:
            for i in range(10):
                with _atomic(conn), conn.cursor() as cur:
                    cur.execute("SELECT count(*) FROM t")
                    cur.execute("INSERT INTO t VALUES (%s)", [cur.fetchone()[0] + i])
        except Exception as exc:
            errors.append(exc)

    threads = []
    for conn in conns:
        conn.inc_thread_sharing()
        threads.append(threading.Thread(target=write, args=(conn,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with conns[0].cursor() as cur:
        cur.execute("SELECT count(*) FROM t")
        assert cur.fetchone()[0] == 40
    assert _turn_free(name)


class _atomic:
    """A transaction on a connection outside ``connections`` (``transaction.atomic`` looks
    its alias up there)."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        # As transaction.atomic begins one on SQLite (BEGIN IMMEDIATE in autocommit mode).
        self.conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        return self

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.conn.commit()
        else:
            self.conn.rollback()
        self.conn.set_autocommit(True)
        return False


def test_a_write_outside_a_transaction_waits_for_the_turn_and_gives_it_back(database):
    connect, name = database
    holder, writer = connect(), connect(timeout=0.2)
    outcome = []

    def write():
        try:
            with writer.cursor() as cur:
                cur.execute("UPDATE t SET n = 3")
            outcome.append("written")
        except OperationalError as exc:
            outcome.append(str(exc))

    with _atomic(holder):
        with holder.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
        writer.inc_thread_sharing()
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
    assert outcome == ["database is locked"]
    write()
    assert outcome[-1] == "written" and _turn_free(name)
