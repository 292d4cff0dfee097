"""Recomputation (idempotent), the county's bottom list, its confirmation and the
rectification workflow through the API; thresholds through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.assessment.models import (
    Flag,
    Ranking,
    RankingEntry,
    Rectification,
    RuleSetting,
)
from dangjian.assessment.recompute import STEPS, assessment_recompute
from dangjian.assessment.services import weak
from dangjian.core.models import AuditEntry, Notification
from tests.assessment.helpers import bottom_list

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 7)


def _bottom(world):
    for i in range(3):
        weak.flag_add_manual(
            actor=world.users["county"],
            org=world.orgs["community_committee"],
            year=2026,
            summary=f"班子不团结{i}",
            evidence="群众来信三封",
        )
    bottom_list(world, 2026, TODAY)
    return Ranking.objects.get(county=world.nodes["county"], year=2026)


def test_recompute_is_idempotent(world):
    first = weak.flags_recompute(year=2026, today=TODAY)
    ids = sorted(Flag.objects.values_list("pk", flat=True))
    assert first["created"] == len(ids) > 0
    second = weak.flags_recompute(year=2026, today=TODAY)
    assert (second["created"], second["updated"], second["removed"]) == (0, 0, 0)
    assert sorted(Flag.objects.values_list("pk", flat=True)) == ids
    weak.rankings_recompute(year=2026, today=TODAY)
    entries = list(RankingEntry.objects.values_list("org_id", "position", "score"))
    weak.rankings_recompute(year=2026, today=TODAY)
    assert list(RankingEntry.objects.values_list("org_id", "position", "score")) == entries


def test_recompute_runs_every_step(world):
    names = ["ratings", "ratings_finalize", "weak_flags", "weak_rankings", "member_warnings"]
    assert [name for name, _ in STEPS] == names
    out = assessment_recompute(year=2026)
    assert out["year"] == 2026 and list(out["steps"]) == names


def test_flags_of_a_rule_no_longer_found_are_removed_manual_ones_stay(world):
    _bottom(world)
    org = world.orgs["grid_branch"]
    assert Flag.objects.filter(org=org, rule="committee_incomplete").exists()
    from tests.assessment.helpers import healthy

    healthy(org)
    out = weak.flags_recompute(year=2026, today=TODAY)
    assert out["removed"] >= 1
    assert not Flag.objects.filter(org=org, rule="committee_incomplete").exists()
    assert Flag.objects.filter(manual=True).count() == 3


def test_bottom_share_of_the_county(world):
    r = _bottom(world)
    # Four assessed organizations in the first county; 5% of 4, rounded up: 1.
    assert r.assessed == 4 and r.state == "draft"
    entries = list(r.entries.all())
    assert [e.org_id for e in entries] == [world.orgs["community_committee"].pk]
    assert entries[0].score == 4
    assert {f["rule"] for f in entries[0].flags} == {"committee_incomplete", "manual"}


def test_county_confirms_and_the_secretary_rectifies(world, api):
    r = _bottom(world)
    county, sec = world.users["county"], world.users["community"]
    res = api.post(county, f"/api/v1/assessment/rankings/{r.pk}/confirm", {"note": "同意"})
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["state"] == "confirmed"
    rid = body["entries"][0]["rectification_id"]
    rect = Rectification.objects.get(pk=rid)
    assert rect.deadline > TODAY and rect.state == "planning"
    assert Notification.objects.filter(recipient=sec, kind="assessment.rectification").exists()
    again = api.post(county, f"/api/v1/assessment/rankings/{r.pk}/confirm", {})
    assert again.status_code == 409

    url = f"/api/v1/assessment/rectifications/{rid}"
    detail = api.get(sec, url).json()
    assert [a["action"] for a in detail["allowed_actions"]] == ["plan"]
    # The county is the level above: it may not file the organization's reports.
    assert (
        api.post(
            county, url + "/transitions", {"action": "plan", "measures": "x", "leader": "y"}
        ).status_code
        == 403
    )
    bad = api.post(sec, url + "/transitions", {"action": "plan", "measures": "整顿措施"})
    assert bad.status_code == 422 and "leader" in str(bad.json())
    ok = api.post(
        sec,
        url + "/transitions",
        {"action": "plan", "measures": "一、配齐班子；二、规范三会一课", "leader": "李书记"},
    )
    assert ok.status_code == 200 and ok.json()["state"] == "in_progress"
    early = api.post(sec, url + "/transitions", {"action": "submit", "note": "完成"})
    assert early.status_code == 409 and "进展" in early.json()["detail"]
    rep = api.post(sec, url + "/transitions", {"action": "report", "note": "已补选委员两名"})
    assert rep.status_code == 200 and rep.json()["reports"] == 1
    sub = api.post(sec, url + "/transitions", {"action": "submit", "note": "整顿完成"})
    assert sub.json()["state"] == "review"
    assert api.post(sec, url + "/transitions", {"action": "sign_off"}).status_code == 403
    done = api.post(county, url + "/transitions", {"action": "sign_off", "note": "验收合格"})
    assert done.status_code == 200 and done.json()["state"] == "closed"
    assert [h["action"] for h in done.json()["history"]] == [
        "open",
        "plan",
        "report",
        "submit",
        "sign_off",
    ]
    assert AuditEntry.objects.filter(action="assessment.rectification.sign_off").exists()


def test_outsider_cannot_confirm(world, api):
    r = _bottom(world)
    res = api.post(world.users["street3"], f"/api/v1/assessment/rankings/{r.pk}/confirm", {})
    assert res.status_code == 404
    assert Ranking.objects.get(pk=r.pk).state == "draft"
    # Township staff see no ranking of their county (a county's list).
    assert api.get(world.users["street"], "/api/v1/assessment/rankings/").json()["count"] == 0


def test_confirmed_ranking_is_kept_by_the_next_computation(world):
    r = _bottom(world)
    weak.ranking_confirm(actor=world.users["county"], ranking=r, today=TODAY)
    out = weak.rankings_recompute(year=2026, today=TODAY)
    assert out["confirmed_kept"] == 1
    assert Ranking.objects.get(pk=r.pk).entries.count() == 1


def test_threshold_change_is_audited_and_only_for_the_city(world, api):
    body = {"key": "ASSESS_BOTTOM_SHARE", "value": "0.5"}
    assert api.post(world.users["county"], "/api/v1/assessment/settings/", body).status_code == 403
    res = api.post(world.users["admin"], "/api/v1/assessment/settings/", body)
    assert res.status_code == 200 and res.json()["value"] == "0.5"
    assert RuleSetting.objects.get(key="ASSESS_BOTTOM_SHARE").value == "0.5"
    entry = AuditEntry.objects.get(action="assessment.rule_setting_set")
    assert entry.before["value"] == "0.05" and entry.after["value"] == "0.5"
    bad = api.post(world.users["admin"], "/api/v1/assessment/settings/", {**body, "value": "2"})
    assert bad.status_code == 422 and "value" in bad.json()["errors"]
    unknown = api.post(
        world.users["admin"], "/api/v1/assessment/settings/", {"key": "X", "value": 1}
    )
    assert unknown.status_code == 422
    listed = api.get(world.users["county"], "/api/v1/assessment/settings/").json()
    assert {"key": "ASSESS_BOTTOM_SHARE", "value": "0.5"}.items() <= next(
        s for s in listed if s["key"] == "ASSESS_BOTTOM_SHARE"
    ).items()


def test_manual_flag_needs_evidence(world, api):
    res = api.post(
        world.users["county"],
        "/api/v1/assessment/flags/",
        {"org_id": world.orgs["grid_branch"].pk, "year": 2026, "summary": "软弱"},
    )
    assert res.status_code == 422 and "evidence" in res.json()["errors"]
    res = api.post(
        world.users["county"],
        "/api/v1/assessment/flags/",
        {
            "org_id": world.orgs["township_committee"].pk,
            "year": 2026,
            "summary": "软弱",
            "evidence": "x",
        },
    )
    assert res.status_code == 422 and "org" in res.json()["errors"]
    assert not Flag.objects.exists()
