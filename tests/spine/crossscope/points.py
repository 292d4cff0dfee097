"""Points (积分): schemes, rules, catalogue, awards, claims, redemptions, receipts, stars."""

from __future__ import annotations

from django.utils import timezone

from dangjian.points import models as _points_models
from tests.spine.crossscope.registry import (
    FACTORIES,
    ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)


# --- points (issue 16) ---
# A residents' scheme of the first county's community with a rule, an item, an award to a
# resident of its unit, a claim waiting for review, a used redemption and a star.
def _points_objects(world) -> dict:
    from dangjian.accounts.models import UserKind
    from dangjian.points import services as points
    from dangjian.points.models import Award, Rule
    from dangjian.points.sources import SourceEvent
    from tests import world as world_mod

    staff = world.users["community"]
    s = points.scheme_create(
        actor=staff,
        data={
            "name": "越界探针积分方案",
            "audience": "residents",
            "area_id": world.nodes["community"].pk,
        },
    )
    rule = points.rule_create(
        actor=staff,
        scheme_id=s.pk,
        data={
            "name": "越界探针规则",
            "category": "探针",
            "points": "30",
            "source": "cases.visit",
        },
    )
    manual = points.rule_create(
        actor=staff,
        scheme_id=s.pk,
        data={"name": "越界探针申报规则", "category": "探针", "points": "5"},
    )
    item = points.item_create(
        actor=staff, scheme_id=s.pk, data={"name": "越界探针兑换品", "price": "10", "stock": 5}
    )
    u = world_mod.user(
        "t-points-probe", role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"]
    )
    u.real_name = "越界探针居民"
    u.save(update_fields=["real_name"])
    points.award_events(
        [
            SourceEvent(
                "cases.visit", "probe", u.pk, u.real_name, u.area_path, "", timezone.localdate()
            )
        ]
    )
    claim = points.award_submit(actor=u, rule_id=manual.pk, data={"evidence": "越界探针佐证"})
    r = points.redemption_create(actor=u, item_id=item.pk)
    points.receipt_use(actor=staff, code=r.code)
    points.stars_award(actor=staff, scheme_id=s.pk, year=timezone.localdate().year)
    award = Award.objects.get(rule=rule)
    assert Rule.objects.filter(scheme=s).count() == 2
    return {
        "scheme": s,
        "rule": rule,
        "item": item,
        "award": award,
        "claim": claim,
        "redemption": r,
        "user": u,
    }


def points_scheme_probes(world) -> list[Probe]:
    s = _points_objects(world)["scheme"]
    return [Probe(s.pk, s.name)]


def points_rule_probes(world) -> list[Probe]:
    r = _points_objects(world)["rule"]
    return [Probe(r.pk, r.name)]


def points_item_probes(world) -> list[Probe]:
    i = _points_objects(world)["item"]
    return [Probe(i.pk, i.name)]


def points_award_probes(world) -> list[Probe]:
    a = _points_objects(world)["award"]
    return [Probe(a.pk, a.subject_name)]


def points_claim_probes(world) -> list[Probe]:
    a = _points_objects(world)["claim"]
    return [Probe(a.pk, "越界探针佐证")]


def points_redemption_probes(world) -> list[Probe]:
    r = _points_objects(world)["redemption"]
    return [Probe(r.pk, r.item_name)]


def points_receipt_probes(world) -> list[Probe]:
    """The probe's ``pk`` is the receipt code: the receipt routes take the code."""
    r = _points_objects(world)["redemption"]
    return [Probe(r.code, r.item_name)]  # type: ignore[arg-type]


def points_star_probes(world) -> list[Probe]:
    o = _points_objects(world)
    return [Probe(o["user"].pk, o["user"].real_name)]


FACTORIES.update(
    {
        "points_scheme": points_scheme_probes,
        "points_rule": points_rule_probes,
        "points_item": points_item_probes,
        "points_award": points_award_probes,
        "points_claim": points_claim_probes,
        "points_redemption": points_redemption_probes,
        "points_receipt": points_receipt_probes,
        "points_star": points_star_probes,
    }
)

_PT = "/api/v1/points"

ROUTES += [
    Route("api", f"{_PT}/schemes/", "points_scheme", "list"),
    Route("api", f"{_PT}/schemes/{{id}}", "points_scheme", "detail"),
    Route(
        "api",
        f"{_PT}/schemes/{{id}}",
        "points_scheme",
        "write",
        method="PATCH",
        data={"name": "越界改名"},
    ),
    Route(
        "api",
        f"{_PT}/schemes/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"name": "越界方案", "audience": "residents", "area_id": p.pk},
        control_status=frozenset({201, 422}),
    ),
    Route(
        "api",
        f"{_PT}/schemes/{{id}}/stars",
        "points_scheme",
        "write",
        method="POST",
        data={"year": 2026},
    ),
    Route("api", f"{_PT}/rules/", "points_rule", "list"),
    Route(
        "api",
        f"{_PT}/rules/",
        "points_scheme",
        "write",
        method="POST",
        data=lambda p: {"scheme_id": p.pk, "name": "越界规则", "category": "越界", "points": "1"},
        control_status=frozenset({201}),
    ),
    Route(
        "api",
        f"{_PT}/rules/{{id}}",
        "points_rule",
        "write",
        method="PATCH",
        data={"points": "99"},
    ),
    Route("api", f"{_PT}/awards/", "points_award", "list"),
    Route("api", f"{_PT}/awards/{{id}}", "points_award", "detail"),
    Route(
        "api",
        f"{_PT}/awards/",
        "points_rule",
        "write",
        method="POST",
        data=lambda p: {"rule_id": p.pk, "evidence": "越界申报"},
        control_status=frozenset({201, 422}),
    ),
    Route(
        "api",
        f"{_PT}/awards/{{id}}/transitions",
        "points_claim",
        "write",
        method="POST",
        data={"action": "approve"},
    ),
    Route(
        "api",
        f"{_PT}/awards/{{id}}/reverse",
        "points_award",
        "write",
        method="POST",
        data={"note": "越界冲正"},
        control_status=frozenset({200, 409}),
    ),
    Route("api", f"{_PT}/reviews/", "points_claim", "list"),
    Route("api", f"{_PT}/catalogue/", "points_item", "list"),
    Route("api", f"{_PT}/catalogue/{{id}}", "points_item", "detail"),
    Route(
        "api",
        f"{_PT}/catalogue/",
        "points_scheme",
        "write",
        method="POST",
        data=lambda p: {"scheme_id": p.pk, "name": "越界物品", "price": "1"},
        control_status=frozenset({201}),
    ),
    Route(
        "api",
        f"{_PT}/catalogue/{{id}}",
        "points_item",
        "write",
        method="PATCH",
        data={"stock": 0},
    ),
    Route("api", f"{_PT}/redemptions/", "points_redemption", "list"),
    Route("api", f"{_PT}/redemptions/{{id}}", "points_redemption", "detail"),
    Route(
        "api",
        f"{_PT}/redemptions/",
        "points_item",
        "write",
        method="POST",
        data=lambda p: {"item_id": p.pk},
        control_status=frozenset({404}),
        note="only the scheme's own residents redeem: the administrator is not one (404 too)",
    ),
    Route("api", f"{_PT}/receipts/{{id}}", "points_receipt", "detail"),
    Route(
        "api",
        f"{_PT}/receipts/{{id}}/use",
        "points_receipt",
        "write",
        method="POST",
        control_status=frozenset({409}),
        note="the probe's receipt is already used: the control answers 409",
    ),
    Route("api", f"{_PT}/rankings/", "points_award", "list"),
    Route("api", f"{_PT}/stars/", "points_star", "list"),
    Route("api", f"{_PT}/me", "points_award", "self"),
    Route("console", "/points/", "points_scheme", "list"),
    Route("console", "/points/schemes/{id}/", "points_scheme", "detail"),
    Route(
        "console",
        "/points/schemes/{id}/",
        "points_scheme",
        "write",
        method="POST",
        data={"form": "item", "name": "越界物品", "price": "1", "stock": "1"},
        control_status=frozenset({302}),
    ),
    Route("console", "/points/review/", "points_claim", "list"),
    Route("console", "/points/awards/", "points_award", "list"),
    Route("console", "/points/awards/?state=posted", "points_award", "list"),
    Route("console", "/points/redemptions/", "points_redemption", "list"),
    Route(
        "console",
        "/points/awards/{id}/transition/",
        "points_claim",
        "write",
        method="POST",
        data={"action": "approve"},
        control_status=frozenset({302}),
    ),
    Route("console", "/points/counter/", "points_receipt", "list"),
    Route("console", "/m/points/", "points_award", "self"),
    Route("console", "/m/points/catalogue/", "points_item", "self"),
    Route(
        "console",
        "/m/points/catalogue/{id}/redeem/",
        "points_item",
        "write",
        method="POST",
        data={"quantity": "1"},
        control_status=frozenset({404}),
        note="only the scheme's own residents redeem: the administrator is not one (404 too)",
    ),
    Route("console", "/m/points/receipts/{id}/", "points_redemption", "detail"),
    Route("console", "/m/points/boards/", "points_award", "self"),
]


WATCHED_COUNTS += [
    _points_models.Scheme,
    _points_models.Rule,
    _points_models.Item,
    _points_models.Award,
    _points_models.Redemption,
    _points_models.Star,
]


@fingerprint
def _points_rows(out: dict) -> None:
    """Adds the points rows an outsider might change to the fingerprint."""
    m = _points_models
    out["points:rows"] = [
        list(m.Scheme.objects.order_by("pk").values_list("pk", "name", "active")),
        list(m.Rule.objects.order_by("pk").values_list("pk", "name", "points", "active")),
        list(m.Item.objects.order_by("pk").values_list("pk", "name", "stock", "price")),
        list(m.Award.objects.order_by("pk").values_list("pk", "state", "points")),
        list(m.Redemption.objects.order_by("pk").values_list("pk", "state")),
    ]
