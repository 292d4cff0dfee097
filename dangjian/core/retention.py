"""How long audit rows are kept: at least ``MIN_MONTHS`` calendar months, by default 12.

The setting ``DANGJIAN["AUDIT_RETENTION_MONTHS"]`` (environment
``DANGJIAN_AUDIT_RETENTION_MONTHS``) is the one source. Settings refuse less than six at
start-up, a system check refuses it when a local settings module overrides it, and this module
refuses it again before purging. The database reads it too: the one row of
``core_auditretention`` (``AuditRetention``) holds it, written after every ``migrate`` and by
every purge, and the PostgreSQL trigger on ``core_auditentry`` refuses to delete a row younger
than that many calendar months (and never fewer than six, whatever the row says).

Months are calendar months in UTC, as PostgreSQL counts ``timestamp - interval 'N months'``:
the same day of the month N months earlier, or that month's last day when it has no such day.
"""

from __future__ import annotations

import datetime as dt

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.conf import setting
from dangjian.core.months import add_months

MIN_MONTHS = 6
DEFAULT_MONTHS = 12
PURGE_BATCH = 5000


def check_months(value) -> int:
    """``value`` as a number of months, or ImproperlyConfigured naming the floor."""
    if isinstance(value, int) and not isinstance(value, bool):
        months = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        months = int(value)
    else:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_MONTHS（审计记录保留月数）应为整数，当前为{value!r}"
        )
    if months < MIN_MONTHS:
        raise ImproperlyConfigured(
            f"AUDIT_RETENTION_MONTHS（审计记录保留月数）不能少于{MIN_MONTHS}个月，当前为{months}"
        )
    return months


def audit_retention_months() -> int:
    return check_months(setting("AUDIT_RETENTION_MONTHS", DEFAULT_MONTHS))


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` (aware) ``months`` calendar months earlier, in UTC, the day clamped to the
    month's last day (as PostgreSQL does)."""
    return add_months(moment.astimezone(dt.UTC), -months)


def audit_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Rows at or after this moment are kept; older ones may be purged."""
    return months_before(now or timezone.now(), audit_retention_months())


def sync_retention(using: str = "default") -> int:
    """Write the setting into the row the database trigger reads; answers the months."""
    from dangjian.core.models import AuditRetention

    months = audit_retention_months()
    AuditRetention.objects.using(using).update_or_create(pk=1, defaults={"months": months})
    return months


def audit_purge(*, now: dt.datetime | None = None, dry_run: bool = False) -> dict:
    """Delete the audit rows older than the retention (in batches), after writing the retention
    where the trigger reads it; the purge itself is audited. Answers ``{"months", "cutoff",
    "deleted"}``."""
    from dangjian.core import audit
    from dangjian.core.models import AuditEntry

    months = audit_retention_months()
    cutoff = months_before(now or timezone.now(), months)
    old: QuerySet = QuerySet(AuditEntry).filter(at__lt=cutoff)  # not the append-only manager
    if dry_run:
        return {"months": months, "cutoff": cutoff, "deleted": old.count()}
    sync_retention()
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(old.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
            if not batch:
                break
            deleted += QuerySet(AuditEntry).filter(pk__in=batch)._raw_delete("default")
    if deleted:
        from dangjian.core.auditchain import forget_purged

        forget_purged(cutoff)
        audit.record(
            actor=None,
            action="audit.purge",
            after={"months": months, "cutoff": cutoff.isoformat(), "deleted": deleted},
            note=f"清理{months}个月前的审计记录{deleted}条",
        )
    return {"months": months, "cutoff": cutoff, "deleted": deleted}


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    """post_migrate: keep the database's copy of the retention in step with the setting."""
    from dangjian.core.models import AuditRetention

    table = AuditRetention._meta.db_table
    if table in connections[using].introspection.table_names():
        sync_retention(using)


@checks.register(checks.Tags.compatibility)
def check_retention_setting(app_configs=None, **kwargs) -> list:
    try:
        audit_retention_months()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="dangjian.E001")]
    return []
