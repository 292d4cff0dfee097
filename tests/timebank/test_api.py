"""The API: the whole order through /api/v1/timebank/, refusals as 4xx with Chinese messages,
lists pinned against N+1."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from dangjian.timebank import riders, services
from dangjian.timebank.models import Order, Participation
from tests.timebank.helpers import dispatched, helper, order

pytestmark = pytest.mark.django_db
BASE = "/api/v1/timebank"


def _iso(d):
    return timezone.localtime(d).isoformat()


def test_the_whole_order_through_the_api(world, api):
    resident, community = world.users["resident"], world.users["community"]
    a = helper(world, "李红")
    now = timezone.now()
    r = api.post(
        resident,
        f"{BASE}/orders/",
        {
            "service_class": "repair",
            "description": "厨房水龙头漏水",
            "place": "1号楼502室",
            "starts_at": _iso(now + dt.timedelta(hours=1)),
            "ends_at": _iso(now + dt.timedelta(hours=4)),
            "helpers_wanted": 1,
        },
    )
    assert r.status_code == 200, r.content
    oid = r.json()["id"]
    assert r.json()["state"] == "ordered" and r.json()["place"] == "1号楼502室"
    r = api.post(community, f"{BASE}/orders/{oid}/transitions", {"action": "dispatch"})
    assert r.status_code == 200, r.content
    r = api.get(a, f"{BASE}/orders/", available="true")
    assert [o["id"] for o in r.json()["items"]] == [oid]
    detail = api.get(a, f"{BASE}/orders/{oid}").json()
    assert detail["place"] != "1号楼502室"  # masked until accepted
    assert [x["action"] for x in detail["allowed_actions"]] == ["accept"]
    r = api.post(a, f"{BASE}/orders/{oid}/transitions", {"action": "accept"})
    assert r.status_code == 200 and r.json()["state"] == "staffed"
    assert r.json()["place"] == "1号楼502室"
    r = api.post(a, f"{BASE}/orders/{oid}/transitions", {"action": "check_out"})
    assert r.status_code == 409 and "签到" in r.json()["detail"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = api.post(
            a, f"{BASE}/orders/{oid}/transitions", {"action": "check_in", "lat": 25.4, "lng": 119}
        )
        assert r.status_code == 200, r.content
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        assert (
            api.post(a, f"{BASE}/orders/{oid}/transitions", {"action": "check_out"}).status_code
            == 200
        )
        r = api.post(a, f"{BASE}/orders/{oid}/transitions", {"action": "confirm", "rating": 5})
        assert r.status_code == 403
        r = api.post(resident, f"{BASE}/orders/{oid}/transitions", {"action": "confirm"})
        assert r.status_code == 422 and "rating" in r.json()["errors"]
        r = api.post(
            resident, f"{BASE}/orders/{oid}/transitions", {"action": "confirm", "rating": 5}
        )
        assert r.status_code == 200 and r.json()["state"] == "completed"
    assert api.get(a, f"{BASE}/hours/me").json()["balance"] == "2.00"
    rows = api.get(community, f"{BASE}/hours/", by="work_unit").json()
    assert rows == [{"key": "城厢区财政局", "name": "城厢区财政局", "hours": "2.00", "services": 1}]
    # The employer's branch sees its member's service through the member's organization.
    rows = api.get(world.users["admin"], f"{BASE}/hours/", by="org", view="org").json()
    assert rows[0]["hours"] == "2.00"
    pid = Participation.objects.get(order_id=oid).pk
    r = api.post(
        community, f"{BASE}/participations/{pid}/corrections", {"hours": "1.5", "reason": "核实"}
    )
    assert r.status_code == 200 and r.json()["hours"] == "1.50"
    assert api.get(a, f"{BASE}/hours/me").json()["balance"] == "1.50"


def test_bad_input_answers_422_in_chinese(world, api):
    r = api.post(world.users["resident"], f"{BASE}/orders/", {"service_class": "x"})
    assert r.status_code == 422
    assert {"service_class", "description", "place", "starts_at"} <= set(r.json()["errors"])
    o = order(world)
    r = api.post(world.users["community"], f"{BASE}/orders/{o.pk}/transitions", {"action": "x"})
    assert r.status_code == 422 and "action" in r.json()["errors"]
    r = api.post(
        world.users["community"],
        f"{BASE}/orders/{o.pk}/transitions",
        {"action": "dispatch", "team_id": "abc"},
    )
    assert r.status_code == 422 and "team_id" in r.json()["errors"]
    r = api.get(world.users["community"], f"{BASE}/hours/", by="nope")
    assert r.status_code == 422
    r = api.post(
        world.users["resident"], f"{BASE}/orders/{o.pk}/transitions", {"action": "dispatch"}
    )
    assert r.status_code == 403
    o.refresh_from_db()
    assert o.state == "ordered"


def test_out_of_scope_reads_404(world, api):
    o = order(world)
    assert api.get(world.users["street3"], f"{BASE}/orders/{o.pk}").status_code == 404
    r = api.post(
        world.users["street3"], f"{BASE}/orders/{o.pk}/transitions", {"action": "dispatch"}
    )
    assert r.status_code == 404
    assert api.get(world.users["street3"], f"{BASE}/orders/").json()["count"] == 0


def test_order_list_query_count_is_pinned(world, api, django_assert_max_num_queries):
    for _ in range(3):
        dispatched(world)
    admin = world.users["admin"]
    api.get(admin, f"{BASE}/orders/")  # warm the grant cache and the token
    with django_assert_max_num_queries(8):
        r = api.get(admin, f"{BASE}/orders/")
    assert r.json()["count"] == 3
    for _ in range(5):
        dispatched(world)
    with django_assert_max_num_queries(8):
        r = api.get(admin, f"{BASE}/orders/")
    assert r.json()["count"] == 8


def test_team_station_rider_lists_are_pinned(world, api, django_assert_max_num_queries):
    community = world.users["community"]
    for i in range(3):
        services.team_create(
            actor=community, community=world.nodes["community"], name=f"巾帼红{i}", kind="women"
        )
        riders.station_create(
            actor=community, area=world.nodes["grid"], name=f"红色驿站{i}", kind="red"
        )
    api.get(community, f"{BASE}/teams/")
    for path in ("teams/", "stations/", "riders/", "talents/"):
        with django_assert_max_num_queries(8):
            r = api.get(community, f"{BASE}/{path}")
        assert r.status_code == 200


def test_teams_dispatch_and_roster_booking(world, api):
    community, resident = world.users["community"], world.users["resident"]
    a = helper(world, "李红", checked_in=False)
    r = api.post(
        community,
        f"{BASE}/teams/",
        {"community_id": world.nodes["community"].pk, "name": "巾帼红志愿服务队", "kind": "women"},
    )
    assert r.status_code == 200, r.content
    tid = r.json()["id"]
    r = api.post(community, f"{BASE}/teams/{tid}/members", {"user_id": a.pk, "role": "leader"})
    assert r.status_code == 200 and r.json()["member_count"] == 1
    o = order(world)
    r = api.post(
        community, f"{BASE}/orders/{o.pk}/transitions", {"action": "dispatch", "team_id": tid}
    )
    assert r.status_code == 200 and r.json()["team_name"] == "巾帼红志愿服务队"
    assert api.post(a, f"{BASE}/orders/{o.pk}/transitions", {"action": "accept"}).status_code == 200
    # The talent roster: a member offers a skill, a resident of the community books it.
    r = api.post(a, f"{BASE}/talents/", {"service_class": "repair", "skill": "家电维修"})
    assert r.status_code == 200, r.content
    talent = r.json()["id"]
    assert [t["id"] for t in api.get(resident, f"{BASE}/talents/").json()["items"]] == [talent]
    now = timezone.now()
    r = api.post(
        resident,
        f"{BASE}/orders/",
        {
            "service_class": "repair",
            "description": "洗衣机不转",
            "place": "1号楼302室",
            "starts_at": _iso(now + dt.timedelta(hours=1)),
            "ends_at": _iso(now + dt.timedelta(hours=3)),
            "talent_id": talent,
        },
    )
    assert r.status_code == 200 and r.json()["state"] == "open"
    booked = r.json()["id"]
    assert (
        api.post(a, f"{BASE}/orders/{booked}/transitions", {"action": "accept"}).status_code == 200
    )
    assert Order.objects.get(pk=booked).state == "staffed"


def test_a_rider_registers_and_reports_through_the_intake(world, api):
    community = world.users["community"]
    station = riders.station_create(
        actor=community,
        area=world.nodes["grid"],
        name="龙桥红色驿站",
        kind="red",
        services="饮水、充电、休息",
        opening_hours="8:00-20:00",
    )
    from tests.world import user as make_user

    rider = make_user("t-rider", role="resident", kind="resident", home=world.nodes["grid2"])
    r = api.post(
        rider,
        f"{BASE}/riders/",
        {
            "station_id": station.pk,
            "kind": "rider",
            "platform": "美团",
            "company": "莆田某配送公司",
        },
    )
    assert r.status_code == 200, r.content
    rid = r.json()["id"]
    body = {"description": "路口井盖破损有安全隐患", "area_id": world.nodes["grid"].pk}
    r = api.post(rider, "/api/v1/cases/", body)
    assert r.status_code == 404  # the station's grid is not theirs to report in yet
    r = api.post(community, f"{BASE}/riders/{rid}/assistant", {"assistant_grid_worker": True})
    assert r.status_code == 200 and r.json()["assistant_grid_worker"] is True
    rider.forget_grants()
    r = api.post(rider, "/api/v1/cases/", body)
    assert r.status_code in (200, 201), r.content


def test_list_filters_outside_their_choices_are_refused_and_ids_below_one_read_404(world, api):
    community = world.users["community"]
    for path, field in (
        ("orders/?state=nonsense", "state"),
        ("talents/?service_class=nonsense", "service_class"),
        ("stations/?kind=nonsense", "kind"),
    ):
        r = api.get(community, f"{BASE}/{path}")
        assert r.status_code == 422 and field in str(r.json()["errors"]), path
        assert "取值无效" in str(r.json())
    for path in ("orders/?community=0", "teams/?community=0", "riders/?station=0"):
        assert api.get(community, f"{BASE}/{path}").status_code == 404, path
    # The filters still filter: a community's teams, a station's riders.
    t = services.team_create(
        actor=community, community=world.nodes["community"], name="夕阳红", kind="elderly"
    )
    r = api.get(community, f"{BASE}/teams/?community={world.nodes['community'].pk}")
    assert [x["id"] for x in r.json()["items"]] == [t.pk]
    assert (
        api.get(community, f"{BASE}/teams/?community={world.nodes['community2'].pk}").json()[
            "count"
        ]
        == 0
    )
