"""Console and phone pages: the whole order by clicks' worth of requests, refusals shown."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from dangjian.timebank import riders, services
from dangjian.timebank.models import Order
from tests.timebank.helpers import dispatched, helper

pytestmark = pytest.mark.django_db


def _local(d):
    return timezone.localtime(d).strftime("%Y-%m-%dT%H:%M")


def test_the_order_on_the_pages(world, client):
    a = helper(world, "李红")
    now = timezone.now()
    client.force_login(world.users["resident"])
    r = client.get("/m/timebank/order/")
    assert r.status_code == 200 and "我要点单" in r.content.decode()
    r = client.post(
        "/m/timebank/order/",
        {
            "service_class": "cleaning",
            "description": "楼道清扫",
            "place": "1号楼",
            "starts_at": _local(now + dt.timedelta(hours=1)),
            "ends_at": _local(now + dt.timedelta(hours=3)),
            "helpers_wanted": "1",
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    o = Order.objects.get()
    client.force_login(world.users["community"])
    assert "楼道清扫" in client.get("/timebank/").content.decode()
    assert "派单" in client.get(f"/timebank/orders/{o.pk}/").content.decode()
    client.post(f"/timebank/orders/{o.pk}/act/", {"action": "dispatch", "team": ""})
    o.refresh_from_db()
    assert o.state == "open"
    client.force_login(a)
    assert "楼道清扫" in client.get("/m/timebank/").content.decode()
    client.post(f"/m/timebank/orders/{o.pk}/act/", {"action": "accept"})
    r = client.post(f"/m/timebank/orders/{o.pk}/act/", {"action": "check_out"}, follow=True)
    assert "尚未签到" in r.content.decode()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(f"/m/timebank/orders/{o.pk}/act/", {"action": "check_in", "lat": "25.4"})
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        client.post(f"/m/timebank/orders/{o.pk}/act/", {"action": "check_out"})
        client.force_login(world.users["resident"])
        client.post(f"/m/timebank/orders/{o.pk}/act/", {"action": "confirm", "rating": "5"})
    o.refresh_from_db()
    assert o.state == "completed"
    client.force_login(a)
    assert "0.33" in client.get("/m/timebank/hours/").content.decode()


def test_console_pages_render(world, client):
    community = world.users["community"]
    dispatched(world)
    t = services.team_create(
        actor=community, community=world.nodes["community"], name="夕阳红服务队", kind="elderly"
    )
    helper(world, "王强")
    riders.station_create(actor=community, area=world.nodes["grid"], name="爱心驿站", kind="love")
    client.force_login(community)
    for url in (
        "/timebank/",
        "/timebank/teams/",
        f"/timebank/teams/{t.pk}/",
        "/timebank/stations/",
        "/timebank/hours/?by=work_unit&view=org",
    ):
        r = client.get(url)
        assert r.status_code == 200, url
    assert "王强" in client.get(f"/timebank/teams/{t.pk}/").content.decode()
    r = client.post(
        "/timebank/teams/",
        {"community": world.nodes["community"].pk, "name": "", "kind": "women"},
        follow=True,
    )
    assert "请填写队伍名称" in r.content.decode()
