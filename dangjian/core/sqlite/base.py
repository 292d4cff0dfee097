"""SQLite for several web processes: writers take turns, the longest waiters not last.

Every transaction takes SQLite's write lock at ``BEGIN IMMEDIATE`` (settings: the worker and
the web processes share one file). A writer that finds it taken is left to SQLite's busy
handler, which sleeps 1, 2, 5 … then 100 ms between tries: under a few dozen reports at once
the lock stood free while the waiters slept, and the last in line waited seconds (issue 19,
event intake on SQLite: p99 5.9 s at 16 clients).

Here a transaction first takes an exclusive ``flock`` on ``<database>.writelock`` (the turn;
each connection opens the file itself, so threads of one process take turns like processes),
tried every millisecond by every waiter alike, then ``BEGIN IMMEDIATE`` as before; the turn is
given back as soon as the transaction commits or rolls back. (A per-process lock in front of
it, tried first, let one process's threads hand the turn among themselves and starve the
other process.) A write outside a transaction (autocommit: a token's last use, a session)
takes its turn for the one statement too: polling SQLite's lock against writers handed it
from one to the next, it found it free too seldom and waited seconds. A writer that waits
longer than the busy timeout goes on to ``BEGIN`` and to SQLite's own wait, so a stuck transaction still ends
in "database is locked" (a 503), never in a request hanging for ever. Another program on the
file (the ``sqlite3`` shell, a backup) is met by SQLite's lock as before. Not for an in-memory
database (the tests'), where the connection is one.
"""

from __future__ import annotations

import fcntl
import os
import time

from django.db.backends.sqlite3 import base

# Between two tries of the turn: every waiter, however long it has waited, tries as often as a
# newcomer (SQLite's busy handler backs off to 100 ms, so the longest waiters lost every race).
_PAUSE = 0.001


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class _Cursor(base.SQLiteCursorWrapper):
    """Takes the writers' turn around a write statement run outside a transaction."""

    turns: DatabaseWrapper | None = None

    def _alone(self, query: str) -> bool:
        db = self.turns
        return (
            db is not None
            and db.autocommit
            and db._turn_fd is None
            and db._writers_queue()
            and query.lstrip()[:6].upper() in _WRITES
        )

    def execute(self, query, params=None):
        if not self._alone(query):
            return super().execute(query, params)
        db = self.turns
        assert db is not None
        db._wait_turn()
        try:
            return super().execute(query, params)
        finally:
            db._end_turn()

    def executemany(self, query, param_list):
        if not self._alone(query):
            return super().executemany(query, param_list)
        db = self.turns
        assert db is not None
        db._wait_turn()
        try:
            return super().executemany(query, param_list)
        finally:
            db._end_turn()


class DatabaseWrapper(base.DatabaseWrapper):
    _turn_fd: int | None = None

    def _writers_queue(self) -> bool:
        return not self.is_in_memory_db()

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.turns = self
        return cursor

    def _wait_turn(self) -> None:
        name = str(self.settings_dict["NAME"])
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        fd = os.open(f"{name}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return  # SQLite's own wait decides
                time.sleep(_PAUSE)
        self._turn_fd = fd

    def _end_turn(self) -> None:
        fd, self._turn_fd = self._turn_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock

    def _start_transaction_under_autocommit(self):
        if self._writers_queue():
            self._wait_turn()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._end_turn()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._end_turn()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._end_turn()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._end_turn()
