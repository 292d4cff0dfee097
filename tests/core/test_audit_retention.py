"""Audit rows are kept at least 6 calendar months: the retention is a setting (default 12)
that refuses less than 6; the clean-up deletes only older rows; on PostgreSQL the trigger reads
the same retention and refuses to delete younger rows by any path."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from dangjian import settings as settings_module
from dangjian.core import audit, retention
from dangjian.core.models import AuditEntry, AuditRetention
from tests.conftest import postgres_only

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_default_is_twelve_months(settings):
    assert settings.DANGJIAN["AUDIT_RETENTION_MONTHS"] == 12
    assert retention.audit_retention_months() == 12


def test_the_environment_setting_refuses_less_than_six(monkeypatch):
    monkeypatch.setenv("DANGJIAN_AUDIT_RETENTION_MONTHS", "6")
    assert settings_module._audit_retention_months() == 6
    monkeypatch.setenv("DANGJIAN_AUDIT_RETENTION_MONTHS", "24")
    assert settings_module._audit_retention_months() == 24
    for bad in ("5", "0", "-12", "十二", ""):
        monkeypatch.setenv("DANGJIAN_AUDIT_RETENTION_MONTHS", bad)
        with pytest.raises(ImproperlyConfigured) as info:
            settings_module._audit_retention_months()
        assert str(info.value) == (
            f"DANGJIAN_AUDIT_RETENTION_MONTHS（审计记录保留月数）应为不少于6的整数，当前为{bad!r}"
        )


def test_a_local_override_below_six_fails_the_system_check(settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "AUDIT_RETENTION_MONTHS": 6}
    assert retention.check_retention_setting() == []
    settings.DANGJIAN = {**settings.DANGJIAN, "AUDIT_RETENTION_MONTHS": 5}
    errors = retention.check_retention_setting()
    assert [(e.id, e.msg) for e in errors] == [
        ("dangjian.E001", "AUDIT_RETENTION_MONTHS（审计记录保留月数）不能少于6个月，当前为5")
    ]
    with pytest.raises(ImproperlyConfigured):
        retention.audit_retention_months()
    settings.DANGJIAN = {**settings.DANGJIAN, "AUDIT_RETENTION_MONTHS": "半年"}
    assert retention.check_retention_setting()[0].msg == (
        "AUDIT_RETENTION_MONTHS（审计记录保留月数）应为整数，当前为'半年'"
    )


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (
            dt.datetime(2027, 1, 15, 8, 0, tzinfo=UTC),
            12,
            dt.datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
        ),
        (dt.datetime(2027, 3, 31, 8, 0, tzinfo=UTC), 1, dt.datetime(2027, 2, 28, 8, 0, tzinfo=UTC)),
        (dt.datetime(2028, 3, 31, 8, 0, tzinfo=UTC), 1, dt.datetime(2028, 2, 29, 8, 0, tzinfo=UTC)),
        (dt.datetime(2027, 8, 31, 8, 0, tzinfo=UTC), 6, dt.datetime(2027, 2, 28, 8, 0, tzinfo=UTC)),
        (
            dt.datetime(2027, 1, 31, 0, 0, tzinfo=UTC),
            13,
            dt.datetime(2025, 12, 31, 0, 0, tzinfo=UTC),
        ),
        # Counted in UTC: 1 July 02:00 in Shanghai is still 30 June in UTC.
        (
            dt.datetime(2027, 7, 1, 2, 0, tzinfo=SHANGHAI),
            6,
            dt.datetime(2026, 12, 30, 18, 0, tzinfo=UTC),
        ),
    ],
)
def test_calendar_months(moment, months, expected):
    assert retention.months_before(moment, months) == expected


def _row_at(moment: dt.datetime, note: str) -> AuditEntry:
    with time_machine.travel(moment, tick=False):
        return audit.record(actor=None, action="probe", note=note)


def _pair(months: int) -> tuple[AuditEntry, AuditEntry]:
    """One row a day younger than the retention, one a day older (from the real clock, which
    PostgreSQL's now() also reads)."""
    cutoff = retention.months_before(timezone.now(), months)
    younger = _row_at(cutoff + dt.timedelta(days=1), "younger")
    older = _row_at(cutoff - dt.timedelta(days=1), "older")
    return younger, older


@pytest.mark.django_db
def test_purge_deletes_only_rows_older_than_the_retention():
    younger, older = _pair(12)
    recent = audit.record(actor=None, action="probe", note="now")
    out = StringIO()
    call_command("audit_purge", "--dry-run", stdout=out)
    assert "审计记录保留12个月：可清理" in out.getvalue() and "的记录1条" in out.getvalue()
    assert AuditEntry.objects.filter(pk=older.pk).exists()
    out = StringIO()
    call_command("audit_purge", stdout=out)
    assert "审计记录保留12个月：已清理" in out.getvalue() and "的记录1条" in out.getvalue()
    assert not AuditEntry.objects.filter(pk=older.pk).exists()
    assert set(AuditEntry.objects.filter(action="probe").values_list("pk", flat=True)) == {
        younger.pk,
        recent.pk,
    }
    entry = AuditEntry.objects.get(action="audit.purge")
    assert entry.after["months"] == 12 and entry.after["deleted"] == 1
    assert entry.note == "清理12个月前的审计记录1条"
    assert AuditRetention.objects.get().months == 12
    # Nothing more to purge: nothing deleted, nothing recorded.
    assert retention.audit_purge()["deleted"] == 0
    assert AuditEntry.objects.filter(action="audit.purge").count() == 1


@pytest.mark.django_db
def test_purge_follows_the_setting(settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "AUDIT_RETENTION_MONTHS": 6}
    younger, older = _pair(6)
    assert retention.audit_purge()["deleted"] == 1
    assert AuditEntry.objects.filter(pk=younger.pk).exists()
    assert not AuditEntry.objects.filter(pk=older.pk).exists()
    assert AuditRetention.objects.get().months == 6
    # Below the floor nothing is deleted, the row the trigger reads is left alone.
    settings.DANGJIAN = {**settings.DANGJIAN, "AUDIT_RETENTION_MONTHS": 5}
    before = AuditEntry.objects.count()
    with pytest.raises(ImproperlyConfigured):
        retention.audit_purge()
    assert AuditEntry.objects.count() == before
    assert AuditRetention.objects.get().months == 6


@pytest.mark.django_db
def test_the_database_row_refuses_less_than_six():
    assert AuditRetention.objects.get().months == 12  # written by the migration
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditRetention.objects.filter(pk=1).update(months=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditRetention.objects.create(pk=2, months=12)
    assert list(AuditRetention.objects.values_list("pk", "months")) == [(1, 12)]


def _raw_delete(row: AuditEntry) -> bool:
    """Delete by SQL, past the model's guards; answers whether the database allowed it."""
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditentry WHERE id = %s", [row.pk])
    except DatabaseError as exc:
        assert "audit entries are kept at least" in str(exc)
        return False
    return True


@postgres_only()
@pytest.mark.django_db
def test_the_trigger_reads_the_retention(settings):
    younger, older = _pair(12)
    assert _raw_delete(younger) is False
    assert AuditEntry.objects.filter(pk=younger.pk).exists()
    assert _raw_delete(older) is True
    assert not AuditEntry.objects.filter(pk=older.pk).exists()
    # A longer retention, written where the trigger reads it: a 12-month-old row is kept.
    settings.DANGJIAN = {**settings.DANGJIAN, "AUDIT_RETENTION_MONTHS": 24}
    assert retention.sync_retention() == 24
    _, older = _pair(12)
    assert _raw_delete(older) is False
    assert AuditEntry.objects.filter(pk=older.pk).exists()
    younger24, older24 = _pair(24)
    assert _raw_delete(younger24) is False and _raw_delete(older24) is True
    # Without the row the trigger keeps 12 months.
    AuditRetention.objects.all().delete()
    younger, older = _pair(12)
    assert _raw_delete(younger) is False and _raw_delete(older) is True
