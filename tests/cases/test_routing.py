"""Dispatch suggestion by keywords, duplicates and "me too", repeated submissions, the
reporting reach and the reporter's privacy."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.accounts.models import UserKind
from dangjian.cases import services
from dangjian.cases.classification import classifier
from dangjian.cases.models import Event, EventClass, EventLink, EventMeToo
from dangjian.core import audit, scope
from dangjian.core.models import AuditEntry
from tests import world as world_mod
from tests.cases.helpers import at, report

pytestmark = pytest.mark.django_db

# Labelled reports, as residents and grid workers write them.
SAMPLES = [
    ("小区门口垃圾堆积如山，已经发臭好几天了", "environment"),
    ("河道里漂浮物很多，白色垃圾没人捞", "environment"),
    ("楼下烧烤店油烟太大，呛得窗户都不敢开", "environment"),
    ("有人往绿化带里乱倒建筑渣土", "environment"),
    ("电线杆上贴满了小广告，牛皮癣清理不干净", "advertising"),
    ("商铺门口私自挂横幅，店招也歪了", "advertising"),
    ("工地夜间施工，噪音吵得睡不着", "construction"),
    ("隔壁在私搭乱建，违章搭建了一层铁皮房", "construction"),
    ("施工工地没有围挡，扬尘很大", "construction"),
    ("五楼阳台着火了，一直在冒烟", "emergency"),
    ("小区里有燃气泄漏的味道，疑似漏气", "emergency"),
    ("暴雨后地下车库严重内涝，有人被困", "emergency"),
    ("菜市场外面流动摊贩占道经营", "street_order"),
    ("人行道上乱停车，共享单车乱停乱放", "street_order"),
    ("路口的井盖缺失了，很危险", "public_facility"),
    ("这条街的路灯不亮了，晚上一片漆黑", "public_facility"),
    ("小区突然停水，自来水管道破了", "public_facility"),
    ("路面坑洼不平，坑槽里都是积水", "road_traffic"),
    ("十字路口的红绿灯坏了，信号灯不亮", "road_traffic"),
    ("公交站的站牌被撞倒了", "road_traffic"),
    ("垃圾桶满了溢出来，没人清运", "environment_facility"),
    ("公厕太脏，化粪池也满了", "environment_facility"),
    ("台风把行道树刮倒，树枝压在车上", "greening"),
    ("绿地被人毁绿种菜，草坪都没了", "greening"),
    ("老房子外墙脱落，墙体裂缝越来越大", "housing_land"),
    ("楼顶漏水，屋顶渗水严重", "housing_land"),
    ("邻里纠纷，楼上楼下因为漏水吵架", "dispute"),
    ("工人讨薪，老板拖欠工资半年了", "dispute"),
    ("楼道里有人飞线充电，电动车充电很不安全", "safety_hazard"),
    ("消防通道被杂物堵死，存在安全隐患", "safety_hazard"),
    ("独居老人生活困难，想咨询低保怎么申请", "livelihood"),
    ("残疾人补贴什么时候发放，想咨询一下", "livelihood"),
    ("投诉物业乱收费，态度差", "complaint"),
]


def test_keyword_classification_on_labelled_samples(world):
    wrong = []
    for sentence, expected in SAMPLES:
        suggestion, toks = classifier.suggest(sentence)
        if suggestion.code != expected:
            wrong.append((sentence, expected, suggestion.code, suggestion.keywords, toks))
        else:
            assert 0 < suggestion.confidence <= 1
    assert not wrong, wrong


def test_confidence_grows_with_evidence_and_falls_with_rivals(world):
    one, _ = classifier.suggest("门口有垃圾")
    two, _ = classifier.suggest("门口有垃圾，还有油烟和异味")
    mixed, _ = classifier.suggest("井盖旁边有垃圾")
    none, _ = classifier.suggest("今天天气不错")
    assert one.code == two.code == "environment"
    assert one.confidence == 0.5 and two.confidence == 0.875
    assert mixed.confidence < one.confidence and mixed.alternatives
    assert none.code is None and none.confidence == 0


def test_deployments_extend_the_taxonomy_and_the_rules(world):
    admin = world.users["admin"]
    with pytest.raises(scope.Forbidden):
        services.event_class_create(actor=world.users["street"], code="epidemic", name="疫情防控")
    with pytest.raises(ValidationError) as exc:
        services.event_class_create(actor=admin, code="X", name="", kind="thing", limit_value=-1)
    assert set(exc.value.message_dict) >= {"code", "name", "kind", "limit_unit", "limit_value"}
    klass = services.event_class_create(
        actor=admin,
        code="epidemic",
        name="疫情防控",
        kind="event",
        department_name="卫健办",
        limit_value=4,
        limit_unit="workhours",
        keywords=["核酸", "发热", "隔离"],
    )
    assert classifier.suggest("小区有人发热需要隔离")[0].code == "epidemic"
    services.event_class_update(actor=admin, event_class=klass, active=False)
    assert classifier.suggest("小区有人发热需要隔离")[0].code is None
    assert AuditEntry.objects.filter(action__startswith="event_class.").count() == 2


def test_the_suggestion_becomes_the_class_unless_the_reporter_chose(world):
    ev = report(world.resident, "路口的井盖缺失了，很危险")
    assert ev.event_class.code == "public_facility" and ev.class_source == "suggested"
    assert ev.suggested_class.code == "public_facility" and ev.suggestion_confidence == 0.5
    ev2 = report(world.resident, "这边路灯坏了好几天", class_code="road_traffic")
    assert ev2.event_class.code == "road_traffic" and ev2.class_source == "reporter"
    assert ev2.suggested_class.code == "public_facility"
    ev3 = report(world.users["grid"], "有位老人在路边摔倒了需要帮助", area=world.grid)
    assert ev3.event_class is None and ev3.class_source == ""


# --- duplicates and me too -------------------------------------------------------------------


def test_duplicates_suggested_before_submission_and_linked_both_ways(world, api):
    grid_worker = world.users["grid"]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        first = report(world.resident, "小区东门垃圾堆积，发臭严重，苍蝇很多")
    with time_machine.travel(at(2025, 6, 11, 9, 0), tick=False):
        r = api.post(
            grid_worker,
            "/api/v1/cases/duplicates",
            {"area_id": world.grid.pk, "description": "东门垃圾堆积发臭，苍蝇很多"},
        )
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["suggestion"]["code"] == "environment"
        assert [d["id"] for d in body["duplicates"]] == [first.pk]
        assert body["duplicates"][0]["similarity"] >= 0.5
        assert "reporter" not in json_keys(body["duplicates"][0])
        # Submitted anyway: linked to the first, both ways.
        second = report(grid_worker, "东门垃圾堆积发臭，苍蝇很多", area=world.grid)
    link = EventLink.objects.get()
    assert (link.low_id, link.high_id) == (first.pk, second.pk)
    for ev, other in ((first, second), (second, first)):
        d = api.get(world.users["street"], f"/api/v1/cases/{ev.pk}").json()
        assert [x["id"] for x in d["duplicates"]] == [other.pk]
    # The resident sees their own event, not the grid worker's: no link shown to them.
    d = api.get(world.resident, f"/api/v1/cases/{first.pk}").json()
    assert d["duplicates"] == []


def test_no_duplicate_across_class_grid_state_or_window(world, actors):
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        first = report(world.resident, "小区东门垃圾堆积，发臭严重，苍蝇很多")
        other_class = report(
            world.users["grid"],
            "小区东门垃圾堆积，发臭严重，苍蝇很多",
            class_code="other_event",
            area=world.grid,
        )
        other_grid = report(
            world.users["street"], "小区东门垃圾堆积，发臭严重，苍蝇很多", area=world.grid2
        )
    assert not EventLink.objects.exists()
    with time_machine.travel(at(2025, 6, 14, 9, 0), tick=False):  # past the 72-hour window
        late = report(world.users["community"], "东门垃圾堆积发臭，苍蝇很多", area=world.grid)
    assert not EventLink.objects.exists()
    with time_machine.travel(at(2025, 6, 14, 10, 0), tick=False):
        actors.do(late, "cancel")
        again = report(world.users["grid"], "东门垃圾堆积发臭，苍蝇很多", area=world.grid)
    # a cancelled event is no longer open
    assert not EventLink.objects.filter(low=late).exists()
    assert {first.pk, other_class.pk, other_grid.pk, again.pk}


def test_me_too_counts_each_person_once(world, api):
    ev = report(world.users["grid"], "东门垃圾堆积发臭，苍蝇很多", area=world.grid)
    r = api.post(world.resident, f"/api/v1/cases/{ev.pk}/me-too")
    assert r.status_code == 200 and r.json() == {"id": ev.pk, "me_too_count": 1}
    r = api.post(world.resident, f"/api/v1/cases/{ev.pk}/me-too")
    assert r.status_code == 409 and r.json()["detail"] == "您已附议过该事件"
    r = api.post(world.users["grid"], f"/api/v1/cases/{ev.pk}/me-too")
    assert r.status_code == 409 and "本人上报" in r.json()["detail"]
    r = api.post(world.users["member"], f"/api/v1/cases/{ev.pk}/me-too")
    assert r.status_code == 200 and r.json()["me_too_count"] == 2
    # Another street's staff cannot reach the grid: absent.
    r = api.post(world.users["street3"], f"/api/v1/cases/{ev.pk}/me-too")
    assert r.status_code == 404
    assert EventMeToo.objects.count() == 2
    assert Event.objects.get(pk=ev.pk).me_too_count == 2


def test_me_too_on_a_closed_event_reads_as_not_found(world, actors, api):
    """A closed event and an id that does not exist answer alike: ids cannot be probed."""
    ev = actors.drive(report(world.users["grid"], "东门垃圾堆积发臭", area=world.grid), "closed")
    closed = api.post(world.resident, f"/api/v1/cases/{ev.pk}/me-too")
    missing = api.post(world.resident, f"/api/v1/cases/{ev.pk + 10_000}/me-too")
    assert closed.status_code == missing.status_code == 404
    assert closed.json() == missing.json()
    assert Event.objects.get(pk=ev.pk).me_too_count == 0


def test_repeated_submission_by_one_resident_is_caught(world, api):
    body = {"description": "小区门口垃圾堆积如山，已经发臭好几天了"}
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        first = api.post(world.resident, "/api/v1/cases/", body)
        assert first.status_code == 200, first.content
    with time_machine.travel(at(2025, 6, 10, 9, 1), tick=False):
        again = api.post(
            world.resident,
            "/api/v1/cases/",
            {"description": "小区门口 垃圾堆积如山！已经发臭好几天了。"},
        )
        assert again.status_code == 409
        assert again.json()["detail"] == (
            f"您已于2025-06-10 09:00上报过相同的事件（编号{first.json()['id']}），请勿重复提交"
        )
        similar = api.post(
            world.resident,
            "/api/v1/cases/",
            {"description": "小区门口的垃圾堆积如山，已经发臭好几天"},
        )
        assert similar.status_code == 409
        # Someone else reporting the same thing is not a repeat (it is linked as a duplicate).
        other = api.post(world.users["member"], "/api/v1/cases/", body)
        assert other.status_code == 200
    assert Event.objects.count() == 2
    with time_machine.travel(at(2025, 6, 14, 9, 0), tick=False):  # the window has passed
        assert report(world.resident, body["description"]).pk


# --- where one may report, and privacy ----------------------------------------------------------


def test_reporting_reach(world):
    resident = world.resident
    ev = report(resident)  # no area: the resident's own grid
    assert ev.grid_id == world.grid.pk and ev.area_id == world.grid.pk
    assert ev.dispatch_area_id == world.street.pk and ev.source == "resident"
    unit = report(resident, "单元楼道灯不亮了，晚上看不见", area=world.unit)
    assert unit.area_id == world.unit.pk and unit.grid_id == world.grid.pk
    with pytest.raises(Http404):  # another grid of the same community
        report(resident, "第二网格路灯坏了", area=world.grid2)
    with pytest.raises(ValidationError) as exc:
        report(world.users["street"], "街道的路灯坏了", area=world.community)
    assert "网格或单元" in exc.value.message_dict["area_id"][0]
    with pytest.raises(ValidationError) as exc:  # several grids: say which
        report(world.users["street"], "街道的路灯坏了")
    assert exc.value.message_dict["area_id"] == ["请选择事件所在的网格或单元"]
    with pytest.raises(Http404):
        report(world.users["street3"], "路灯坏了", area=world.grid)
    with pytest.raises(scope.Forbidden):
        report(world.users["nobody"], "路灯坏了", area=world.grid)
    assert report(world.users["grid"], "网格内路灯坏了一排").grid_id == world.grid.pk
    homeless = world_mod.user("t-homeless", role="resident", kind=UserKind.RESIDENT)
    with pytest.raises(ValidationError) as exc:
        report(homeless, "路口井盖缺失很危险")
    assert "尚未登记所在网格" in exc.value.message_dict["area_id"][0]


def test_a_location_outside_the_grid_is_refused(world):
    from dangjian.territory import services as territory

    square = {
        "type": "Polygon",
        "coordinates": [
            [[119.0, 25.4], [119.01, 25.4], [119.01, 25.41], [119.0, 25.41], [119.0, 25.4]]
        ],
    }
    territory.area_update(actor=world.users["admin"], area=world.grid, boundary=square)
    world.grid.refresh_from_db()
    count = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        report(world.resident, "路口井盖缺失很危险", lng=119.2, lat=25.405)
    assert exc.value.message_dict["location"] == [
        "上报位置不在“龙桥社区第一网格”范围内，请核对位置或所选网格"
    ]
    with pytest.raises(ValidationError) as exc:
        report(world.resident, "路口井盖缺失很危险", lng=119.005)
    assert "同时填写" in exc.value.message_dict["location"][0]
    with pytest.raises(ValidationError) as exc:
        report(world.resident, "路口井盖缺失很危险", lng=float("nan"), lat=200)
    assert set(exc.value.message_dict) == {"lng", "lat"}
    assert Event.objects.count() == count
    ev = report(world.resident, "路口井盖缺失很危险", lng=119.005, lat=25.405)
    assert (ev.lng, ev.lat) == (119.005, 25.405)


def test_anonymous_reporter_and_masked_phone(world, api):
    r = api.post(
        world.resident,
        "/api/v1/cases/",
        {
            "description": "楼下有人飞线充电，很不安全",
            "anonymous": True,
            "reporter_phone": "13912345678",
        },
    )
    assert r.status_code == 200, r.content
    own = r.json()
    assert own["reporter_name"] == "t-resident" and own["is_mine"] is True
    assert own["reporter_phone"] == "139****5678"
    assert own["history"][0]["actor_name"] == "匿名群众"
    staff = api.get(world.users["street"], f"/api/v1/cases/{own['id']}").json()
    assert staff["reporter_name"] == "匿名群众" and staff["reporter_phone"] == "139****5678"
    assert "t-resident" not in str(staff)
    ev = Event.objects.get(pk=own["id"])
    assert ev.reporter_phone == "13912345678"
    raw = Event.objects.filter(pk=ev.pk).values_list("reporter_phone", flat=True).query
    assert "13912345678" not in str(raw)
    # An anonymous report's audit row seals the reporter and the (masked) phone: reviewers read
    # neither; an audited reveal with a reason gives both back.
    create = AuditEntry.objects.get(action="event.create", object_id=str(ev.pk))
    assert "reporter_phone" not in create.after and create.actor_id is None
    assert "13912345678" not in str(create.after) and create.sealed_actor
    kept = audit.actor_reveal(actor=world.users["admin"], entry_id=create.pk, reason="核查")
    assert kept["after"]["reporter_phone"] == "139****5678"
    assert kept["actor_name"] == "t-resident"
    # Revealing the whole number: the street may (audited), the department may not.
    why = {"field": "reporter_phone", "purpose": "contact", "reason": "回访上报人"}
    r = api.post(world.users["street"], f"/api/v1/cases/{ev.pk}/reveal", why)
    assert r.json() == {"field": "reporter_phone", "value": "13912345678"}
    assert r["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="pii.reveal", object_id=str(ev.pk)).count() == 1
    r = api.post(world.resident, f"/api/v1/cases/{ev.pk}/reveal", why)
    assert r.status_code == 403
    r = api.post(
        world.users["street"], f"/api/v1/cases/{ev.pk}/reveal", {**why, "field": "description"}
    )
    assert r.status_code == 422
    r = api.post(
        world.resident,
        "/api/v1/cases/",
        {"description": "路口井盖缺失很危险", "reporter_phone": "电话abc"},
    )
    assert r.status_code == 422 and "reporter_phone" in r.json()["errors"]


def json_keys(d: dict) -> set[str]:
    return {k for k in d if "reporter" in k}


def test_the_taxonomy_seed_is_idempotent_and_restorable(world):
    from tests.cases.helpers import ensure_taxonomy

    assert EventClass.objects.count() == 16
    kinds = dict(EventClass.objects.values_list("code", "kind"))
    assert kinds["environment"] == "event" and kinds["environment_facility"] == "facility"
    EventClass.objects.all().delete()
    ensure_taxonomy()
    ensure_taxonomy()
    assert EventClass.objects.count() == 16
