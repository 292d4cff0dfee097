"""Writes of the weak-organization assessment: thresholds (audited), the yearly flags
(recomputed, idempotent), manual flags with evidence, the counties' rankings and their
confirmation, which opens a rectification per organization on the list."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from dangjian.assessment import rules, thresholds
from dangjian.assessment.models import (
    Flag,
    Ranking,
    RankingEntry,
    RankingState,
    Rectification,
    RectificationState,
    RectificationStep,
    RuleSetting,
    WeakRule,
)
from dangjian.core import audit, scope, tree, workdays
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_text
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

VIEW = "assessment.view"
MANAGE = "assessment.manage"
YEAR_MIN, YEAR_MAX = 2000, 2100


def clean_year(errors: Errors, year) -> int | None:
    try:
        y = int(year)
    except (TypeError, ValueError):
        errors.add("year", "年度（year）应为整数")
        return None
    if not YEAR_MIN <= y <= YEAR_MAX:
        errors.add("year", f"年度（year）应在{YEAR_MIN}至{YEAR_MAX}之间")
        return None
    return y


# --- thresholds ---------------------------------------------------------------------------------


@transaction.atomic
def rule_setting_set(*, actor, key: str, value) -> RuleSetting:
    """Set a threshold (staff with ``assessment.manage`` over the root: a threshold holds for
    the whole deployment). Audited; applies from the next computation."""
    if not actor.can(MANAGE) or not _covers_root(actor):
        raise scope.Forbidden("只有市级考核管理人员可以修改考核规则")
    errors = Errors()
    knob = thresholds.KNOBS.get(str(key))
    if knob is None:
        errors.add("key", "设置项（key）不存在")
        errors.check()
    try:
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.add("value", f"{knob.label}应为数字")
        errors.check()
    if knob.integer and number != number.to_integral_value():
        errors.add("value", f"{knob.label}应为整数")
    elif not knob.low <= number <= knob.high:
        errors.add("value", f"{knob.label}应在{knob.low}至{knob.high}之间")
    errors.check()
    text = str(int(number)) if knob.integer else str(number.normalize())
    before = thresholds.value(knob.key)
    row, _ = RuleSetting.objects.update_or_create(
        key=knob.key, defaults={"value": text, "updated_by": actor}
    )
    audit.record(
        actor=actor,
        action="assessment.rule_setting_set",
        obj=row,
        before={"key": knob.key, "value": str(before)},
        after={"key": knob.key, "value": text},
    )
    return row


def _covers_root(actor) -> bool:
    reach = scope.reach_of(actor, MANAGE)
    roots = list(Area.objects.filter(parent__isnull=True).values_list("path", flat=True))
    return bool(roots) and all(any(tree.is_within(r, p) for p in reach.area_paths) for r in roots)


# --- flags --------------------------------------------------------------------------------------


FLAG_VALUES = (
    "org_path",
    "area_path",
    "county_path",
    "figure",
    "threshold",
    "summary",
    "evidence",
    "evidence_url",
)


def flags_recompute(*, year: int, actor=None, today: dt.date | None = None) -> dict:
    """Store the year's flags of every assessed organization: one row per organization and
    rule found, updated in place; rows of rules no longer found are removed. Manual flags
    stay. Running it twice changes nothing."""
    today = today or timezone.localdate()
    ctx, found = rules.findings(year=year, today=today)
    now = timezone.now()
    with transaction.atomic():
        existing = {
            (f.org_id, f.rule): f
            for f in Flag.objects.select_for_update().filter(year=year, manual=False)
        }
        keep: set[int] = set()
        new_rows: list[Flag] = []
        changed_rows: list[Flag] = []
        for f in found:
            org = ctx.orgs[f.org_id]
            values = {
                "org_path": org.path,
                "area_path": org.area_path,
                "county_path": org.county_path,
                "figure": f.figure[:64],
                "threshold": f.threshold[:64],
                "summary": f.summary[:300],
                "evidence": f.evidence,
                "evidence_url": f.url[:300],
            }
            row = existing.get((f.org_id, str(f.rule)))
            if row is None:
                new_rows.append(
                    Flag(org_id=f.org_id, year=year, rule=f.rule, computed_at=now, **values)
                )
                continue
            if any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.computed_at = now
                changed_rows.append(row)
            keep.add(row.pk)
        # Written in batches (a first run at city scale creates thousands).
        stale = [f.pk for f in existing.values() if f.pk not in keep]
        Flag.objects.filter(pk__in=stale).delete()
        Flag.objects.bulk_update(changed_rows, [*FLAG_VALUES, "computed_at"], batch_size=500)
        Flag.objects.bulk_create(new_rows, batch_size=500)
        created, updated = len(new_rows), len(changed_rows)
        result = {
            "year": year,
            "assessed": len(ctx.orgs),
            "flags": len(found),
            "created": created,
            "updated": updated,
            "removed": len(stale),
        }
        if created or updated or stale:
            audit.record(
                actor=actor,
                action="assessment.flags_recompute",
                object_type="assessment.flag",
                object_id=str(year),
                object_repr=f"{year}年软弱涣散情形",
                after=result,
                area_path=_root_path(),
            )
    return result


def _root_path() -> str:
    return Area.objects.filter(parent__isnull=True).values_list("path", flat=True).first() or ""


@transaction.atomic
def flag_add_manual(*, actor, org, year, summary, evidence="") -> Flag:
    """A situation found by hand (one of the 32 that data cannot check), with its evidence."""
    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        actor,
        MANAGE,
        view_action="organizations.view",
        pk=getattr(org, "pk", org),
    )
    errors = Errors()
    y = clean_year(errors, year)
    summary = clean_text(summary)
    evidence = clean_text(evidence)
    if not summary:
        errors.add("summary", "请填写情形（summary）")
    elif len(summary) > 300:
        errors.add("summary", "情形（summary）不能超过300个字")
    if not evidence:
        errors.add("evidence", "请填写证据（evidence）")
    elif len(evidence) > 1000:
        errors.add("evidence", "证据（evidence）不能超过1000个字")
    assessed = rules.assessed_orgs(within=org.area_path).get(org.pk)
    if assessed is None:
        errors.add("org", f"{org.name}不在软弱涣散排查范围（党支部、党总支、村和社区党组织）")
    errors.check()
    flag = Flag.objects.create(
        org=org,
        org_path=org.path,
        area_path=org.area_path,
        county_path=assessed.county_path,
        year=y,
        rule=WeakRule.MANUAL,
        figure="",
        threshold="",
        summary=summary,
        evidence={"text": evidence},
        manual=True,
        created_by=actor,
        computed_at=timezone.now(),
    )
    audit.record(actor=actor, action="assessment.flag_add", obj=flag, after=audit.snapshot(flag))
    scope.assert_visible(flag, actor, VIEW)
    return flag


# --- rankings -----------------------------------------------------------------------------------


def rankings_recompute(*, year: int, actor=None, today: dt.date | None = None) -> dict:
    """Each county's ranking of the year from the stored flags: organizations ordered by the
    number of their situations (then by path, a stated tie rule), the bottom share of the
    county's assessed organizations (rounded up) that have at least one situation. A
    confirmed ranking is left as it was."""
    today = today or timezone.localdate()
    orgs = rules.assessed_orgs()
    share = thresholds.value("ASSESS_BOTTOM_SHARE")
    per_county: dict[str, list[rules.Org]] = defaultdict(list)
    for o in orgs.values():
        per_county[o.county_path].append(o)
    flags: dict[int, list[Flag]] = defaultdict(list)
    for f in Flag.objects.filter(year=year).order_by("rule", "id"):
        if f.org_id in orgs:
            flags[f.org_id].append(f)
    counties = dict(Area.objects.filter(path__in=list(per_county)).values_list("path", "pk"))
    now = timezone.now()
    out = {"year": year, "rankings": 0, "entries": 0, "confirmed_kept": 0}
    with transaction.atomic():
        for path, members in sorted(per_county.items()):
            county_id = counties.get(path)
            if county_id is None:
                continue
            ranking = Ranking.objects.select_for_update().filter(county_id=county_id, year=year)
            ranking = ranking.first()
            if ranking is not None and ranking.state == RankingState.CONFIRMED:
                out["confirmed_kept"] += 1
                continue
            scored = sorted(
                (o for o in members if flags.get(o.id)),
                key=lambda o: (-len(flags[o.id]), o.path),
            )
            take = math.ceil(share * len(members)) if scored else 0
            bottom = scored[:take]
            if ranking is None:
                ranking = Ranking(county_id=county_id, area_path=path, year=year)
            ranking.share = share
            ranking.assessed = len(members)
            ranking.flagged = len(scored)
            ranking.computed_at = now
            ranking.save()
            ranking.entries.all().delete()
            RankingEntry.objects.bulk_create(
                RankingEntry(
                    ranking=ranking,
                    org_id=o.id,
                    org_name=o.name,
                    org_path=o.path,
                    area_path=o.area_path,
                    position=i,
                    score=len(flags[o.id]),
                    flags=[_flag_copy(f) for f in flags[o.id]],
                )
                for i, o in enumerate(bottom, start=1)
            )
            out["rankings"] += 1
            out["entries"] += len(bottom)
    return out


def _flag_copy(f: Flag) -> dict:
    return {
        "id": f.pk,
        "rule": f.rule,
        "rule_label": str(WeakRule(f.rule).label),
        "figure": f.figure,
        "threshold": f.threshold,
        "summary": f.summary,
        "evidence_url": f.evidence_url,
    }


@transaction.atomic
def ranking_confirm(*, actor, ranking, note: str = "", today: dt.date | None = None) -> Ranking:
    """County staff confirm the bottom list: each organization on it gets a rectification
    project with its deadline in working days (``ASSESS_RECTIFY_WORKDAYS``)."""
    ranking = scope.get_visible(
        Ranking.objects.select_for_update().select_related("county"),
        actor,
        MANAGE,
        view_action=VIEW,
        pk=getattr(ranking, "pk", ranking),
    )
    if ranking.state != RankingState.DRAFT:
        raise Conflict("该排名已确认，不能重复确认")
    note = clean_text(note)
    if len(note) > 300:
        raise_field("note", "确认意见（note）不能超过300个字")
    today = today or timezone.localdate()
    days = int(thresholds.value("ASSESS_RECTIFY_WORKDAYS"))
    deadline = workdays.add_workdays(today, days)
    ranking.state = RankingState.CONFIRMED
    ranking.confirmed_by = actor
    ranking.confirmed_at = timezone.now()
    ranking.confirm_note = note
    ranking.save()
    opened = []
    for entry in ranking.entries.all():
        problems = "；".join(f["rule_label"] for f in entry.flags)[:500]
        r, created = Rectification.objects.get_or_create(
            org_id=entry.org_id,
            year=ranking.year,
            defaults={
                "org_name": entry.org_name,
                "org_path": entry.org_path,
                "area_path": entry.area_path,
                "entry": entry,
                "problems": problems,
                "deadline": deadline,
                "state": RectificationState.PLANNING,
            },
        )
        if created:
            RectificationStep.objects.create(
                rectification=r,
                action="open",
                from_state="",
                to_state=r.state,
                actor=actor,
                actor_name=actor.get_username(),
                note=f"确认为{ranking.year}年软弱涣散党组织",
                data={"deadline": deadline.isoformat(), "workdays": days},
            )
            opened.append(r)
    audit.record(
        actor=actor,
        action="assessment.ranking_confirm",
        obj=ranking,
        before={"state": RankingState.DRAFT},
        after={"state": ranking.state, "rectifications": [r.pk for r in opened]},
        note=note,
    )
    from dangjian.assessment.services import rectify

    for r in opened:
        rectify.notify_opened(r)
    return ranking


def raise_field(field: str, message: str):
    errors = Errors()
    errors.add(field, message)
    errors.check()
