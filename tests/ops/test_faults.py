"""Faults (issue 19): the database away or locked is a 503 with a Chinese message and a retry
hint, never a 500 and never a half-written row; a full disk is a clear error with nothing
recorded as stored; stored files are encrypted at rest."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError

from dangjian.cases.models import Event
from dangjian.core import crypto, files
from dangjian.core.models import StoredFile

GONE = "server closed the connection unexpectedly"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _boom(message):
    def fail(*args, **kwargs):
        raise OperationalError(message)

    return fail


def test_a_read_while_the_database_is_away_is_503_with_a_retry_hint(world, client, monkeypatch):
    client.force_login(world.users["city"])
    # Every scoped read: the ORM's and the statements compiled once per shape.
    monkeypatch.setattr("dangjian.core.scope.ScopedQuerySet.visible_to", _boom(GONE))
    monkeypatch.setattr("dangjian.core.scope.Compiled.run", _boom(GONE))
    r = client.get("/api/v1/areas/")
    assert r.status_code == 503
    assert r.json()["detail"] == "系统繁忙或数据库暂时不可用，请稍后重试"
    assert r["Retry-After"] == "5"
    page = client.get("/areas/")
    assert page.status_code == 503 and "请稍后重试" in page.content.decode()


def test_a_write_cut_off_by_a_locked_database_leaves_no_row(world, api, monkeypatch):
    before = Event.objects.count()
    api.get(world.resident, "/api/v1/cases/")  # the token is issued (and audited) first
    monkeypatch.setattr("dangjian.core.audit.record", _boom("database is locked"))
    r = api.post(world.resident, "/api/v1/cases/", {"description": "楼道里堆满了杂物无法通行"})
    assert r.status_code == 503 and r.json()["code"] == "service_unavailable"
    assert Event.objects.count() == before


def test_a_bad_query_stays_a_server_error(world, client, monkeypatch):
    """Only the database being away or busy is a 503: a bug is not hidden as one."""
    client.force_login(world.users["city"])
    client.raise_request_exception = False
    monkeypatch.setattr(
        "dangjian.core.scope.ScopedQuerySet.visible_to", _boom("no such column: bogus")
    )
    monkeypatch.setattr("dangjian.core.scope.Compiled.run", _boom("no such column: bogus"))
    assert client.get("/api/v1/areas/").status_code == 500


def test_a_full_disk_is_a_clear_error_and_nothing_is_stored(db, monkeypatch):
    real_fdopen = os.fdopen

    def full(fd, *args, **kwargs):
        fh = real_fdopen(fd, *args, **kwargs)

        class Full:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                fh.close()

            def write(self, data):
                raise OSError(errno.ENOSPC, "No space left on device")

        return Full()

    monkeypatch.setattr("dangjian.core.files.os.fdopen", full)
    content = PNG + os.urandom(16)  # bytes no other test stored (same bytes are not rewritten)
    with pytest.raises(ValidationError) as exc:
        files.file_store_bytes(actor=None, name="x.png", content=content)
    assert "存储空间不足" in str(exc.value)
    assert StoredFile.objects.count() == 0
    assert not list(files.files_dir().rglob(".upload-*"))  # no half-written file left


def test_stored_files_are_encrypted_at_rest_and_read_back_clear(db):
    stored = files.file_store_bytes(actor=None, name="photo.png", content=PNG)
    on_disk = files.path_of(stored).read_bytes()
    assert crypto.is_encrypted_bytes(on_disk) and PNG not in on_disk
    assert files.file_read(stored) == PNG
    assert b"".join(files.file_response(stored).streaming_content) == PNG
    tampered = on_disk[:-1] + bytes([on_disk[-1] ^ 1])
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_bytes(tampered)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_served_app_answers_503_when_postgresql_refuses_connections(tmp_path):
    """A real server, a PostgreSQL address nobody listens on: every page and route is a 503."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{_free_port()}/nothing",
        "DANGJIAN_WEB_PROCESSES": "1",
        "DJANGO_SETTINGS_MODULE": "dangjian.settings",
        "DANGJIAN_VAR_DIR": str(tmp_path / "var"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "dangjian.cli", "serve", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline and answer is None:
            try:
                # A bearer token is looked up in the database: the request needs it.
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v1/areas/",
                    headers={"Authorization": "Bearer not-a-real-token"},
                )
                urllib.request.urlopen(request, timeout=30)
            except urllib.error.HTTPError as exc:
                answer = (exc.code, exc.headers.get("Retry-After"), exc.read().decode())
            except OSError:
                time.sleep(0.3)
        assert answer is not None, "the server did not answer"
        code, retry, body = answer
        assert code == 503 and retry == "5" and "请稍后重试" in json.loads(body)["detail"]
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for line in os.popen(f"pgrep -P {proc.pid}").read().split():
            os.kill(int(line), 9)
