"""Stations and riders from Excel (issue 18): each bad row named by its row and column, a grid
or station outside the importer's reach a row error, all-or-nothing writes nothing, skip-bad
writes the good rows; a rider's mobile number stored encrypted."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.accounts.models import User, UserKind
from dangjian.core import crypto
from dangjian.core.models import AuditEntry
from dangjian.timebank import riders
from dangjian.timebank.models import Rider, Station
from tests.members.helpers import upload, xlsx
from tests.world import user as make_user

pytestmark = pytest.mark.django_db

BASE = "/api/v1/timebank"
STATION_HEADER = ["驿站名称", "类型", "所在网格", "位置", "服务内容", "开放时间"]
RIDER_HEADER = ["姓名", "手机号码", "类型", "平台", "所属企业", "报到驿站"]


def post(api, user, kind, rows, mode="all_or_nothing", header=None):
    header = header or (STATION_HEADER if kind == "stations" else RIDER_HEADER)
    content = xlsx([header, *[list(r) for r in rows]])
    return upload(api, user, f"{BASE}/{kind}/import", content, name="f.xlsx", mode=mode)


def errors_of(r):
    return [(e["row"], e["column"], e["message"]) for e in r.json()["errors"]]


def station(world, key="grid", name="龙桥红色驿站", actor="community"):
    return riders.station_create(
        actor=world.users[actor], area=world.nodes[key], name=name, kind="red"
    )


# --- stations -----------------------------------------------------------------------------


def test_stations_are_imported_with_their_grid_kind_services_and_hours(world, api):
    r = post(
        api,
        world.users["community"],
        "stations",
        [
            (
                "龙桥爱心驿站",
                "爱心驿站",
                "龙桥社区第一网格",
                "文化广场东侧",
                "饮水、充电",
                "8:00-20:00",
            ),
            ("龙桥红色驿站", "红色", "龙桥社区/龙桥社区第二网格", "", "", ""),
        ],
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["total"], body["bad_rows"], body["errors"]) == (2, 2, 0, [])
    assert body["detail"] == "共2行，全部导入成功"
    rows = {s.name: s for s in Station.objects.filter(pk__in=body["created_ids"])}
    love, red = rows["龙桥爱心驿站"], rows["龙桥红色驿站"]
    assert (love.kind, love.area, love.services, love.opening_hours) == (
        "love",
        world.nodes["grid"],
        "饮水、充电",
        "8:00-20:00",
    )
    assert (red.kind, red.area, red.area_path) == (
        "red",
        world.nodes["grid2"],
        world.nodes["grid2"].path,
    )
    entry = AuditEntry.objects.get(action="timebank.stations.import")
    assert entry.after["created"] == 2 and entry.actor_id == world.users["community"].pk
    assert AuditEntry.objects.filter(action="timebank.station.create").count() == 2


def test_every_bad_station_row_is_named_and_all_or_nothing_writes_nothing(world, api):
    station(world, name="已有驿站")
    before = Station.objects.count()
    rows = [
        ("", "爱心驿站", "龙桥社区第一网格", "", "", ""),  # 2: no name
        ("甲驿站", "蓝色驿站", "龙桥社区第一网格", "", "", ""),  # 3: bad kind
        ("乙驿站", "爱心驿站", "凤山社区", "", "", ""),  # 4: outside reach
        ("丙驿站", "爱心驿站", "不存在的网格", "", "", ""),  # 5: unknown grid
        ("丁驿站", "爱心驿站", "龙桥社区第一网格", "", "", ""),  # 6: good
        ("丁驿站", "爱心驿站", "龙桥社区第一网格", "", "", ""),  # 7: repeats row 6
        ("已有驿站", "红色驿站", "龙桥社区第一网格", "", "", ""),  # 8: exists already
        ("戊驿站", "", "", "", "", "x" * 101),  # 9: no kind, no grid, hours too long
    ]
    r = post(api, world.users["community"], "stations", rows)
    assert r.status_code == 200
    body = r.json()
    assert errors_of(r) == [
        (2, "驿站名称", "请填写驿站名称"),
        (3, "类型", "类型“蓝色驿站”无效，可填：爱心驿站、红色驿站、网格驿站"),
        (4, "所在网格", "未找到网格“凤山社区”，或不在您的管理范围内"),
        (5, "所在网格", "未找到网格“不存在的网格”，或不在您的管理范围内"),
        (7, "驿站名称", "与第6行的驿站重复"),
        (8, "驿站名称", "龙桥社区第一网格已有同名驿站“已有驿站”"),
        (9, "类型", "请填写类型"),
        (9, "所在网格", "请填写网格"),
        (9, "开放时间", "开放时间不能超过100个字"),
    ]
    assert (body["created"], body["total"], body["bad_rows"]) == (0, 8, 7)
    assert body["detail"].startswith("共8行，其中7行有误，按“全部成功才导入”未导入任何数据")
    assert Station.objects.count() == before

    r = post(api, world.users["community"], "stations", rows, mode="skip_bad")
    body = r.json()
    assert (body["created"], body["bad_rows"]) == (1, 7)
    assert body["detail"] == "共8行，导入1行，跳过有误的7行"
    assert Station.objects.get(pk=body["created_ids"][0]).name == "丁驿站"


def test_a_station_file_without_its_columns_or_an_importer_without_reach_is_refused(world, api):
    r = post(
        api, world.users["community"], "stations", [("甲", "爱心驿站")], header=["驿站名称", "类型"]
    )
    assert r.status_code == 422
    assert r.json()["detail"] == "缺少必填列：所在网格"
    r = post(api, world.users["community"], "stations", [("甲",)], header=["备注"])
    assert r.status_code == 422
    assert r.json()["detail"].startswith("未找到表头行：表头应包含“驿站名称”“类型”“所在网格”")
    r = post(api, world.users["nobody"], "stations", [("甲", "爱心驿站", "龙桥社区第一网格")])
    assert r.status_code == 403
    r = post(api, world.users["community"], "stations", [], mode="later")
    assert r.status_code == 422 and "导入方式" in r.json()["detail"]


# --- riders -------------------------------------------------------------------------------


def test_riders_are_registered_new_accounts_opened_and_the_mobile_stored_encrypted(world, api):
    s = station(world)
    resident = make_user(
        "t-known", role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"]
    )
    resident.phone, resident.phone_index = "13900000002", crypto.blind_index("phone", "13900000002")
    resident.save()
    r = post(
        api,
        world.users["community"],
        "riders",
        [
            ("王骑手", "13900000001", "外卖骑手", "美团", "莆田某配送公司", "龙桥红色驿站"),
            ("李快递", "139 0000 0002", "快递员", "顺丰", "", "龙桥社区第一网格/龙桥红色驿站"),
        ],
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["errors"]) == (2, [])
    assert r["Cache-Control"] == "no-store"
    rows = {x.name: x for x in Rider.objects.filter(pk__in=body["created_ids"])}
    new, linked = rows["王骑手"], rows["李快递"]
    assert (new.kind, new.platform, new.company, new.station, new.area_path) == (
        "rider",
        "美团",
        "莆田某配送公司",
        s,
        s.area_path,
    )
    assert linked.user == resident and linked.kind == "courier"
    [account] = body["accounts"]
    assert (account["row"], account["username"], account["real_name"]) == (
        2,
        "13900000001",
        "王骑手",
    )
    user = User.objects.get(pk=account["id"])
    assert user == new.user and user.kind == UserKind.RESIDENT and user.must_change_password
    assert user.check_password(account["one_time_password"])
    assert user.phone == "13900000001"
    assert user.phone_index == crypto.blind_index("phone", "13900000001")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT phone FROM {User._meta.db_table} WHERE id = %s", [user.pk])
        stored = cursor.fetchone()[0]
    assert "13900000001" not in stored
    assert AuditEntry.objects.filter(action="timebank.riders.import").count() == 1


def test_every_bad_rider_row_is_named_and_all_or_nothing_writes_nothing(world, api):
    station(world)
    station(world, key="community2", name="凤山驿站", actor="admin")  # outside the reach
    taken = make_user("t-taken", role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"])
    taken.phone, taken.phone_index = "13900000009", crypto.blind_index("phone", "13900000009")
    taken.save()
    Rider.objects.create(
        user=taken,
        name="已登记",
        kind="rider",
        platform="美团",
        station=Station.objects.get(name="龙桥红色驿站"),
        area_path=world.nodes["grid"].path,
    )
    staff = world.users["street"]
    staff.phone, staff.phone_index = "13900000008", crypto.blind_index("phone", "13900000008")
    staff.save()
    users, riders_before = User.objects.count(), Rider.objects.count()
    rows = [
        ("甲", "1390000", "外卖骑手", "美团", "", "龙桥红色驿站"),  # 2: bad mobile
        ("乙", "13900000003", "骑车的", "美团", "", "龙桥红色驿站"),  # 3: bad kind
        ("丙", "13900000004", "外卖骑手", "", "", "龙桥红色驿站"),  # 4: no platform
        ("丁", "13900000005", "外卖骑手", "美团", "", "凤山驿站"),  # 5: station outside reach
        ("戊", "13900000006", "外卖骑手", "美团", "", "龙桥红色驿站"),  # 6: good
        ("己", "13900000006", "外卖骑手", "美团", "", "龙桥红色驿站"),  # 7: repeats row 6
        ("庚", "13900000009", "外卖骑手", "美团", "", "龙桥红色驿站"),  # 8: registered already
        ("辛", "13900000008", "网约车司机", "滴滴", "", "龙桥红色驿站"),  # 9: a staff account
        ("", "", "", "美团", "", ""),  # 10: nothing of the required
    ]
    r = post(api, world.users["community"], "riders", rows)
    assert r.status_code == 200
    errors = errors_of(r)
    assert [e[:2] for e in errors] == [
        (2, "手机号码"),
        (3, "类型"),
        (4, "平台"),
        (5, "报到驿站"),
        (7, "手机号码"),
        (8, "手机号码"),
        (9, "手机号码"),
        (10, "姓名"),
        (10, "手机号码"),
        (10, "类型"),
        (10, "报到驿站"),
    ]
    messages = {(e[0], e[1]): e[2] for e in errors}
    assert messages[(3, "类型")] == "类型“骑车的”无效，可填：快递员、外卖骑手、网约车司机"
    assert messages[(4, "平台")] == "请填写平台"
    assert messages[(5, "报到驿站")] == "未找到驿站“凤山驿站”，或不在您的管理范围内"
    assert messages[(7, "手机号码")] == "与第6行的手机号码重复"
    assert messages[(8, "手机号码")] == "该手机号码已在驿站登记"
    assert messages[(9, "手机号码")] == "该手机号码是工作人员账号，不能登记为新就业群体"
    assert messages[(10, "报到驿站")] == "请填写驿站"
    body = r.json()
    assert (body["created"], body["bad_rows"], body["accounts"]) == (0, 8, [])
    assert (User.objects.count(), Rider.objects.count()) == (users, riders_before)

    r = post(api, world.users["community"], "riders", rows, mode="skip_bad")
    body = r.json()
    assert (body["created"], body["bad_rows"]) == (1, 8)
    assert [a["row"] for a in body["accounts"]] == [6]
    assert Rider.objects.get(pk=body["created_ids"][0]).name == "戊"


def test_templates_download_with_their_columns(world, api):
    import io

    from python_calamine import CalamineWorkbook

    for kind, first in (("stations", "*驿站名称"), ("riders", "*姓名")):
        r = api.get(world.users["community"], f"{BASE}/{kind}/import/template")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
        book = CalamineWorkbook.from_filelike(io.BytesIO(r.content))
        assert book.get_sheet_by_index(0).to_python()[0][0] == first
        assert book.get_sheet_by_index(1).to_python()[0] == ["列名", "必填", "说明", "可填写的值"]


def test_console_import_pages(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.users["community"])
    for kind in ("stations", "riders"):
        assert client.get(f"/timebank/{kind}/import/").status_code == 200
        r = client.get(f"/timebank/{kind}/import/template/")
        assert r.status_code == 200 and r.content[:2] == b"PK"
    content = xlsx([STATION_HEADER, ["网页驿站", "网格驿站", "龙桥社区第二网格", "", "", ""]])
    r = client.post(
        "/timebank/stations/import/",
        {"file": SimpleUploadedFile("s.xlsx", content), "mode": "all_or_nothing"},
    )
    assert r.status_code == 200 and "共1行，全部导入成功" in r.content.decode()
    assert Station.objects.filter(name="网页驿站", area=world.nodes["grid2"]).exists()
    content = xlsx(
        [RIDER_HEADER, ["网页骑手", "13900000011", "外卖骑手", "饿了么", "", "网页驿站"]]
    )
    r = client.post(
        "/timebank/riders/import/",
        {"file": SimpleUploadedFile("r.xlsx", content), "mode": "all_or_nothing"},
    )
    page = r.content.decode()
    assert r.status_code == 200 and "新开账号" in page and "13900000011" in page
    assert "no-store" in r["Cache-Control"]
    client.force_login(world.users["nobody"])
    assert client.get("/timebank/stations/import/").status_code == 403
