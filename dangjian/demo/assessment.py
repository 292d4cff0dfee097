"""Demo data of 考核: this year's weak-organization flags and rankings computed through the
services from the other modules' demo data, the demo county's bottom list confirmed (with the
demo community's 党委 on it, by two situations found by hand), its rectification planned and
reported on by the demo secretary, and the members' two-colour warnings."""

from __future__ import annotations

import time

from django.utils import timezone

from dangjian.accounts.models import Grant
from dangjian.assessment import rules
from dangjian.assessment.models import Ranking, Rectification
from dangjian.assessment.services import rectify, warnings, weak


def seed_assessment(b, users: dict, progress: bool = False) -> dict:
    t0 = time.perf_counter()
    year = timezone.localdate().year
    county, secretary = users.get("demo-county"), users.get("demo-community")
    org = (
        Grant.objects.filter(user=secretary, org__isnull=False).select_related("org").first()
        if secretary
        else None
    )
    if org is not None and county is not None:
        for summary, evidence in (
            ("班子不团结、战斗力不强", "县委组织部2月走访座谈记录；群众来信2封"),
            ("落实“四议两公开”不到位", "街道党工委督查通报"),
        ):
            weak.flag_add_manual(
                actor=county, org=org.org, year=year, summary=summary, evidence=evidence
            )
    flags = weak.flags_recompute(year=year)
    rankings = weak.rankings_recompute(year=year)
    confirmed = rectified = 0
    if org is not None and county is not None:
        ranking = (
            Ranking.objects.filter(
                year=year, area_path=rules.county_of(org.org.area_path, rules.county_paths())
            )
            .order_by("pk")
            .first()
        )
        if ranking is not None and ranking.entries.exists():
            weak.ranking_confirm(actor=county, ranking=ranking, note="经县委组织部研究确认")
            confirmed = 1
            r = Rectification.objects.filter(org=org.org, year=year).first()
            if r is not None:
                rectify.rectification_transition(
                    actor=secretary,
                    rectification=r,
                    action="plan",
                    measures="一、补齐配强班子；二、每季度召开党员大会、每月召开支委会；"
                    "三、清缴欠缴党费；四、建立群众诉求办理台账。",
                    leader="街道党工委副书记",
                )
                rectify.rectification_transition(
                    actor=secretary,
                    rectification=r,
                    action="report",
                    note="已补选委员1名，召开党员大会1次，清缴党费3人。",
                )
                rectified = 1
    warned = warnings.warnings_recompute(year=year)
    # The star rating: schemes, hand scores, secretary projects, this year computed.
    from dangjian.demo.assessment_rating import seed_ratings

    ratings = seed_ratings(b, users, progress)
    return {
        **ratings,
        "assessment_flags": flags["flags"],
        "assessment_rankings": rankings["rankings"],
        "assessment_confirmed": confirmed,
        "assessment_rectifications": rectified,
        "assessment_warnings": warned["active"],
        "assessment_seconds": round(time.perf_counter() - t0, 2),
    }
