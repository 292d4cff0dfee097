"""Demo assessment: a star-rating scheme per sector for this year (through the services, so the
rules are validated and audited), hand scores for the manual indicator of every rated
organization (bulk, a spread of points with evidence), a secretary project with its 督评考
items for a few branches, and one computation of the year's ratings (``ratings_compute``).
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from django.utils import timezone

from dangjian.assessment.models import (
    IndicatorKind,
    ManualScore,
    Review,
    SecretaryProject,
    Sector,
)
from dangjian.assessment.services import projects as project_services
from dangjian.assessment.services import rating as rating_services

INDICATORS = (
    ("orglife", "组织生活落实", 25, "orglife_compliance", "三会一课、主题党日按期召开"),
    ("dues", "党费按时足额缴纳", 10, "dues_arrears", "连续3个月以上未交的党员占比"),
    ("committee", "班子健全、按期换届", 15, "committee", "书记在岗、委员配齐、任期未逾期"),
    ("events", "网格事件三率", 15, "events_rates", "办结率、按期办结率、满意率"),
    ("development", "发展党员计划", 5, "development_target", "近两年下达发展党员目标"),
    ("project", "书记项目", 10, "secretary_project", "督评考结果与上级评价"),
    ("points", "党员先锋指数", 5, "member_points", "党员年均积分对照满分线"),
    ("volunteer", "志愿服务", 5, "volunteer_hours", "党员人均志愿服务时长对照满分线"),
)
MANUAL = ("service", "服务群众成效", 10, "由县级组织部门按佐证材料评分")
EVIDENCE = ("走访群众台账", "为民办实事清单", "群众满意度测评表", "志愿服务记录")


def _schemes(year: int) -> list:
    out = []
    for sector in Sector.values:
        s = rating_services.scheme_create(actor=None, sector=sector, year=year)
        for code, name, weight, comp, desc in INDICATORS:
            rating_services.indicator_set(
                actor=None,
                scheme=s,
                code=code,
                name=name,
                weight=weight,
                kind=IndicatorKind.COMPUTED,
                computation=comp,
                description=desc,
            )
        code, name, weight, desc = MANUAL
        rating_services.indicator_set(
            actor=None,
            scheme=s,
            code=code,
            name=name,
            weight=weight,
            kind=IndicatorKind.MANUAL,
            description=desc,
        )
        out.append(s)
    return out


def seed_ratings(b, users: dict, progress: bool = False) -> dict:
    t0 = time.perf_counter()
    rng = random.Random(f"dangjian-assessment-{b.scale}")
    year = timezone.localdate().year
    schemes = {s.sector: s for s in _schemes(year)}
    manual = {s.sector: s.indicators.get(code=MANUAL[0]) for s in schemes.values()}
    orgs = list(rating_services.rated_orgs(year).values_list("pk", "path", "area_path", "domain"))
    scores = []
    for pk, path, area_path, domain in orgs:
        ind = manual[rating_services.SECTOR_OF_DOMAIN[domain]]
        points = Decimal(rng.choice((10, 10, 9, 9, 9, 8, 8, 7, 6, 5)))
        scores.append(
            ManualScore(
                indicator=ind,
                org_id=pk,
                org_path=path,
                area_path=area_path,
                year=year,
                points=points,
                evidence=rng.choice(EVIDENCE),
            )
        )
    ManualScore.objects.bulk_create(scores, batch_size=2000)
    projects, reviews = [], []
    chosen = rng.sample(orgs, min(len(orgs), 12 if b.scale == "small" else 300))
    for pk, path, area_path, _domain in chosen:
        projects.append(
            SecretaryProject(
                org_id=pk,
                org_path=path,
                area_path=area_path,
                year=year,
                secretary_name="书记",
                title=rng.choice(
                    ("红色物业", "党建引领网格治理", "村集体经济增收", "一老一小服务")
                ),
                team=["组织委员", "网格员", "党员志愿者"],
                plan="季度推进，年底见效",
            )
        )
    SecretaryProject.objects.bulk_create(projects, batch_size=1000)
    today = timezone.localdate()
    for p in SecretaryProject.objects.filter(year=year):
        for kind, period, due in project_services.cadence(year):
            done = due <= today
            reviews.append(
                Review(
                    project=p,
                    org_path=p.org_path,
                    area_path=p.area_path,
                    kind=kind,
                    period=period,
                    due_on=due,
                    done_on=due if done else None,
                    evidence="调研纪要与现场照片" if done else "",
                    result_score=Decimal(rng.randint(70, 98)) if done else None,
                )
            )
    Review.objects.bulk_create(reviews, batch_size=2000)
    summary = rating_services.ratings_compute(year=year, actor=None)
    return {
        "assessment_schemes": len(schemes),
        "assessment_ratings": summary["rated"],
        "assessment_projects": len(projects),
        "assessment_seconds": round(time.perf_counter() - t0, 2),
    }
