"""Awards: the one keyed award service, the sweep of the sources, manual awards through the
points committee (monthly review, quarterly scoring: ``AWARD_FLOW``), corrections and the
yearly stars.

The key of an award is ``core.ledger.idempotency_key(source, rule, subject)`` with source
``<source>:<source row>``, rule ``r<rule id>`` and subject ``u<user id>``; it is both the
award's unique key and its ledger transaction's, so replaying a source writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone

from dangjian.core import audit, bulk, ledger, notify, scope, workflow
from dangjian.core.errors import Conflict
from dangjian.core.models import LedgerAccount, LedgerTransaction, StoredFile
from dangjian.core.months import add_months
from dangjian.core.validation import Errors, clean_text, one_line
from dangjian.points import sources
from dangjian.points.models import (
    Audience,
    Award,
    AwardState,
    AwardStep,
    CapPeriod,
    Rule,
    Scheme,
    Source,
    Star,
    SweepMark,
)

LEDGER = "points"
AWARD_COLUMNS = (
    "scheme",
    "rule",
    "user",
    "subject_name",
    "area_path",
    "org_path",
    "source",
    "source_ref",
    "key",
    "points",
    "occurred_on",
    "state",
    "evidence",
    "evidence_file",
    "note",
    "submitted_by",
    "txn",
    "reversal",
    "created_at",
)
CHUNK = 5000
STEP = 4  # characters per path step (core.tree)

notify.declare_kind("points.award", "积分到账")
notify.declare_kind("points.redemption", "积分兑换")


# --- periods and accounts -----------------------------------------------------------------------


def period_bounds(day: dt.date, period: str) -> tuple[dt.date, dt.date]:
    """The first day of ``day``'s period and the first day of the next."""
    if period == CapPeriod.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    months = 3 if period == CapPeriod.QUARTER else 1
    first = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first, 1)
    return start, add_months(start, months)


def account_code(scheme_id: int, user_id: int) -> str:
    return f"pts:{scheme_id}:u{user_id}"


def issue_code(scheme_id: int) -> str:
    return f"pts:{scheme_id}:issue"


def spent_code(scheme_id: int) -> str:
    return f"pts:{scheme_id}:spent"


def scheme_accounts(scheme: Scheme) -> tuple[int, int]:
    ids = ledger.accounts_open_many(
        ledger=LEDGER,
        specs=[
            {
                "code": issue_code(scheme.pk),
                "name": f"{scheme.name}·发放",
                "area_path": scheme.area_path,
                "org_path": scheme.org_path,
            },
            {
                "code": spent_code(scheme.pk),
                "name": f"{scheme.name}·兑换",
                "area_path": scheme.area_path,
                "org_path": scheme.org_path,
            },
        ],
        allow_negative=True,
    )
    return ids[issue_code(scheme.pk)], ids[spent_code(scheme.pk)]


def subject_account(scheme: Scheme, user_id: int, name: str, area_path: str, org_path: str):
    return ledger.account_open(
        ledger=LEDGER,
        code=account_code(scheme.pk, user_id),
        name=name,
        area_path=area_path,
        org_path=org_path,
    )


def award_key(source: str, ref: str, rule_id: int, user_id: int) -> str:
    return ledger.idempotency_key(f"{source}:{ref}", f"r{rule_id}", f"u{user_id}")


# --- the batch award of source events -------------------------------------------------------


class _Rules:
    """The active rules of the active schemes, by source and by the path they cover."""

    def __init__(self):
        self.by: dict[tuple[str, str], list[Rule]] = defaultdict(list)
        rules = Rule.objects.filter(active=True, scheme__active=True).select_related("scheme")
        for rule in rules.exclude(source=Source.MANUAL):
            self.by[(rule.source, rule.scheme.subject_path)].append(rule)
        self.paths = {path for _, path in self.by}

    def matching(self, ev: sources.SourceEvent) -> list[Rule]:
        found: list[Rule] = []
        for path in (ev.area_path, ev.org_path):
            for n in range(STEP, len(path) + 1, STEP):
                prefix = path[:n]
                if prefix in self.paths:
                    for rule in self.by.get((ev.source, prefix), ()):
                        ok = (rule.scheme.audience == Audience.RESIDENTS) == (path is ev.area_path)
                        if ok:
                            found.append(rule)
        return found


def _cap_totals(candidates) -> dict[tuple[int, int, dt.date], Decimal]:
    """What each (capped rule, subject, period start) already holds."""
    capped = [(rule, user_id, day) for rule, user_id, day, _pts in candidates if rule.cap]
    if not capped:
        return {}
    rule_ids = {r.pk for r, _u, _d in capped}
    user_ids = {u for _r, u, _d in capped}
    lo = min(period_bounds(d, r.cap_period)[0] for r, _u, d in capped)
    hi = max(period_bounds(d, r.cap_period)[1] for r, _u, d in capped)
    periods = {r.pk: r.cap_period for r, _u, _d in capped}
    totals: dict[tuple[int, int, dt.date], Decimal] = defaultdict(Decimal)
    rows = (
        Award.objects.filter(
            rule_id__in=rule_ids,
            user_id__in=user_ids,
            state=AwardState.POSTED,
            occurred_on__gte=lo,
            occurred_on__lt=hi,
        )
        .values_list("rule_id", "user_id", "occurred_on")
        .annotate(total=Sum("points"))
    )
    for rule_id, user_id, day, total in rows:
        start = period_bounds(day, periods[rule_id])[0]
        totals[(rule_id, user_id, start)] += Decimal(str(total)).quantize(Decimal("0.01"))
    return totals


def award_events(events: Iterable[sources.SourceEvent], *, actor=None, chunk: int = CHUNK) -> int:
    """Award every rule each source event earns, once per key, in batches; returns how many
    awards were made now (0 for a replay)."""
    rules = _Rules()
    made = 0
    batch: list[sources.SourceEvent] = []
    for ev in events:
        batch.append(ev)
        if len(batch) >= chunk:
            made += _award_chunk(batch, rules, actor)
            batch = []
    if batch:
        made += _award_chunk(batch, rules, actor)
    return made


@transaction.atomic
def _award_chunk(events: list[sources.SourceEvent], rules: _Rules, actor) -> int:
    candidates = []
    info: dict[str, tuple] = {}
    for ev in events:
        for rule in rules.matching(ev):
            key = award_key(ev.source, ev.ref, rule.pk, ev.user_id)
            if key in info:
                continue
            pts = (rule.points * ev.quantity).quantize(Decimal("0.01"))
            if pts <= 0:
                continue
            info[key] = (ev, rule, pts)
            candidates.append((rule, ev.user_id, ev.occurred_on, pts))
    if not info:
        return 0
    keys = list(info)
    done: set[str] = {k for (k,) in bulk.values_in(Award, "key", keys, ("key",))}
    todo = [k for k in keys if k not in done]
    if not todo:
        return 0
    totals = _cap_totals(
        [(info[k][1], info[k][0].user_id, info[k][0].occurred_on, info[k][2]) for k in todo]
    )
    schemes = {info[k][1].scheme_id: info[k][1].scheme for k in todo}
    specs = [
        {
            "code": issue_code(s.pk),
            "name": f"{s.name}·发放",
            "area_path": s.area_path,
            "org_path": s.org_path,
        }
        for s in schemes.values()
    ]
    issue_ids = ledger.accounts_open_many(ledger=LEDGER, specs=specs, allow_negative=True)
    subject_specs = {}
    final: list[tuple[str, sources.SourceEvent, Rule, Decimal]] = []
    for k in todo:
        ev, rule, pts = info[k]
        if rule.cap:
            slot = (rule.pk, ev.user_id, period_bounds(ev.occurred_on, rule.cap_period)[0])
            room = rule.cap - totals[slot]
            if room <= 0:
                continue
            pts = min(pts, room)
            totals[slot] += pts
        code = account_code(rule.scheme_id, ev.user_id)
        subject_specs[code] = {
            "code": code,
            "name": ev.name,
            "area_path": ev.area_path,
            "org_path": ev.org_path,
        }
        final.append((k, ev, rule, pts))
    if not final:
        return 0
    acct = ledger.accounts_open_many(ledger=LEDGER, specs=list(subject_specs.values()))
    postings = [
        ledger.Posting(
            key=k,
            kind="points.award",
            entries=(
                (acct[account_code(rule.scheme_id, ev.user_id)], pts),
                (issue_ids[issue_code(rule.scheme_id)], -pts),
            ),
            memo=rule.name,
            occurred_on=ev.occurred_on,
        )
        for k, ev, rule, pts in final
    ]
    txn_ids = ledger.post_many(ledger=LEDGER, postings=postings, actor=actor)
    convert = bulk.adapter(Award)
    now = convert(timezone.now())
    bulk.insert_rows(
        Award,
        AWARD_COLUMNS,
        (
            (
                rule.scheme_id,
                rule.pk,
                ev.user_id,
                ev.name[:50],
                ev.area_path,
                ev.org_path,
                ev.source,
                ev.ref[:64],
                k,
                pts,
                convert(ev.occurred_on),
                AwardState.POSTED,
                "",
                None,
                "",
                None,
                txn_ids[k],
                None,
                now,
            )
            for k, ev, rule, pts in final
            if k in txn_ids
        ),
    )
    return len(txn_ids)


def collect(*, now: dt.datetime | None = None, only: Iterable[str] | None = None) -> dict:
    """Sweep every registered source from its watermark to ``now`` and award what it yields;
    returns the awards made per source. One audit row per run."""
    now = now or timezone.now()
    wanted = set(only) if only is not None else None
    made: dict[str, int] = {}
    for source, collector in sources.collectors().items():
        if wanted is not None and source not in wanted:
            continue
        mark, _ = SweepMark.objects.get_or_create(source=source)
        n = award_events(collector(mark.watermark, now))
        SweepMark.objects.filter(pk=mark.pk).update(
            watermark=now, last_run_at=timezone.now(), awarded=mark.awarded + n
        )
        made[source] = n
    audit.record(
        actor=None,
        action="points.collect",
        object_type="points.sweepmark",
        object_repr="积分自动采集",
        note="；".join(f"{s}:{n}" for s, n in made.items()),
    )
    return made


# --- manual awards: submitted, reviewed monthly, scored quarterly ---------------------------


def subject_paths(user) -> tuple[str, str]:
    member = getattr(user, "member_file", None) if user is not None else None
    return user.area_path or "", member.org_path if member is not None else ""


def is_subject(scheme: Scheme, user) -> bool:
    area_path, org_path = subject_paths(user)
    path = area_path if scheme.audience == Audience.RESIDENTS else org_path
    return bool(scheme.subject_path) and path.startswith(scheme.subject_path)


@transaction.atomic
def award_submit(*, actor, rule_id, user_id=None, data: dict) -> Award:
    """A manual award (a claim with its evidence) waiting for the committee's monthly review.
    Staff who manage the scheme submit for any of its subjects; anyone for themselves."""
    errors = Errors()
    rule = Rule.objects.select_related("scheme").filter(pk=rule_id or 0).first()
    own = user_id in (None, actor.pk)
    if rule is None or not (
        scope.is_visible(rule, actor, "points.view") or (own and is_subject(rule.scheme, actor))
    ):
        raise Http404("未找到")
    if rule.source != Source.MANUAL or not rule.active or not rule.scheme.active:
        errors.add("rule_id", "该规则不接受人工申报")
    User = get_user_model()
    subject = (
        actor if own else User.objects.filter(pk=user_id).select_related("member_file").first()
    )
    if subject is None or not is_subject(rule.scheme, subject):
        errors.add("user_id", "该人员不属于本积分方案")
    elif not own and not scope.is_visible(rule.scheme, actor, "points.manage"):
        raise scope.Forbidden("只有积分评定委员会可以为他人申报")
    evidence = clean_text(data.get("evidence"), 500)
    file_id = data.get("evidence_file_id")
    evidence_file = StoredFile.objects.filter(pk=file_id).first() if file_id else None
    if file_id and evidence_file is None:
        errors.add("evidence_file_id", "佐证文件不存在")
    if rule is not None and rule.evidence_required and not (evidence or evidence_file):
        errors.add("evidence", "该规则须提供佐证（说明或照片）")
    occurred_on = data.get("occurred_on") or timezone.localdate()
    if isinstance(occurred_on, dt.date) and occurred_on > timezone.localdate():
        errors.add("occurred_on", "发生日期不能晚于今天")
    errors.check()
    area_path, org_path = subject_paths(subject)
    now = timezone.now()
    award = Award(
        scheme=rule.scheme,
        rule=rule,
        user=subject,
        subject_name=str(subject)[:50],
        area_path=area_path,
        org_path=org_path,
        source=Source.MANUAL,
        source_ref="",
        key=f"manual:pending:{now.timestamp()}:{actor.pk}",
        points=rule.signed_points,
        occurred_on=occurred_on,
        state=AwardState.SUBMITTED,
        evidence=evidence,
        evidence_file=evidence_file,
        note=one_line(data.get("note"))[:200],
        submitted_by=actor,
        created_at=now,
    )
    award.save()
    award.source_ref = str(award.pk)
    award.key = award_key(Source.MANUAL, str(award.pk), rule.pk, subject.pk)
    award.save(update_fields=["source_ref", "key"])
    audit.record(
        actor=actor,
        action="points.award_submit",
        obj=award,
        after={"rule": rule.name, "points": str(award.points)},
    )
    return award


def _committee(actor, award, move) -> str | None:
    if not scope.is_visible(award.scheme, actor, "points.review"):
        return "只有积分评定委员会可以评议"
    return None


def _post_award(ctx: workflow.Context) -> None:
    """Quarterly scoring: post the award (within the rule's cap for its period)."""
    award: Award = ctx.obj
    rule = award.rule
    pts = award.points
    if rule.cap and pts > 0:
        start, end = period_bounds(award.occurred_on, rule.cap_period)
        held = (
            Award.objects.filter(
                rule=rule,
                user_id=award.user_id,
                state=AwardState.POSTED,
                occurred_on__gte=start,
                occurred_on__lt=end,
            ).aggregate(t=Sum("points"))["t"]
            or 0
        )
        room = rule.cap - Decimal(str(held)).quantize(Decimal("0.01"))
        if room <= 0:
            raise Conflict(f"“{rule.name}”本{rule.get_cap_period_display()}已达上限{rule.cap}分")
        pts = min(pts, room)
        award.points = pts
    scheme = award.scheme
    issue_id, _ = scheme_accounts(scheme)
    account = subject_account(
        scheme, award.user_id, award.subject_name, award.area_path, award.org_path
    )
    issue = LedgerAccount.objects.get(pk=issue_id)
    try:
        award.txn = ledger.post(
            ledger=LEDGER,
            key=award.key,
            kind="points.award",
            entries=[(account, pts), (issue, -pts)],
            memo=rule.name,
            occurred_on=award.occurred_on,
            actor=ctx.actor,
        )
    except ValidationError:
        raise Conflict(f"积分余额不足，无法扣减{-pts}分") from None
    ctx.data["points"] = str(pts)


def _history(ctx: workflow.Context) -> None:
    AwardStep.objects.create(
        award=ctx.obj,
        action=ctx.action,
        from_state=ctx.from_state,
        to_state=ctx.obj.state,
        actor=ctx.actor,
        note=ctx.note[:200],
        at=ctx.now,
    )
    if ctx.action == "score" and ctx.obj.points > 0:
        notify.notify(
            recipients=[ctx.obj.user_id],
            kind="points.award",
            title=f"积分到账：{ctx.obj.rule.name} +{ctx.obj.points}",
            url="/m/points/",
            key=f"points.award:{ctx.obj.pk}",
        )


AWARD_FLOW = workflow.Flow(
    name="points.award",
    states=AwardState,
    actions={
        "approve": workflow.Action(
            "月度评议通过",
            frozenset({AwardState.SUBMITTED}),
            AwardState.APPROVED,
            "points.review",
            "committee",
        ),
        "reject": workflow.Action(
            "评议不通过",
            frozenset({AwardState.SUBMITTED, AwardState.APPROVED}),
            AwardState.REJECTED,
            "points.review",
            "committee",
        ),
        "score": workflow.Action(
            "季度评分记分",
            frozenset({AwardState.APPROVED}),
            AwardState.POSTED,
            "points.review",
            "committee",
        ),
    },
    sides={"committee": _committee},
    queryset=lambda: Award.objects.select_related("rule", "scheme"),
    view_permission="points.view",
    effects={"score": _post_award},
    history=_history,
)


def award_transition(*, actor, award_id: int, action: str, note: str = "") -> Award:
    return workflow.run(
        AWARD_FLOW, actor=actor, pk=award_id, action=action, note=clean_text(note, 200)
    ).obj


@transaction.atomic
def award_reverse(*, actor, award_id: int, note: str) -> Award:
    """Correct a posted award: a reversing ledger transaction; the award reads reversed."""
    award = scope.get_visible(
        Award.objects.select_for_update().select_related("rule"),
        actor,
        "points.manage",
        view_action="points.view",
        pk=award_id,
    )
    note = clean_text(note, 200)
    if not note:
        raise ValidationError({"note": ["请说明冲正原因"]})
    if award.state != AwardState.POSTED or award.txn_id is None:
        raise Conflict(f"当前状态为“{award.get_state_display()}”，不能冲正")
    txn = LedgerTransaction.objects.get(pk=award.txn_id)
    try:
        award.reversal = ledger.reverse(txn=txn, memo=f"冲正：{note}", actor=actor)
    except ValidationError:
        raise Conflict("积分已被兑换，余额不足，无法冲正") from None
    award.state = AwardState.REVERSED
    award.save(update_fields=["reversal", "state"])
    AwardStep.objects.create(
        award=award,
        action="reverse",
        from_state=AwardState.POSTED,
        to_state=AwardState.REVERSED,
        actor=actor,
        note=note,
        at=timezone.now(),
    )
    audit.record(actor=actor, action="points.award_reverse", obj=award, note=note)
    return award


# --- yearly stars -------------------------------------------------------------------------------


@transaction.atomic
def stars_award(*, actor, scheme_id: int, year: int) -> list[Star]:
    """The committee names the year's 积分明星: the scheme's top subjects by the points they
    earned that year (ties by who reached it first). Naming them again replaces the list."""
    scheme = scope.get_visible(
        Scheme, actor, "points.review", view_action="points.view", pk=scheme_id
    )
    if not 2000 <= int(year) <= timezone.localdate().year:
        raise ValidationError({"year": ["年度无效"]})
    rows = (
        Award.objects.filter(scheme=scheme, state=AwardState.POSTED, occurred_on__year=year)
        .values("user_id")
        .annotate(total=Sum("points"))
        .filter(total__gt=0)
        .order_by("-total", "user_id")[: scheme.star_count]
    )
    rows = list(rows)
    who = {
        user_id: (name, area_path, org_path)
        for user_id, name, area_path, org_path in Award.objects.filter(
            scheme=scheme, user_id__in=[r["user_id"] for r in rows]
        ).values_list("user_id", "subject_name", "area_path", "org_path")
    }
    Star.objects.filter(scheme=scheme, year=year).delete()
    stars = Star.objects.bulk_create(
        [
            Star(
                scheme=scheme,
                year=year,
                rank=i + 1,
                user_id=r["user_id"],
                subject_name=who[r["user_id"]][0],
                points=Decimal(str(r["total"])).quantize(Decimal("0.01")),
                area_path=who[r["user_id"]][1],
                org_path=who[r["user_id"]][2],
            )
            for i, r in enumerate(rows)
        ]
    )
    audit.record(
        actor=actor,
        action="points.stars_award",
        obj=scheme,
        note=f"{year}年度积分明星{len(stars)}名",
    )
    return stars
