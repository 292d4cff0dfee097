"""Assessment: weak organizations, rankings, rectifications, member warnings, star
ratings, secretary projects and their evidence files."""

from __future__ import annotations

from django.utils import timezone

from dangjian.assessment import models as _assess_models
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)


# --- assessment: weak organizations, rankings, rectifications, member warnings (issue 15) ------
def _assessment_built(world):
    """The first county's flags, its ranking confirmed (one rectification) and a member's
    warning, computed through the services once per test."""
    import datetime as dt

    from dangjian.assessment.models import Flag, Ranking
    from dangjian.assessment.services import warnings as assess_warnings
    from dangjian.assessment.services import weak as assess_weak
    from dangjian.members.models.mobile import MobileRegistration
    from tests.orglife.helpers import people

    if Flag.objects.exists():
        return
    year = timezone.localdate().year
    assess_weak.flags_recompute(year=year)
    assess_weak.rankings_recompute(year=year)
    ranking = Ranking.objects.get(county=world.nodes["county"], year=year)
    assess_weak.ranking_confirm(actor=world.users["county"], ranking=ranking)
    m = people(world.orgs["grid_branch"], 1, prefix="越界预警党员")[0]
    MobileRegistration.objects.create(
        member=m,
        destination="外省",
        left_on=dt.date(2020, 1, 1),
        last_contact_on=dt.date(2020, 1, 1),
    )
    assess_warnings.warnings_recompute()


def assess_flag_probes(world) -> list[Probe]:
    from dangjian.assessment.models import Flag

    _assessment_built(world)
    return [Probe(f.pk, f.summary) for f in Flag.objects.order_by("pk")]


def assess_ranking_probes(world) -> list[Probe]:
    from dangjian.assessment.models import Ranking

    _assessment_built(world)
    return [
        Probe(r.pk, str(r), markers=(f"/assessment/rankings/{r.pk}/",))
        for r in Ranking.objects.select_related("county")
    ]


def assess_rectification_probes(world) -> list[Probe]:
    from dangjian.assessment.models import Rectification

    _assessment_built(world)
    return [
        Probe(r.pk, str(r), markers=(f"/assessment/rectifications/{r.pk}/",))
        for r in Rectification.objects.all()
    ]


def assess_warning_probes(world) -> list[Probe]:
    from dangjian.assessment.models import MemberWarning

    _assessment_built(world)
    return [Probe(w.pk, w.member_name) for w in MemberWarning.objects.all()]


def assess_warning_org_probes(world) -> list[Probe]:
    from dangjian.assessment.models import MemberWarning

    _assessment_built(world)
    orgs = {w.org_id: w.org.name for w in MemberWarning.objects.select_related("org")}
    return [Probe(pk, name) for pk, name in orgs.items()]


FACTORIES["assess_flag"] = assess_flag_probes
FACTORIES["assess_ranking"] = assess_ranking_probes
FACTORIES["assess_rectification"] = assess_rectification_probes
FACTORIES["assess_warning"] = assess_warning_probes
FACTORIES["assess_warning_org"] = assess_warning_org_probes
_ASSESS_PLAN = {"action": "plan", "measures": "越界整顿措施", "leader": "越界"}
ROUTES += [
    Route("api", "/api/v1/assessment/flags/", "assess_flag", "list"),
    Route(
        "api",
        "/api/v1/assessment/flags/?page_size=200&rule=committee_incomplete",
        "assess_flag",
        "list",
    ),
    Route("api", "/api/v1/assessment/flags/{id}", "assess_flag", "detail"),
    Route(
        "api",
        "/api/v1/assessment/flags/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, "year": 2026, "summary": "越界情形", "evidence": "越界"},
        control_status=frozenset({200, 422}),
    ),
    Route("api", "/api/v1/assessment/rankings/", "assess_ranking", "list"),
    Route("api", "/api/v1/assessment/rankings/{id}", "assess_ranking", "detail"),
    Route(
        "api",
        "/api/v1/assessment/rankings/{id}/confirm",
        "assess_ranking",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route("api", "/api/v1/assessment/rectifications/", "assess_rectification", "list"),
    Route("api", "/api/v1/assessment/rectifications/{id}", "assess_rectification", "detail"),
    Route(
        "api",
        "/api/v1/assessment/rectifications/{id}/transitions",
        "assess_rectification",
        "write",
        method="POST",
        data=_ASSESS_PLAN,
        control_status=frozenset({403}),
        note="the administrator is above the organization: only its own side files the plan",
    ),
    Route("api", "/api/v1/assessment/warnings/", "assess_warning", "list"),
    Route("api", "/api/v1/assessment/warnings/?history=true", "assess_warning", "list"),
    Route("api", "/api/v1/assessment/warnings/counts", "assess_warning_org", "list"),
    Route("api", "/api/v1/assessment/warnings/{id}", "assess_warning", "detail"),
    Route("console", "/assessment/flags/", "assess_flag", "list"),
    Route(
        "console",
        "/assessment/flags/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk, "year": 2026, "summary": "越界情形", "evidence": "越界"},
        control_status=frozenset({302}),
    ),
    Route("console", "/assessment/rankings/", "assess_ranking", "list"),
    Route("console", "/assessment/rankings/{id}/", "assess_ranking", "detail"),
    Route(
        "console",
        "/assessment/rankings/{id}/confirm/",
        "assess_ranking",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/assessment/rectifications/", "assess_rectification", "list"),
    Route("console", "/assessment/rectifications/{id}/", "assess_rectification", "detail"),
    Route(
        "console",
        "/assessment/rectifications/{id}/",
        "assess_rectification",
        "write",
        method="POST",
        data=_ASSESS_PLAN,
        control_status=frozenset({403}),
    ),
    Route("console", "/assessment/orgs/{id}/", "org", "detail"),
    Route("console", "/assessment/warnings/", "assess_warning", "list"),
    Route("console", "/assessment/warnings/?history=1", "assess_warning", "list"),
    Route("console", "/m/assessment/warnings/", "assess_warning", "self", control=False),
    Route("console", "/m/assessment/warnings/branch/", "assess_warning", "list"),
]
# The thresholds hold for the whole deployment; the recomputation runs for the whole city.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/assessment/settings/"),
    ("POST", "/api/v1/assessment/settings/"),
    ("POST", "/api/v1/assessment/recompute"),
}
UNSCOPED_CONSOLE_ROUTES |= {"/assessment/settings/", "/assessment/recompute/"}


# --- assessment: star rating and secretary projects (issue 15) -----------------------------------
# Ratings of the first county's organizations (grid branch, community 党委, village branch),
# an objection to a published one, a secretary project and its 督评考 items. The schemes are
# the deployment's rules (like the event taxonomy), read by all staff and changed at the root.


_ASSESS_YEAR = 2026
_ASSESS_ORGS = ("grid_branch", "community_committee", "village_branch")


def _assess_rated(world):
    from dangjian.assessment.models import IndicatorKind, Sector
    from dangjian.assessment.services import rating as rating_services

    admin = world.users[INSIDER]
    for sector in (Sector.COMMUNITY, Sector.VILLAGE):
        if not _assess_models.Scheme.objects.filter(sector=sector, year=_ASSESS_YEAR).exists():
            s = rating_services.scheme_create(actor=admin, sector=sector, year=_ASSESS_YEAR)
            rating_services.indicator_set(
                actor=admin,
                scheme=s,
                code="orglife",
                name="组织生活",
                weight=60,
                kind=IndicatorKind.COMPUTED,
                computation="orglife_compliance",
            )
            rating_services.indicator_set(
                actor=admin,
                scheme=s,
                code="service",
                name="服务群众",
                weight=40,
                kind=IndicatorKind.MANUAL,
            )
    rating_services.ratings_compute(year=_ASSESS_YEAR, actor=admin)
    return [
        _assess_models.Rating.objects.get(org=world.orgs[k], year=_ASSESS_YEAR)
        for k in _ASSESS_ORGS
    ]


def assess_rating_probes(world) -> list[Probe]:
    return [
        Probe(r.pk, r.org_name, markers=(f"/assessment/ratings/{r.pk}/",))
        for r in _assess_rated(world)
    ]


def assess_objection_probes(world) -> list[Probe]:
    from dangjian.assessment.services import rating as rating_services

    admin = world.users[INSIDER]
    ratings = _assess_rated(world)
    rating_services.ratings_publish(actor=admin, county=world.nodes["county"], year=_ASSESS_YEAR)
    out = []
    for r in ratings:
        o = rating_services.objection_file(actor=admin, rating=r, reason=f"越界探针异议{r.pk}")
        out.append(Probe(o.pk, o.reason))
    return out


def assess_score_probes(world) -> list[Probe]:
    from dangjian.assessment.services import rating as rating_services

    _assess_rated(world)
    ind = _assess_models.Indicator.objects.filter(kind="manual").first()
    out = []
    for k in _ASSESS_ORGS:
        row = rating_services.manual_score_set(
            actor=world.users[INSIDER],
            indicator=ind,
            org=world.orgs[k],
            year=_ASSESS_YEAR,
            points=10,
            evidence=f"越界探针佐证{k}",
        )
        out.append(Probe(row.pk, row.evidence))
    return out


def _assess_projects(world):
    from dangjian.assessment.services import projects as project_services

    out = []
    for k in _ASSESS_ORGS:
        p = _assess_models.SecretaryProject.objects.filter(org=world.orgs[k]).first()
        p = p or project_services.project_create(
            actor=world.users[INSIDER],
            org=world.orgs[k],
            year=_ASSESS_YEAR,
            title=f"越界探针项目{k}",
            secretary_name="探针书记",
            team=["探针甲"],
            plan="探针计划",
        )
        out.append(p)
    return out


def assess_project_probes(world) -> list[Probe]:
    return [
        Probe(p.pk, p.title, markers=(f"/assessment/projects/{p.pk}/",))
        for p in _assess_projects(world)
    ]


def assess_review_probes(world) -> list[Probe]:
    return [Probe(p.reviews.order_by("id").first().pk, p.title) for p in _assess_projects(world)]


FACTORIES.update(
    {
        "assess_rating": assess_rating_probes,
        "assess_objection": assess_objection_probes,
        "assess_score": assess_score_probes,
        "assess_project": assess_project_probes,
        "assess_review": assess_review_probes,
    }
)

_AY = f"year={_ASSESS_YEAR}"
ROUTES += [
    Route("api", "/api/v1/assessment/ratings/", "assess_rating", "list"),
    Route("api", f"/api/v1/assessment/ratings/?{_AY}&page_size=200", "assess_rating", "list"),
    Route("api", "/api/v1/assessment/ratings/?org={id}", "org", "children"),
    Route("api", "/api/v1/assessment/ratings/?area={id}", "area", "children"),
    Route("api", "/api/v1/assessment/ratings/{id}", "assess_rating", "detail"),
    Route("api", "/api/v1/assessment/ratings/{id}/objections/", "assess_rating", "detail"),
    Route(
        "api",
        "/api/v1/assessment/ratings/{id}/objections/",
        "assess_rating",
        "write",
        method="POST",
        data={"reason": "越界异议"},
        control_status=frozenset({200, 409}),
        note="the insider's rating is not published yet (409)",
    ),
    Route(
        "api",
        "/api/v1/assessment/objections/{id}/handle",
        "assess_objection",
        "write",
        method="POST",
        data={"decision": "rejected", "response": "越界处理"},
    ),
    Route(
        "api",
        "/api/v1/assessment/publications/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk, "year": _ASSESS_YEAR},
        control_status=frozenset({200, 409}),
    ),
    Route(
        "api",
        "/api/v1/assessment/scores/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org_id": p.pk,
            "indicator_id": _assess_models.Indicator.objects.filter(kind="manual")
            .values_list("pk", flat=True)
            .first()
            or 1,
            "year": _ASSESS_YEAR,
            "points": 1,
            "evidence": "越界评分",
        },
        control_status=frozenset({200, 422}),
        note="without a manual indicator the insider's body names none (422)",
    ),
    Route("api", "/api/v1/assessment/projects/", "assess_project", "list"),
    Route("api", "/api/v1/assessment/projects/?org={id}", "org", "children"),
    Route("api", "/api/v1/assessment/projects/{id}", "assess_project", "detail"),
    Route(
        "api",
        "/api/v1/assessment/projects/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org_id": p.pk,
            "year": _ASSESS_YEAR + 1,
            "title": "越界项目",
            "secretary_name": "越界",
            "team": ["越界"],
            "plan": "越界",
        },
        control_status=frozenset({200, 422}),
    ),
    Route(
        "api",
        "/api/v1/assessment/projects/{id}/evaluate",
        "assess_project",
        "write",
        method="POST",
        data={"score": 60, "note": "越界评价"},
    ),
    Route(
        "api",
        "/api/v1/assessment/projects/{id}/milestones/{id}/done",
        "assess_project",
        "write",
        method="POST",
        data={"evidence": "越界"},
        control_status=frozenset({404}),
        note="the path names the project's id as a milestone too: no such milestone (404)",
    ),
    Route("api", "/api/v1/assessment/reviews/", "assess_review", "list"),
    Route("api", "/api/v1/assessment/reviews/?org={id}", "org", "children"),
    Route(
        "api",
        "/api/v1/assessment/reviews/{id}",
        "assess_review",
        "write",
        method="POST",
        data={"evidence": "越界", "result_score": 1},
    ),
    Route("console", "/assessment/", "assess_rating", "list"),
    Route("console", f"/assessment/?{_AY}", "assess_rating", "list"),
    Route("console", f"/assessment/?{_AY}&area={{id}}", "area", "children"),
    Route("console", "/assessment/ratings/{id}/", "assess_rating", "detail"),
    Route(
        "console",
        "/assessment/ratings/{id}/objections/",
        "assess_rating",
        "write",
        method="POST",
        data={"reason": "越界异议"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/assessment/objections/{id}/handle/",
        "assess_objection",
        "write",
        method="POST",
        data={"decision": "rejected", "response": "越界处理"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/assessment/publish/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area": p.pk, "year": _ASSESS_YEAR},
        control_status=frozenset({302}),
    ),
    Route("console", "/assessment/scores/", "assess_score", "list"),
    Route("console", f"/assessment/scores/?{_AY}", "assess_score", "list"),
    Route("console", f"/assessment/scores/?{_AY}&org={{id}}", "org", "children"),
    Route("console", "/assessment/projects/", "assess_project", "list"),
    Route("console", f"/assessment/projects/?{_AY}", "assess_project", "list"),
    Route("console", "/assessment/projects/{id}/", "assess_project", "detail"),
    Route(
        "console",
        "/assessment/reviews/{id}/",
        "assess_review",
        "write",
        method="POST",
        data={"evidence": "越界", "result_score": "1"},
        control_status=frozenset({302}),
    ),
]
UNSCOPED_API_ROUTES |= {
    # The schemes are the deployment's rules: every staff user reads them; only the root
    # changes them (403 below it).
    ("GET", "/api/v1/assessment/schemes/"),
    ("GET", "/api/v1/assessment/schemes/{scheme_id}"),
    ("POST", "/api/v1/assessment/schemes/"),
    ("PATCH", "/api/v1/assessment/schemes/{scheme_id}"),
    ("POST", "/api/v1/assessment/schemes/{scheme_id}/indicators/"),
    # Enqueues the whole year's recomputation (names no row).
    ("POST", "/api/v1/assessment/recompute"),
}
UNSCOPED_CONSOLE_ROUTES |= {
    "/assessment/schemes/",
    "/assessment/schemes/{}/",
    "/assessment/recompute/",
}

WATCHED_COUNTS += [
    _assess_models.Rating,
    _assess_models.RatingLine,
    _assess_models.Objection,
    _assess_models.ManualScore,
    _assess_models.SecretaryProject,
    _assess_models.Review,
]


@fingerprint
def _assessment_rows(out: dict) -> None:
    """Adds the assessment rows to the fingerprint."""
    out["assessment:ratings"] = list(
        _assess_models.Rating.objects.order_by("pk").values_list("pk", "state", "score")
    )
    out["assessment:objections"] = list(
        _assess_models.Objection.objects.order_by("pk").values_list("pk", "state")
    )
    out["assessment:scores"] = list(
        _assess_models.ManualScore.objects.order_by("pk").values_list("pk", "points")
    )
    out["assessment:projects"] = list(
        _assess_models.SecretaryProject.objects.order_by("pk").values_list(
            "pk", "state", "evaluation_score"
        )
    )
    out["assessment:reviews"] = list(
        _assess_models.Review.objects.order_by("pk").values_list("pk", "result_score")
    )


# --- assessment (issue 15, a15): evidence files, the project form, the rating on the phone ----
ROUTES += [
    Route("api", "/api/v1/assessment/scores/{id}/files/", "assess_score", "detail"),
    Route(
        "api",
        "/api/v1/assessment/scores/{id}/files/",
        "assess_score",
        "write",
        method="POST",
        data={},
        control_status=frozenset({422}),
        note="a JSON body carries no file: the insider is told to choose one (422)",
    ),
    Route(
        "api",
        "/api/v1/assessment/scores/{id}/files/{id}",
        "assess_score",
        "detail",
        control=False,
        note="the path names the score's id as a file too: no such file for anyone (404)",
    ),
    Route("api", "/api/v1/assessment/flags/{id}/files/", "assess_flag", "detail"),
    Route(
        "api",
        "/api/v1/assessment/flags/{id}/files/",
        "assess_flag",
        "write",
        method="POST",
        data={},
        control_status=frozenset({409, 422}),
        note="a rule's flag takes no file (409); a manual one asks for the file (422)",
    ),
    Route(
        "api",
        "/api/v1/assessment/flags/{id}/files/{id}",
        "assess_flag",
        "detail",
        control=False,
        note="the path names the flag's id as a file too: no such file for anyone (404)",
    ),
    # The console's evidence forms (a15b): the same services as the API above.
    Route(
        "console",
        "/assessment/scores/{id}/files/",
        "assess_score",
        "write",
        method="POST",
        data={},
        control_status=frozenset({302}),
        note="the insider is sent back to the list with '佐证附件：请选择要上传的文件'",
    ),
    Route(
        "console",
        "/assessment/scores/{id}/files/{id}/",
        "assess_score",
        "detail",
        control=False,
        note="the path names the score's id as a file too: no such file for anyone (404)",
    ),
    Route(
        "console",
        "/assessment/flags/{id}/files/",
        "assess_flag",
        "write",
        method="POST",
        data={},
        control_status=frozenset({302}),
        note="the insider is sent back to the list: a rule's flag takes no file, a manual one "
        "asks for the file",
    ),
    Route(
        "console",
        "/assessment/flags/{id}/files/{id}/",
        "assess_flag",
        "detail",
        control=False,
        note="the path names the flag's id as a file too: no such file for anyone (404)",
    ),
    Route("console", "/assessment/projects/new/", "org", "list", control=False),
    Route(
        "console",
        "/assessment/projects/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {
            "org": p.pk,
            "year": _ASSESS_YEAR + 2,
            "title": "越界项目",
            "secretary_name": "越界",
            "team": "越界",
            "plan": "越界",
        },
        control_status=frozenset({200, 302}),
        note="the insider creates it (302) or is shown the form's message (200)",
    ),
    Route("console", "/m/assessment/ratings/", "assess_rating", "list"),
    Route("console", "/m/assessment/ratings/{id}/", "assess_rating", "detail"),
    Route(
        "console",
        "/m/assessment/ratings/{id}/objections/",
        "assess_rating",
        "write",
        method="POST",
        data={"reason": "越界异议"},
        control_status=frozenset({302}),
    ),
]
