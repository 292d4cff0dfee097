"""The audit rows' hash chain (issue 19): every row is sealed once its transaction commits, and
``dangjian audit verify`` finds a row changed, deleted or written past the application, and a
seal taken out; a purge of rows past the retention leaves the chain verifiable."""

from __future__ import annotations

import datetime as dt
import itertools
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.core import audit, auditchain, retention
from dangjian.core.models import AuditChainHead, AuditEntry, AuditSeal

pytestmark = pytest.mark.django_db


def _rows(n: int, prefix: str = "probe") -> list[AuditEntry]:
    return [audit.record(actor=None, action=f"{prefix}.{i}", after={"i": i}) for i in range(n)]


def _sql_update(entry_id: int, note: str) -> None:
    """Change a row past the application (its append-only trigger taken off for the moment, as
    someone with the database's keys could)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditentry DISABLE TRIGGER ALL")
            cur.execute("UPDATE core_auditentry SET note = %s WHERE id = %s", [note, entry_id])
            cur.execute("ALTER TABLE core_auditentry ENABLE TRIGGER ALL")
        else:
            cur.execute("DROP TRIGGER IF EXISTS core_auditentry_no_update")
            cur.execute("UPDATE core_auditentry SET note = %s WHERE id = %s", [note, entry_id])


def _sql_delete(entry_id: int) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditentry DISABLE TRIGGER ALL")
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [entry_id])
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditentry ENABLE TRIGGER ALL")


def _sql_insert(entry_id: int, at, action: str, after: str | None = None) -> None:
    """A row written with a chosen id: a late commit (after is the row's own), or a forgery."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO core_auditentry (id, at, actor_name, action, object_type, object_id,"
            " object_repr, after, note, request_id, remote_addr, area_path, org_path)"
            " VALUES (%s, %s, '', %s, '', '', '', %s, '', '', '', '', '')",
            [entry_id, at, action, after],
        )


def _messages() -> list[str]:
    return [str(p) for p in auditchain.verify(cutoff=retention.audit_cutoff())]


def test_sealed_rows_verify_and_each_seal_links_to_the_previous():
    rows = _rows(5)
    assert auditchain.seal() == 5
    assert auditchain.seal() == 0
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [s.entry_id for s in seals] == [r.pk for r in rows]
    assert seals[0].prev_hash == auditchain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(seals))
    assert _messages() == []
    assert AuditChainHead.objects.get(pk=1).last_hash == seals[-1].hash


def test_a_changed_row_is_found():
    rows = _rows(3)
    auditchain.seal()
    _sql_update(rows[1].pk, "改过的说明")
    assert _messages() == [f"审计记录 #{rows[1].pk} 的内容被修改"]


def test_a_deleted_row_is_found():
    rows = _rows(3)
    auditchain.seal()
    _sql_delete(rows[0].pk)
    assert _messages() == [f"审计记录 #{rows[0].pk} 已被删除（未到保留期限）"]


def test_a_seal_taken_out_breaks_the_chain():
    _rows(3)
    auditchain.seal()
    AuditSeal.objects.filter(seq=2).delete()
    found = _messages()
    assert "封存序号 2–2 缺失：封存记录被删除" in found
    assert "封存序号 3 的前一哈希不符：链被改动" in found


def test_a_row_written_below_the_sealed_ones_is_found():
    rows = _rows(3)
    auditchain.seal()
    # An id left free below the last sealed one, filled past the application.
    _sql_delete(rows[1].pk)
    AuditSeal.objects.filter(entry_id=rows[1].pk).delete()
    _sql_insert(rows[1].pk, rows[1].at, "forged")
    assert f"审计记录 #{rows[1].pk} 未经封存：可能是绕过系统写入的" in _messages()


def test_a_row_committed_late_fills_its_gap_and_an_old_gap_closes():
    """PostgreSQL hands out ids before commit: a row missing below sealed ones is an open gap,
    sealed when it appears; one still missing after GAP_HOURS was a rollback, and a row that
    appears there later was not written by the application."""
    _first, late, _last = _rows(3)
    _sql_delete(late.pk)  # not committed yet, as far as the sealer can see
    assert auditchain.seal() == 2
    assert AuditChainHead.objects.get(pk=1).gaps.keys() == {str(late.pk)}
    assert _messages() == []
    _sql_insert(late.pk, late.at, late.action, '{"i": 1}')
    assert auditchain.seal() == 1
    assert AuditChainHead.objects.get(pk=1).gaps == {}
    assert _messages() == []
    # Another gap, never filled: closed after GAP_HOURS; a row there afterwards is flagged.
    _a, gone, _b = _rows(3, "second")
    _sql_delete(gone.pk)
    auditchain.seal()
    with time_machine.travel(dt.timedelta(hours=auditchain.GAP_HOURS + 1)):
        auditchain.seal()
        assert AuditChainHead.objects.get(pk=1).gaps == {}
        _sql_insert(gone.pk, gone.at, "forged")
        assert auditchain.seal() == 0
        assert _messages() == [f"审计记录 #{gone.pk} 未经封存：可能是绕过系统写入的"]


def test_a_purge_past_the_retention_leaves_the_chain_verifiable(settings):
    with time_machine.travel(dt.datetime(2025, 1, 10, 8, 0, tzinfo=dt.UTC), tick=False):
        old = _rows(3, "old")
        auditchain.seal()
    with time_machine.travel(dt.datetime(2026, 6, 10, 8, 0, tzinfo=dt.UTC), tick=False):
        young = _rows(2, "young")
        auditchain.seal()
        result = retention.audit_purge()
        auditchain.seal()  # the purge's own row
    assert result["deleted"] == 3
    assert not AuditSeal.objects.filter(entry_id__in=[r.pk for r in old]).exists()
    head = AuditChainHead.objects.get(pk=1)
    assert head.anchor_seq == 3
    assert AuditSeal.objects.get(seq=4).prev_hash == head.anchor_hash
    assert AuditSeal.objects.filter(entry_id__in=[r.pk for r in young]).count() == 2
    with time_machine.travel(dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        assert _messages() == []


def test_rows_are_sealed_once_their_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _rows(4)
    # One sealing per transaction, however many rows it wrote.
    assert len(callbacks) == 1
    assert AuditSeal.objects.count() == 4


def test_the_command_says_whether_the_chain_is_whole():
    rows = _rows(2)
    auditchain.seal()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "审计记录校验通过" in out.getvalue()
    _rows(1, "waiting")
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "另有 1 条审计记录刚写入、尚待封存" in out.getvalue()
    _sql_update(rows[0].pk, "改")
    err = StringIO()
    with pytest.raises(CommandError, match="审计记录校验发现1处问题"):
        call_command("audit", "verify", stdout=StringIO(), stderr=err)
    assert f"审计记录 #{rows[0].pk} 的内容被修改" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_in_the_web_processes_a_thread_seals_what_the_commits_wrote():
    """``dangjian serve`` seals on one thread per process, after the commits of a moment,
    instead of in each request: the rows are sealed soon after, in one transaction, and the
    chain verifies."""
    import time

    from django.db import transaction

    auditchain.seal()
    auditchain.seal_in_background()
    try:
        for i in range(3):
            with transaction.atomic():
                audit.record(actor=None, action=f"background.{i}", after={"i": i})
        deadline = time.monotonic() + 20
        while auditchain.waiting() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert auditchain.waiting() == 0
    finally:
        auditchain.seal_in_foreground()
    sealed = AuditSeal.objects.filter(
        entry_id__in=AuditEntry.objects.filter(action__startswith="background.").values("id")
    )
    assert sealed.count() == 3
    assert _messages() == []
