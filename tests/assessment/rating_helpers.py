"""Schemes and ratings for the assessment tests, written through the services."""

from __future__ import annotations

from dangjian.assessment.models import IndicatorKind, Sector
from dangjian.assessment.services import rating as services

YEAR = 2026
# The smallest files the evidence uploads take as an image and as a PDF (checked by content).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"1 0 obj\n" * 8

COMPUTED = (
    ("orglife", "组织生活落实", 30, "orglife_compliance"),
    ("dues", "党费按时缴纳", 15, "dues_arrears"),
    ("committee", "班子健全", 15, "committee"),
    ("events", "网格事件三率", 15, "events_rates"),
    ("project", "书记项目", 10, "secretary_project"),
)


def scheme(admin, sector=Sector.COMMUNITY, year=YEAR, manual_weight=15, **thresholds):
    s = services.scheme_create(actor=admin, sector=sector, year=year, **thresholds)
    for code, name, weight, comp in COMPUTED:
        services.indicator_set(
            actor=admin,
            scheme=s,
            code=code,
            name=name,
            weight=weight,
            kind=IndicatorKind.COMPUTED,
            computation=comp,
        )
    services.indicator_set(
        actor=admin,
        scheme=s,
        code="service",
        name="服务群众成效",
        weight=manual_weight,
        kind=IndicatorKind.MANUAL,
        description="按佐证材料评分",
    )
    return s
