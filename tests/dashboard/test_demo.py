"""The demo city comes with its roll-ups: demo-street's dashboard is its street's, with
figures, and nothing of another street; recomputing finds nothing to change."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from dangjian.accounts.models import User
from dangjian.dashboard.rollups import engine
from dangjian.territory.models import Area

pytestmark = pytest.mark.django_db


def test_demo_rollups_and_street_scope(api):
    call_command("seed", "--scale", "small", "--no-progress")
    assert engine.recompute(engine.window(12), check=True) == []
    street_user = User.objects.get(username="demo-street")
    body = api.get(street_user, "/api/v1/dashboard/").json()
    [street] = body["items"]
    assert street["id"] == street_user.area_id and street["computed_at"]
    figures = {f["code"]: f["value"] for f in street["figures"]}
    assert figures["members"] > 0 and figures["branches"] > 0
    text = json.dumps(body, ensure_ascii=False)
    others = Area.objects.filter(kind=street_user.area.kind).exclude(pk=street_user.area_id)
    for other in others:
        assert other.name not in text
        assert api.get(street_user, "/api/v1/dashboard/", node=other.pk).status_code == 404
    city = api.get(User.objects.get(username="demo-city"), "/api/v1/dashboard/").json()
    assert len(city["items"][0]["children"]) >= 2
