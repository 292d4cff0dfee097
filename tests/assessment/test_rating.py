import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from dangjian.assessment.models import Rating, RatingLine, RatingState, Sector
from dangjian.assessment.services import rating as services
from tests.assessment.rating_helpers import YEAR, scheme

TODAY = dt.date(YEAR, 12, 20)


def _row(score, stars=None):
    s = Decimal(score)
    return SimpleNamespace(score=s, stars_by_score=stars if stars is not None else 5)


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        ("100", 5),
        ("95", 5),
        ("94.99", 4),
        ("85", 4),
        ("84.99", 3),
        ("75", 3),
        ("74.99", 2),
        ("65", 2),
        ("64.99", 1),
        ("60", 1),
        ("59.99", 0),
        ("0", 0),
    ],
)
def test_star_thresholds(world, score, stars):
    s = scheme(world.users["admin"])
    assert services.stars_for(Decimal(score), s) == stars


def test_thresholds_must_descend(world):
    with pytest.raises(ValidationError) as e:
        services.scheme_create(
            actor=world.users["admin"], sector=Sector.VILLAGE, year=YEAR, four_star=96
        )
    assert "five_star" in e.value.message_dict


def test_cap_keeps_at_most_ten_percent_in_score_order():
    rows = [_row(s) for s in ("99", "98", "97")] + [_row("80", 3) for _ in range(17)]
    services.apply_cap(rows, Decimal("0.1"))  # 20 organizations: 2 five-star places
    assert [r.stars for r in rows[:3]] == [5, 5, 4]
    assert rows[2].capped and not rows[0].capped


def test_cap_tie_at_the_boundary_demotes_all_tied():
    rows = [_row("99"), _row("97"), _row("97")] + [_row("80", 3) for _ in range(17)]
    services.apply_cap(rows, Decimal("0.1"))
    assert [r.stars for r in rows[:3]] == [5, 4, 4]
    assert sum(r.stars == 5 for r in rows) <= 2


def test_cap_tie_within_the_cap_keeps_all():
    rows = [_row("97"), _row("97")] + [_row("80", 3) for _ in range(18)]
    services.apply_cap(rows, Decimal("0.1"))
    assert [r.stars for r in rows[:2]] == [5, 5]


def test_compute_explains_and_adds_up(world):
    admin = world.users["admin"]
    s = scheme(admin)
    ind = s.indicators.get(code="service")
    services.manual_score_set(
        actor=admin,
        indicator=ind,
        org=world.orgs["grid_branch"],
        year=YEAR,
        points="12.5",
        evidence="走访群众记录",
    )
    summary = services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    assert summary["rated"] >= 2
    r = Rating.objects.get(org=world.orgs["grid_branch"], year=YEAR)
    lines = list(r.lines.all())
    assert [ln.code for ln in lines] == [
        "orglife",
        "dues",
        "committee",
        "events",
        "project",
        "service",
    ]
    assert sum(ln.points for ln in lines) == r.score
    assert all(ln.figure for ln in lines)
    assert lines[-1].points == Decimal("12.50")
    assert lines[0].source.startswith("/orglife/compliance/branch/")
    assert r.stars == services.stars_for(r.score, s)
    # Village organizations have no scheme this year: not rated.
    assert not Rating.objects.filter(org=world.orgs["village_branch"]).exists()


def test_recompute_is_idempotent(world):
    admin = world.users["admin"]
    scheme(admin)
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)

    def snap():
        return (
            list(
                Rating.objects.order_by("org_id").values_list(
                    "org_id", "score", "stars", "rank", "capped", "state"
                )
            ),
            list(
                RatingLine.objects.order_by("rating__org_id", "position").values_list(
                    "rating__org_id", "code", "figure", "points", "source"
                )
            ),
        )

    first = snap()
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    assert snap() == first


def test_threshold_change_applies_from_next_computation(world):
    admin = world.users["admin"]
    s = scheme(admin)
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    r = Rating.objects.get(org=world.orgs["grid_branch"], year=YEAR)
    before = r.stars
    services.scheme_update(
        actor=admin,
        scheme=s,
        one_star=0.01,
        two_star=0.02,
        three_star=0.03,
        four_star=0.04,
        five_star=0.05,
    )
    r.refresh_from_db()
    assert r.stars == before  # stored results are not touched by the rule change
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    r.refresh_from_db()
    assert r.stars_by_score == 5
    from dangjian.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="assessment.scheme_update").exists()


def test_scheme_changes_need_the_root(world):
    from dangjian.core.scope import Forbidden

    with pytest.raises(Forbidden):
        services.scheme_create(actor=world.users["county"], sector=Sector.VILLAGE, year=YEAR)


def test_publication_window_and_objections(world):
    from dangjian.core.errors import Conflict

    admin, county = world.users["admin"], world.users["county"]
    scheme(admin)
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    r = Rating.objects.get(org=world.orgs["grid_branch"], year=YEAR)
    with pytest.raises(Conflict):
        services.objection_file(
            actor=world.users["community"], rating=r, reason="不服", today=TODAY
        )
    n = services.ratings_publish(actor=county, county=world.nodes["county"], year=YEAR, today=TODAY)
    assert n >= 1
    r.refresh_from_db()
    assert r.state == RatingState.PUBLISHED and r.window_ends_on == TODAY + dt.timedelta(5)
    o = services.objection_file(
        actor=world.users["community"], rating=r, reason="组织生活记录漏算", today=TODAY
    )
    # Published ratings are frozen: a recompute leaves them alone.
    services.ratings_compute(year=YEAR, actor=admin, today=TODAY)
    r.refresh_from_db()
    assert r.state == RatingState.PUBLISHED
    # Not final while an objection is pending.
    assert services.ratings_finalize_due(year=YEAR, today=TODAY + dt.timedelta(6)) >= 0
    r.refresh_from_db()
    assert r.state == RatingState.PUBLISHED
    with pytest.raises(ValidationError):
        services.objection_handle(actor=county, objection=o, decision="upheld", response="")
    services.objection_handle(actor=county, objection=o, decision="upheld", response="已核实")
    r.refresh_from_db()
    assert r.state == RatingState.COMPUTED
    with pytest.raises(Conflict):
        services.objection_handle(actor=county, objection=o, decision="rejected", response="再次")
    with pytest.raises(Conflict):  # window closed
        services.ratings_publish(actor=county, county=world.nodes["county"], year=YEAR, today=TODAY)
        services.objection_file(
            actor=world.users["community"], rating=r, reason="晚了", today=TODAY + dt.timedelta(10)
        )
