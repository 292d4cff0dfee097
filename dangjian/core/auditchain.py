"""The audit rows' hash chain: tamper evidence like the ledger's.

A row is sealed right after the transaction that wrote it commits (``seal_after_commit``):
the sealer takes the chain head's lock, reads the rows not yet sealed in id order and writes
one ``AuditSeal`` each, hash = SM3(previous hash, the row's content). Sealing after the commit
instead of inside the writer's transaction keeps the chain's lock out of every service's
transaction: writers never wait on each other for it and cannot deadlock on it.

On PostgreSQL ids are not committed in order: an id missing below one being sealed is an open
gap, sealed when its row appears; a gap still empty after ``GAP_HOURS`` was a rollback. A row
that appears in a closed gap, or anywhere below the sealed ids unsealed, was put there past the
application, and ``verify`` says so.

In ``dangjian serve``'s web processes the seal is not made by the request that wrote the rows
but by one thread of the process (``seal_in_background``), woken by the commit and sealing
what the commits of the last moment (``GATHER``) wrote, together. A report on SQLite took the
writers' lock twice, for its transaction and then for its seal, and the seal was a seventh of
its CPU; at 60 reports a second the second turns lengthened every writer's wait. Rows wait
for their seal for that moment: ``verify`` counts them as waiting, not as problems, and the next
seal anywhere (any write, ``dangjian audit seal``) takes them if the process stops first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from django.db import connection, transaction
from django.utils import timezone

GENESIS = "0" * 64
BATCH = 2000
GAP_HOURS = 6
MAX_GAP_RUN = 1000


def _content(row: dict) -> str:
    at = row["at"]
    if isinstance(at, dt.datetime):
        at = at.astimezone(dt.UTC).isoformat()
    values = [
        row["id"],
        at,
        row["actor_id"],
        row["actor_name"],
        row["action"],
        row["object_type"],
        row["object_id"],
        row["object_repr"],
        row["before"],
        row["after"],
        row["note"],
        row["request_id"],
        row["remote_addr"],
        row["area_path"],
        row["org_path"],
        row["sealed_actor"],
    ]
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "note",
    "request_id",
    "remote_addr",
    "area_path",
    "org_path",
    "sealed_actor",
)


def digest(prev_hash: str, row: dict) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(f"{prev_hash}\n{_content(row)}".encode())
    return h.finalize().hex()


def _head():
    from dangjian.core.models import AuditChainHead

    # One statement once the head exists (every write seals: the get_or_create before the
    # locked read was a second statement each time).
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def seal() -> int:
    """Seal every committed audit row not sealed yet; answers how many."""
    from dangjian.core.models import AuditEntry, AuditSeal

    total = 0
    while True:
        with transaction.atomic():
            head = _head()
            now = timezone.now()
            gaps = {int(k): v for k, v in (head.gaps or {}).items()}
            rows = list(
                AuditEntry.objects.filter(id__gt=head.last_entry_id)
                .order_by("id")
                .values(*FIELDS)[:BATCH]
            )
            filled = (
                list(AuditEntry.objects.filter(id__in=list(gaps)).order_by("id").values(*FIELDS))
                if gaps
                else []
            )
            if not rows and not filled:
                expired = _expire(gaps, now)
                if expired:
                    head.gaps = {str(k): v for k, v in gaps.items()}
                    head.save(update_fields=["gaps"])
                return total
            # The first seal starts at the first row there is (ids below it were never seen).
            expected = head.last_entry_id + 1 if head.seq else (rows[0]["id"] if rows else 0)
            for row in rows:
                # Rows still being written are among the newest ids: a longer run of missing
                # ids is rollbacks, not worth remembering one by one.
                start = max(expected, row["id"] - MAX_GAP_RUN)
                for missing in range(start, row["id"]):
                    gaps[missing] = now.isoformat()
                expected = row["id"] + 1
            for row in filled:
                gaps.pop(row["id"], None)
            _expire(gaps, now)
            seals = []
            prev, seq = head.last_hash or GENESIS, head.seq
            for row in [*filled, *rows]:
                seq += 1
                h = digest(prev, row)
                seals.append(
                    AuditSeal(
                        seq=seq, entry_id=row["id"], entry_at=row["at"], prev_hash=prev, hash=h
                    )
                )
                prev = h
            AuditSeal.objects.bulk_create(seals)
            head.seq, head.last_hash = seq, prev
            if rows:
                head.last_entry_id = rows[-1]["id"]
            head.gaps = {str(k): v for k, v in gaps.items()}
            head.save()
            total += len(seals)
            if len(rows) < BATCH:
                return total


def _expire(gaps: dict, now) -> bool:
    cutoff = now - dt.timedelta(hours=GAP_HOURS)
    old = [k for k, seen in gaps.items() if dt.datetime.fromisoformat(seen) < cutoff]
    for k in old:
        gaps.pop(k)
    return bool(old)


def _seal_logged() -> None:
    try:
        seal()
    except Exception:  # the write itself stands; the next write (or `audit seal`) seals it
        logging.getLogger("dangjian.audit").exception("审计记录封存失败，将在下次写入时重试")


# How long the sealing thread waits after a commit wakes it, so that the commits of that moment
# are sealed in one transaction.
GATHER = 0.05


class _Sealer:
    """The process's sealing thread (see the module's docstring)."""

    def __init__(self) -> None:
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self._thread.start()

    def want(self) -> None:
        self._wanted.set()

    def stop(self) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        from django.db import connection as own

        try:
            while not self._stopping:
                self._wanted.wait()
                time.sleep(GATHER)
                self._wanted.clear()
                own.close_if_unusable_or_obsolete()  # a database restarted since the last seal
                _seal_logged()
        finally:
            own.close()


_background: _Sealer | None = None
_background_lock = threading.Lock()


def seal_in_background() -> None:
    """From now on this process seals on its own thread (``dangjian serve``'s web processes:
    the thread is started in the process that serves, after the fork)."""
    global _background
    with _background_lock:
        if _background is None:
            _background = _Sealer()


def seal_in_foreground() -> None:
    """Back to sealing after each commit, in the committing thread (tests)."""
    global _background
    with _background_lock:
        sealer, _background = _background, None
    if sealer is not None:
        sealer.stop()


def _seal_after_commit() -> None:
    sealer = _background
    if sealer is not None:
        sealer.want()
    else:
        _seal_logged()


def seal_after_commit() -> None:
    """Seal what this transaction wrote once it commits (once per transaction)."""
    if not connection.in_atomic_block:
        _seal_after_commit()
        return
    if any(entry[1] is _seal_after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_seal_after_commit, robust=True)


@dataclass(frozen=True)
class Problem:
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def verify(*, cutoff: dt.datetime) -> list[Problem]:
    """Walk the chain from its anchor; every changed, deleted or unsealed row, and every seal
    taken out, is a problem (none: the audit trail is whole). A row missing from before
    ``cutoff`` (``retention.audit_cutoff()``) was purged, not taken."""
    from dangjian.core.models import AuditChainHead, AuditEntry, AuditSeal

    problems: list[Problem] = []
    head = AuditChainHead.objects.filter(pk=1).first()
    anchor_seq = head.anchor_seq if head else 0
    prev = (head.anchor_hash if head else "") or GENESIS
    expected = anchor_seq + 1
    after = anchor_seq
    while True:
        seals = list(AuditSeal.objects.filter(seq__gt=after).order_by("seq")[:BATCH])
        if not seals:
            break
        rows = {
            r["id"]: r
            for r in AuditEntry.objects.filter(id__in=[s.entry_id for s in seals]).values(*FIELDS)
        }
        for s in seals:
            if s.seq != expected:
                problems.append(
                    Problem(None, f"封存序号 {expected}–{s.seq - 1} 缺失：封存记录被删除")
                )
            if s.prev_hash != prev:
                problems.append(Problem(s.entry_id, f"封存序号 {s.seq} 的前一哈希不符：链被改动"))
            row = rows.get(s.entry_id)
            if row is None:
                if s.entry_at >= cutoff:
                    problems.append(
                        Problem(s.entry_id, f"审计记录 #{s.entry_id} 已被删除（未到保留期限）")
                    )
            elif digest(s.prev_hash, row) != s.hash:
                problems.append(Problem(s.entry_id, f"审计记录 #{s.entry_id} 的内容被修改"))
            prev, expected = s.hash, s.seq + 1
        after = seals[-1].seq
    if head is not None and (head.seq != expected - 1 or (head.last_hash or GENESIS) != prev):
        problems.append(Problem(None, "审计链头与最后一条封存不符：链尾被改动"))
    if head is not None:
        open_gaps = [int(k) for k in (head.gaps or {})]
        unsealed = (
            AuditEntry.objects.filter(id__lte=head.last_entry_id)
            .exclude(id__in=open_gaps)
            .exclude(id__in=AuditSeal.objects.values("entry_id"))
            .order_by("id")
            .values_list("id", flat=True)
        )
        for entry_id in unsealed.iterator(chunk_size=BATCH):
            problems.append(
                Problem(entry_id, f"审计记录 #{entry_id} 未经封存：可能是绕过系统写入的")
            )
    return problems


def waiting() -> int:
    """Audit rows written after the last sealed one (sealed at the next commit)."""
    from dangjian.core.models import AuditChainHead, AuditEntry

    head = AuditChainHead.objects.filter(pk=1).first()
    return AuditEntry.objects.filter(id__gt=head.last_entry_id if head else 0).count()


def forget_purged(cutoff) -> int:
    """After a purge: the seals before the first row still kept go, and the chain starts from
    the last of them (its hash is the anchor). Answers the seals removed."""
    from dangjian.core.models import AuditSeal

    with transaction.atomic():
        head = _head()
        first_kept = (
            AuditSeal.objects.filter(entry_at__gte=cutoff).order_by("seq").values("seq").first()
        )
        upto = first_kept["seq"] if first_kept else head.seq + 1
        old = AuditSeal.objects.filter(seq__lt=upto)
        last = old.order_by("-seq").first()
        if last is None:
            return 0
        removed = old.count()
        head.anchor_seq, head.anchor_hash = last.seq, last.hash
        head.save(update_fields=["anchor_seq", "anchor_hash"])
        old.delete()
        return removed
