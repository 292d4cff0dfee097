"""Writes of the star rating: schemes and indicators (the rules), hand scores, the yearly
computation (``ratings_compute``: stored per organization and year with one line per
indicator), publication, objections. Keyword-only, atomic, validated, audited."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.assessment import indicators
from dangjian.assessment.models import (
    Indicator,
    IndicatorKind,
    ManualScore,
    Objection,
    ObjectionState,
    Rating,
    RatingLine,
    RatingState,
    Scheme,
    Sector,
)
from dangjian.core import audit, bulk, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_text
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind

VIEW = "assessment.view"
MANAGE = "assessment.manage"
OBJECT = "assessment.object"
PUBLICATION_DAYS = 5
THRESHOLD_FIELDS = ("five_star", "four_star", "three_star", "two_star", "one_star")

SECTOR_OF_DOMAIN = {
    OrgDomain.VILLAGE: Sector.VILLAGE,
    OrgDomain.COMMUNITY: Sector.COMMUNITY,
    OrgDomain.AGENCY: Sector.AGENCY,
    OrgDomain.INSTITUTION: Sector.AGENCY,
    OrgDomain.STATE_ENTERPRISE: Sector.ENTERPRISE,
    OrgDomain.NON_PUBLIC: Sector.ENTERPRISE,
    OrgDomain.SOCIAL_ORG: Sector.OTHER,
    OrgDomain.NEW_BUSINESS: Sector.OTHER,
}


def can_configure(actor) -> bool:
    """Schemes are the deployment's rules: changed by whoever manages assessment at the root
    (the city's organization department, the administrator)."""
    if actor is None:
        return True
    reach = scope.reach_of(actor, MANAGE)
    return any(tree.depth_of(p) == 1 for p in (*reach.area_paths, *reach.org_paths))


def _require_configure(actor) -> None:
    if not can_configure(actor):
        raise scope.Forbidden("只有市级组织部门可以修改评星定级方案")


def _decimal(errors: Errors, field: str, label: str, value, lo=0, hi=100) -> Decimal | None:
    try:
        d = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors.add(field, f"{label}应为数字")
        return None
    if not Decimal(lo) <= d <= Decimal(hi) or not d.is_finite():
        errors.add(field, f"{label}应在{lo}至{hi}之间")
        return None
    return d


def _year(errors: Errors, value) -> int | None:
    try:
        y = int(value)
    except (TypeError, ValueError):
        errors.add("year", "年度应为整数")
        return None
    if not 2000 <= y <= 2100:
        errors.add("year", "年度应在2000至2100之间")
        return None
    return y


# --- schemes and indicators ---------------------------------------------------------------------


def _thresholds(errors: Errors, values: dict, scheme: Scheme) -> None:
    labels = dict(zip(THRESHOLD_FIELDS, ("五星", "四星", "三星", "二星", "一星"), strict=True))
    for f in THRESHOLD_FIELDS:
        if f in values and values[f] not in (None, ""):
            d = _decimal(errors, f, f"{labels[f]}分数线", values[f])
            if d is not None:
                setattr(scheme, f, d)
    if "five_star_cap" in values and values["five_star_cap"] not in (None, ""):
        cap = _decimal(errors, "five_star_cap", "五星比例上限", values["five_star_cap"], 0, 1)
        if cap is not None:
            scheme.five_star_cap = cap
    lines = [getattr(scheme, f) for f in THRESHOLD_FIELDS]
    if not errors and any(a <= b for a, b in itertools.pairwise(lines)):
        errors.add("five_star", "分数线应自五星至一星依次降低")


@transaction.atomic
def scheme_create(*, actor, sector, year, name="", **values) -> Scheme:
    _require_configure(actor)
    errors = Errors()
    if sector not in Sector.values:
        errors.add("sector", "领域（sector）取值无效")
    y = _year(errors, year)
    scheme = Scheme(sector=sector, year=y or 0)
    scheme.name = clean_text(name, 100) or (
        f"{y}年{Sector(sector).label}评星定级方案" if sector in Sector.values and y else ""
    )
    _thresholds(errors, values, scheme)
    unknown = set(values) - {*THRESHOLD_FIELDS, "five_star_cap"}
    for key in sorted(unknown):
        errors.add(key, "不认识的字段")
    if not errors and Scheme.objects.filter(sector=sector, year=y).exists():
        errors.add("year", "该领域该年度已有方案")
    errors.check()
    scheme.save()
    audit.record(
        actor=actor, action="assessment.scheme_create", obj=scheme, after=audit.snapshot(scheme)
    )
    return scheme


@transaction.atomic
def scheme_update(*, actor, scheme: Scheme, **values) -> Scheme:
    """Change the name, the thresholds or the cap; applies from the next computation."""
    _require_configure(actor)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    before = audit.snapshot(scheme)
    errors = Errors()
    if "name" in values:
        name = clean_text(values.pop("name"), 100)
        if not name:
            errors.add("name", "请填写方案名称")
        scheme.name = name
    unknown = set(values) - {*THRESHOLD_FIELDS, "five_star_cap"}
    for key in sorted(unknown):
        errors.add(key, "不认识的字段")
    _thresholds(errors, values, scheme)
    errors.check()
    scheme.save()
    audit.record(
        actor=actor,
        action="assessment.scheme_update",
        obj=scheme,
        before=before,
        after=audit.snapshot(scheme),
    )
    return scheme


@transaction.atomic
def indicator_set(
    *,
    actor,
    scheme: Scheme,
    code,
    name,
    weight,
    kind,
    computation="",
    description="",
    position=None,
) -> Indicator:
    """Add an indicator to a scheme or change the one with that code."""
    _require_configure(actor)
    errors = Errors()
    code = clean_text(code, 32)
    if not code or not code.replace("_", "").isalnum() or not code.isascii():
        errors.add("code", "编码应为英文字母、数字或下划线")
    name = clean_text(name, 100)
    if not name:
        errors.add("name", "请填写指标名称")
    w = _decimal(errors, "weight", "分值", weight, 0, 100)
    if kind not in IndicatorKind.values:
        errors.add("kind", "评分方式（kind）取值无效")
    if kind == IndicatorKind.COMPUTED and computation not in indicators.REGISTRY:
        errors.add("computation", "请选择已登记的计算方法")
    if kind == IndicatorKind.MANUAL:
        computation = ""
    existing = Indicator.objects.filter(scheme=scheme, code=code).first()
    if w is not None and not errors:
        others = sum((i.weight for i in scheme.indicators.exclude(code=code)), start=Decimal("0"))
        if others + w > 100:
            errors.add("weight", f"各指标分值合计不能超过100分（其余指标已占{others}分）")
    errors.check()
    ind = existing or Indicator(scheme=scheme, code=code)
    before = audit.snapshot(ind) if existing else None
    ind.name, ind.weight, ind.kind, ind.computation = name, w, kind, computation
    ind.description = clean_text(description, 300)
    if position is not None:
        ind.position = int(position)
    elif existing is None:
        ind.position = scheme.indicators.count() + 1
    ind.save()
    audit.record(
        actor=actor,
        action="assessment.indicator_set",
        obj=ind,
        before=before,
        after=audit.snapshot(ind),
    )
    return ind


@transaction.atomic
def indicator_remove(*, actor, indicator: Indicator) -> None:
    _require_configure(actor)
    audit.record(
        actor=actor,
        action="assessment.indicator_remove",
        obj=indicator,
        before=audit.snapshot(indicator),
    )
    indicator.delete()


# --- hand scores --------------------------------------------------------------------------------


@transaction.atomic
def manual_score_set(*, actor, indicator: Indicator, org, year, points, evidence) -> ManualScore:
    """Score a manual indicator for one organization, with its evidence (county staff)."""
    errors = Errors()
    pk = org.pk if isinstance(org, PartyOrg) else org
    node = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), actor, MANAGE, view_action=VIEW, pk=pk
    )
    if indicator.kind != IndicatorKind.MANUAL:
        errors.add("indicator", "该指标由系统计算，不能人工评分")
    y = _year(errors, year)
    p = _decimal(errors, "points", "得分", points, 0, indicator.weight)
    evidence = clean_text(evidence, 2000)
    if not evidence:
        errors.add("evidence", "请填写佐证材料")
    errors.check()
    row = ManualScore.objects.filter(indicator=indicator, org=node, year=y).first()
    before = audit.snapshot(row, ["points", "evidence"]) if row else None
    row = row or ManualScore(indicator=indicator, org=node, year=y)
    row.org_path, row.area_path = node.path, node.area_path
    row.points, row.evidence, row.scored_by = p, evidence, actor
    row.save()
    audit.record(
        actor=actor,
        action="assessment.manual_score",
        obj=row,
        before=before,
        after=audit.snapshot(row, ["points", "evidence"]),
    )
    return row


# --- the computation ----------------------------------------------------------------------------


def rated_orgs(year: int):
    """Who is rated: branches, general branches, and the village and community committees,
    not dissolved before the year ended."""
    return (
        PartyOrg.objects.filter(
            Q(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH))
            | Q(kind=OrgKind.COMMITTEE, area__kind__in=(AreaKind.VILLAGE, AreaKind.COMMUNITY))
        )
        .exclude(dissolved_on__lte=dt.date(year, 12, 31))
        .order_by("path")
    )


def stars_for(score: Decimal, scheme: Scheme) -> int:
    for stars, line in scheme.thresholds():
        if score >= line:
            return stars
    return 0


def apply_cap(rows: list, cap_share: Decimal) -> None:
    """The five-star cap within one group (a county's organizations of one sector).

    ``rows`` carry ``score``, ``stars_by_score``, and get ``stars`` and ``capped``. In score
    order, at most ``floor(n × cap)`` keep five stars; the tie rule: organizations with equal
    scores are treated alike, so when a tie straddles the cap every organization at that
    score drops to four stars (the cap is never exceeded)."""
    n = len(rows)
    limit = math.floor(Decimal(n) * cap_share)
    fives = sorted((r for r in rows if r.stars_by_score == 5), key=lambda r: -r.score)
    for r in rows:
        r.stars, r.capped = r.stars_by_score, False
    if len(fives) <= limit:
        return
    cut = fives[limit].score  # the first score that does not fit
    for r in fives:
        if r.score <= cut:
            r.stars, r.capped = 4, True


HEAD_FIELDS = (
    "org_name",
    "org_path",
    "area_path",
    "county_path",
    "scheme_id",
    "score",
    "stars_by_score",
    "stars",
    "capped",
    "rank",
)
LINE_FIELDS = (
    "indicator_id",
    "code",
    "name",
    "kind",
    "weight",
    "figure",
    "source",
    "points",
    "position",
)


def _head(r: Rating) -> tuple:
    return tuple(getattr(r, f) for f in HEAD_FIELDS)


def _county_paths() -> list[str]:
    return list(Area.objects.filter(kind=AreaKind.COUNTY).values_list("path", flat=True))


def _county_of(area_path: str, counties: set[str]) -> str:
    for p in [*tree.ancestors_of(area_path), area_path]:
        if p in counties:
            return p
    return area_path[:4]


@transaction.atomic
def ratings_compute(*, year: int, actor=None, today: dt.date | None = None) -> dict:
    """Compute every organization's rating of ``year`` from the current rules and data.

    Idempotent: run twice on the same data, the stored ratings and lines are the same. Ratings
    already published or final keep their points and stars (an upheld objection reopens one);
    their scores still count in the county's ranking."""
    today = today or timezone.localdate()
    now = timezone.now()
    schemes = {s.sector: s for s in Scheme.objects.filter(year=year).prefetch_related("indicators")}
    counties = set(_county_paths())
    orgs = list(
        rated_orgs(year).values_list("pk", "name", "path", "area_id", "area_path", "domain")
    )
    by_sector: dict[str, list[indicators.Target]] = defaultdict(list)
    names = {}
    for pk, name, path, area_id, area_path, domain in orgs:
        sector = SECTOR_OF_DOMAIN.get(domain)
        if sector in schemes:
            by_sector[sector].append(indicators.Target(pk, path, area_id, area_path, domain))
            names[pk] = name
    existing = {r.org_id: r for r in Rating.objects.filter(year=year)}
    before = {r.pk: _head(r) for r in existing.values()}
    frozen = {pk for pk, r in existing.items() if r.state != RatingState.COMPUTED}
    manual = {
        (indicator_id, org_id): (points, evidence)
        for indicator_id, org_id, points, evidence in ManualScore.objects.filter(
            year=year
        ).values_list("indicator_id", "org_id", "points", "evidence")
    }
    found_cache: dict[str, dict[int, indicators.Found]] = {}
    all_targets = [t for ts in by_sector.values() for t in ts]
    # Each line as a tuple of LINE_FIELDS: compared with the stored ones, and made a row only
    # where the rating's lines changed.
    results: dict[int, tuple[Scheme, list[tuple], Decimal]] = {}
    for sector, targets in by_sector.items():
        scheme = schemes[sector]
        lines_of: dict[int, list[tuple]] = defaultdict(list)
        for ind in scheme.indicators.all():
            if ind.kind == IndicatorKind.COMPUTED:
                if ind.computation not in found_cache:
                    comp = indicators.REGISTRY.get(ind.computation)
                    found_cache[ind.computation] = comp.fn(all_targets, year, today) if comp else {}
                found = found_cache[ind.computation]
            for t in targets:
                if ind.kind == IndicatorKind.COMPUTED:
                    f = found.get(t.id) or indicators.Found("无计算方法", 0.0)
                    figure, source = f.figure, f.source
                    points = indicators.points_of(ind.weight, f.share)
                else:
                    m = manual.get((ind.pk, t.id))
                    figure = f"人工评分：{m[1]}"[:200] if m else "尚未评分"
                    source = f"/assessment/scores/?org={t.id}&year={year}"
                    points = min(m[0], ind.weight) if m else Decimal("0.00")
                lines_of[t.id].append(
                    (
                        ind.pk,
                        ind.code,
                        ind.name,
                        ind.kind,
                        ind.weight,
                        figure[:200],
                        source[:300],
                        points,
                        ind.position,
                    )
                )
        for t in targets:
            lines = lines_of[t.id]
            results[t.id] = (scheme, lines, sum((ln[7] for ln in lines), Decimal("0.00")))
    # Write the ratings that are not frozen.
    to_create, to_update = [], []
    target_of = {t.id: t for t in all_targets}
    for org_id, (scheme, _lines, score) in results.items():
        if org_id in frozen:
            continue
        t = target_of[org_id]
        r = existing.get(org_id) or Rating(org_id=org_id, year=year)
        r.org_name, r.org_path, r.area_path = names[org_id], t.path, t.area_path
        r.county_path = _county_of(t.area_path, counties)
        r.scheme, r.score, r.computed_at = scheme, score, now
        r.stars_by_score = stars_for(score, scheme)
        r.stars = r.stars_by_score
        (to_update if r.pk else to_create).append(r)
        existing[org_id] = r
    # Ratings of organizations no longer rated (no scheme, dissolved) and not frozen go.
    stale = [r.pk for pk, r in existing.items() if pk not in results and pk not in frozen]
    if stale:
        Rating.objects.filter(pk__in=stale).delete()
        existing = {pk: r for pk, r in existing.items() if r.pk not in stale}
    # Caps per county and sector, ranks per county.
    groups: dict[tuple[str, int], list[Rating]] = defaultdict(list)
    counties_rows: dict[str, list[Rating]] = defaultdict(list)
    for r in existing.values():
        groups[(r.county_path, r.scheme_id)].append(r)
        counties_rows[r.county_path].append(r)
    cap_of = {s.pk: s.five_star_cap for s in schemes.values()}
    for (_county, scheme_id), rows in groups.items():
        saved = {r.pk: (r.stars, r.capped) for r in rows if r.org_id in frozen}
        apply_cap(rows, cap_of.get(scheme_id, Decimal("0.100")))
        for r in rows:
            if r.pk in saved:
                r.stars, r.capped = saved[r.pk]
    for rows in counties_rows.values():
        rows.sort(key=lambda r: (-r.score, r.org_path))
        rank, last = 0, None
        for i, r in enumerate(rows, start=1):
            if r.score != last:
                rank, last = i, r.score
            r.rank = rank
    fields = [
        "org_name",
        "org_path",
        "area_path",
        "county_path",
        "scheme",
        "score",
        "stars_by_score",
        "stars",
        "capped",
        "rank",
        "computed_at",
    ]
    Rating.objects.bulk_create(to_create, batch_size=500)
    created = {id(r) for r in to_create}
    # Only what changed is written: a night with unchanged data rewrites nothing.
    changed = [
        r for r in existing.values() if id(r) not in created and before.get(r.pk) != _head(r)
    ]
    Rating.objects.bulk_update(changed, fields, batch_size=500)
    recomputed = [existing[pk] for pk in results if pk not in frozen]
    stored_lines: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        RatingLine.objects.filter(rating__year=year)
        .order_by("rating_id", "position", "id")
        .values_list("rating_id", *LINE_FIELDS)
    ):
        stored_lines[row[0]].append(tuple(row[1:]))
    rewrite = [
        r
        for r in recomputed
        if id(r) in created or stored_lines.get(r.pk, []) != results[r.org_id][1]
    ]
    RatingLine.objects.filter(rating__in=[r.pk for r in rewrite if id(r) not in created]).delete()
    # Plain multi-row inserts (``core.bulk``): a first run writes tens of thousands of lines,
    # and building a model instance per line cost more than the computation. The values are
    # already in their stored form (decimals of two places, text cut to its column).
    convert = bulk.adapter(RatingLine)
    new_lines = bulk.insert_rows(
        RatingLine,
        ("rating_id", *LINE_FIELDS),
        ((r.pk, *(convert(v) for v in ln)) for r in rewrite for ln in results[r.org_id][1]),
    )
    summary = {
        "year": year,
        "rated": len(recomputed),
        "frozen": len(frozen),
        "changed": len(changed) + len(to_create),
        "lines": new_lines,
        "removed": len(stale),
    }
    audit.record(
        actor=actor,
        action="assessment.ratings_compute",
        object_type="assessment.rating",
        object_id=str(year),
        object_repr=f"{year}年评星定级计算",
        after=summary,
    )
    return summary


# --- publication and objections -----------------------------------------------------------------


@transaction.atomic
def ratings_publish(*, actor, county: Area, year, today: dt.date | None = None) -> int:
    """Publish a county's computed ratings of ``year`` for the 5-day window."""
    today = today or timezone.localdate()
    node = scope.get_visible(
        Area.objects.defer("boundary"), actor, MANAGE, view_action=VIEW, pk=county.pk
    )
    errors = Errors()
    y = _year(errors, year)
    errors.check()
    qs = (
        Rating.objects.visible_to(actor, MANAGE)
        .filter(year=y, state=RatingState.COMPUTED)
        .filter(tree.subtree_q("area_path", node.path))
    )
    ends = today + dt.timedelta(days=PUBLICATION_DAYS)
    n = qs.update(state=RatingState.PUBLISHED, published_on=today, window_ends_on=ends)
    if not n:
        raise Conflict("没有待公示的评星结果")
    audit.record(
        actor=actor,
        action="assessment.ratings_publish",
        object_type="assessment.rating",
        object_id=f"{y}",
        object_repr=f"{node.name}{y}年评星定级公示",
        area_path=node.path,
        after={"published": n, "window_ends_on": ends.isoformat()},
    )
    return n


def ratings_finalize_due(*, year: int, actor=None, today: dt.date | None = None) -> int:
    """Published ratings whose window has closed with no objection pending become final."""
    today = today or timezone.localdate()
    qs = Rating.objects.filter(
        year=year, state=RatingState.PUBLISHED, window_ends_on__lt=today
    ).exclude(objections__state=ObjectionState.FILED)
    n = qs.update(state=RatingState.FINAL)
    if n:
        audit.record(
            actor=actor,
            action="assessment.ratings_finalize",
            object_type="assessment.rating",
            object_id=str(year),
            object_repr=f"{year}年评星定级确定",
            after={"final": n},
        )
    return n


@transaction.atomic
def objection_file(*, actor, rating: Rating, reason, today: dt.date | None = None) -> Objection:
    today = today or timezone.localdate()
    rating = scope.get_visible(Rating, actor, OBJECT, view_action=VIEW, pk=rating.pk)
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    reason = clean_text(reason, 2000)
    if not reason:
        Errors({"reason": ["请填写异议理由"]}).check()
    if rating.state != RatingState.PUBLISHED or (
        rating.window_ends_on and today > rating.window_ends_on
    ):
        raise Conflict("只能在公示期内对评星结果提出异议")
    obj = Objection.objects.create(
        rating=rating,
        org_path=rating.org_path,
        area_path=rating.area_path,
        reason=reason,
        filed_by=actor,
    )
    audit.record(actor=actor, action="assessment.objection_file", obj=obj, after={"reason": reason})
    return obj


@transaction.atomic
def objection_handle(*, actor, objection: Objection, decision, response) -> Objection:
    """County staff decide: ``upheld`` reopens the rating for the next computation (fix the
    hand score or the data first), ``rejected`` leaves it as published."""
    objection = scope.get_visible(Objection, actor, MANAGE, view_action=VIEW, pk=objection.pk)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    errors = Errors()
    if decision not in (ObjectionState.UPHELD, ObjectionState.REJECTED):
        errors.add("decision", "处理结果（decision）应为 upheld 或 rejected")
    response = clean_text(response, 2000)
    if not response:
        errors.add("response", "请填写处理意见")
    errors.check()
    if objection.state != ObjectionState.FILED:
        raise Conflict("该异议已处理")
    objection.state, objection.response = decision, response
    objection.handled_by, objection.handled_at = actor, timezone.now()
    objection.save()
    if decision == ObjectionState.UPHELD:
        Rating.objects.filter(pk=objection.rating_id).update(
            state=RatingState.COMPUTED, published_on=None, window_ends_on=None
        )
    audit.record(
        actor=actor,
        action="assessment.objection_handle",
        obj=objection,
        after={"state": decision, "response": response},
    )
    return objection
