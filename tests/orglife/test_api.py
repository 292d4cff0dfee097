"""The routes under /api/v1/orglife/: scope, Chinese errors, check-in, query counts."""

import datetime as dt

import pytest
import time_machine

from dangjian.orglife import services
from tests.orglife.helpers import at, hold, member_user, people, schedule
from tests.world import org

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
URL = "/api/v1/orglife"


def test_create_then_detail(api, secretary, branch, ten):
    r = api.post(
        secretary,
        f"{URL}/sessions/",
        {
            "org_id": branch.pk,
            "session_type": "members_meeting",
            "topic": "第四季度党员大会",
            "starts_at": "2026-11-20T09:00:00+08:00",
            "ends_at": "2026-11-20T11:00:00+08:00",
            "place": "党群服务中心",
            "recorder_id": ten[1].pk,
        },
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["session_type_label"] == "党员大会"
    assert body["starts_at"] == "2026-11-20T09:00:00+08:00"
    assert len(body["attendance"]) == 10 and body["checkin_token"]
    assert body["validity"]["valid"] is False and "不能召开" in body["validity"]["message"]
    r = api.get(secretary, f"{URL}/sessions/{body['id']}/validity")
    assert r.json()["entitled"] == 10 and r.json()["present"] == 0


def test_create_bad_input_names_the_field(api, secretary, branch):
    r = api.post(
        secretary,
        f"{URL}/sessions/",
        {
            "org_id": branch.pk,
            "session_type": "members_meeting",
            "topic": "",
            "starts_at": "2026-11-20T09:00:00+08:00",
            "ends_at": "2026-11-20T08:00:00+08:00",
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"]["ends_at"] == ["结束时间须晚于开始时间"]
    r = api.post(secretary, f"{URL}/sessions/", {"org_id": branch.pk})
    assert r.status_code == 422 and "topic" in r.json()["errors"]


def test_list_is_scoped(api, world, secretary, branch, ten):
    schedule(secretary, branch)
    assert api.get(secretary, f"{URL}/sessions/").json()["count"] == 1
    assert api.get(world.users["street3"], f"{URL}/sessions/").json()["count"] == 0
    assert api.get(world.users["street3"], f"{URL}/sessions/1").status_code == 404


def test_member_sees_own_and_invited_sessions_only(api, world, secretary, branch, ten):
    other = org(world.orgs["community_committee"], "第二网格党支部", "branch", world.grid2)
    stranger = people(other, 1)[0]
    user = member_user(stranger)
    mine = schedule(secretary, other, topic="第二网格主题党日", session_type="theme_day")
    foreign = schedule(secretary, branch)
    ids = [i["id"] for i in api.get(user, f"{URL}/sessions/").json()["items"]]
    assert ids == [mine.pk]
    assert api.get(user, f"{URL}/sessions/{foreign.pk}").status_code == 404
    services.session_invite(actor=secretary, session=foreign, member_ids=[stranger.pk])
    ids = {i["id"] for i in api.get(user, f"{URL}/my/sessions/").json()["items"]}
    assert ids == {mine.pk, foreign.pk}
    detail = api.get(user, f"{URL}/sessions/{foreign.pk}").json()
    assert detail["checkin_token"] is None  # only the recorder and managers see the token


def test_checkin_route_twice_and_foreign(api, world, secretary, branch, ten):
    user = member_user(ten[0])
    other = org(world.orgs["community_committee"], "第二网格党支部", "branch", world.grid2)
    stranger_user = member_user(people(other, 1)[0])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    token = services.checkin_token(s, dt.datetime(2026, 11, 20, 9, 1, tzinfo=TZ))
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 1, tzinfo=TZ), tick=False):
        r = api.post(user, f"{URL}/sessions/{s.pk}/checkin", {"token": token})
        assert r.status_code == 200 and r.json()["status"] == "present"
        r = api.post(user, f"{URL}/sessions/{s.pk}/checkin", {"token": token})
        assert r.status_code == 409 and "请勿重复签到" in r.json()["detail"]
        r = api.post(stranger_user, f"{URL}/sessions/{s.pk}/checkin", {"token": token})
        assert r.status_code == 403 and "也未受邀参加" in r.json()["detail"]
        r = api.post(stranger_user, f"{URL}/sessions/{s.pk}/checkin", {"token": "x"})
        assert r.status_code == 404
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, 0, tzinfo=TZ), tick=False):
        token = services.checkin_token(s)  # the code on the screen at noon
        r = api.post(member_user(ten[1]), f"{URL}/sessions/{s.pk}/checkin", {"token": token})
        assert r.status_code == 409 and "签到已结束" in r.json()["detail"]


def test_mark_vote_close_through_the_api(api, secretary, branch, ten):
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    for m in ten[:6]:
        r = api.post(
            secretary, f"{URL}/sessions/{s.pk}/attendance", {"member_id": m.pk, "status": "present"}
        )
        assert r.status_code == 200
    r = api.post(
        secretary,
        f"{URL}/sessions/{s.pk}/attendance",
        {"member_id": ten[6].pk, "status": "absent"},
    )
    assert r.status_code == 422 and r.json()["errors"]["reason"] == ["缺席或请假须填写原因"]
    r = api.post(
        secretary,
        f"{URL}/sessions/{s.pk}/votes",
        {"kind": "resolution", "subject": "接收预备党员", "yes": 6},
    )
    assert r.status_code == 200 and r.json()["validity"]["valid"] is True
    r = api.post(secretary, f"{URL}/sessions/{s.pk}/transitions", {"action": "close"})
    assert r.status_code == 422 and "minutes" in r.json()["errors"]
    api.client.patch(
        f"{URL}/sessions/{s.pk}",
        '{"minutes": "会议记录"}',
        content_type="application/json",
        headers=api._headers(secretary),
    )
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=TZ), tick=False):
        r = api.post(secretary, f"{URL}/sessions/{s.pk}/transitions", {"action": "close"})
    assert r.status_code == 200 and r.json()["state"] == "held"
    r = api.post(secretary, f"{URL}/sessions/{s.pk}/transitions", {"action": "close"})
    assert r.status_code == 409
    r = api.post(secretary, f"{URL}/sessions/{s.pk}/transitions", {"action": "fly"})
    assert r.status_code == 422


def test_compliance_route(api, world, secretary, branch, ten):
    hold(secretary, branch, "theme_day", at(2026, 11, 1))
    with time_machine.travel(dt.datetime(2026, 12, 5, tzinfo=TZ), tick=False):
        r = api.get(secretary, f"{URL}/compliance/", org=branch.pk, period="2026-11")
        assert r.status_code == 200
        row = r.json()["branches"][0]
        assert row["org_id"] == branch.pk and row["colour"] in ("green", "amber", "red")
        r = api.get(secretary, f"{URL}/compliance/", org=branch.pk, period="2026-13")
        assert r.status_code == 422 and "期间格式" in r.json()["detail"]
        r = api.get(world.users["street3"], f"{URL}/compliance/", org=branch.pk)
        assert r.status_code == 404
        r = api.get(secretary, f"{URL}/compliance/branch", org=branch.pk, period="2026-11")
        assert r.status_code == 200 and r.json()["branch"]["sessions"]


def test_my_attendance(api, secretary, branch, ten):
    user = member_user(ten[0])
    s = hold(secretary, branch, "theme_day", at(2026, 11, 1))
    r = api.get(user, f"{URL}/my/attendance/").json()
    assert r["count"] == 1 and r["items"][0]["session_id"] == s.pk and r["rate"] == "0.0"


def test_plans_and_bases(api, world, secretary, branch):
    with time_machine.travel(dt.datetime(2026, 11, 1, tzinfo=TZ), tick=False):
        r = api.post(
            secretary,
            f"{URL}/bases/",
            {
                "org_id": world.orgs["community_committee"].pk,
                "area_id": world.community.pk,
                "name": "木兰社区开放式组织生活基地",
                "activities": [{"title": "现场观摩", "kind": "party_spirit"}],
            },
        )
        assert r.status_code == 200, r.json()
        base_id = r.json()["id"]
        r = api.post(
            secretary,
            f"{URL}/plans/",
            {
                "org_id": branch.pk,
                "year": 2026,
                "quarter": 4,
                "items": [
                    {"session_type": "theme_day", "month": 11, "topic": "参观", "base_id": base_id}
                ],
            },
        )
        assert r.status_code == 200, r.json()
        assert api.get(secretary, f"{URL}/plans/").json()["count"] == 1
        # open bases serve every branch of the city
        assert api.get(world.users["street3"], f"{URL}/bases/").json()["count"] == 1
        assert api.get(world.users["street3"], f"{URL}/plans/").json()["count"] == 0


def test_list_query_counts_are_pinned(api, secretary, branch, ten, django_assert_max_num_queries):
    for day in range(1, 8):
        schedule(secretary, branch, "theme_day", start=at(2026, 11, day))
    api.get(secretary, f"{URL}/sessions/")  # token issue
    with django_assert_max_num_queries(8):
        r = api.get(secretary, f"{URL}/sessions/")
    assert r.json()["count"] == 7
    user = member_user(ten[0])
    api.get(user, f"{URL}/my/attendance/")
    with django_assert_max_num_queries(10):
        assert api.get(user, f"{URL}/my/attendance/").json()["count"] == 7
    with django_assert_max_num_queries(12):
        api.get(secretary, f"{URL}/compliance/", org=branch.pk, period="2026")
