"""Imports of the governance tree: the area tree, households and units, boundaries (issue 14).

Every bad row is named by its row and column; all-or-nothing writes nothing; skip-bad writes
the good rows; a row outside the actor's reach reads as absent; the head of household is
stored encrypted."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from dangjian.core import crypto
from dangjian.core.models import AuditEntry
from dangjian.territory.models import Area, AreaKind, Household
from tests.members.helpers import upload, xlsx

pytestmark = pytest.mark.django_db

AREA_HEADER = ["区划代码", "名称", "类型", "上级区划代码", "上级名称", "户数", "人口"]
HH_HEADER = ["网格", "单元", "门牌", "户主", "人数"]


def areas_file(*rows):
    return xlsx([AREA_HEADER, *[list(r) for r in rows]])


def post(api, user, path, content, mode="all_or_nothing", name="f.xlsx"):
    return upload(api, user, path, content, name=name, mode=mode)


def errors_of(r):
    return [(e["row"], e["column"], e["message"]) for e in r.json()["errors"]]


GOOD_TREE = [
    ("350302002000", "新街道", "街道", "350302", "", 10, 30),
    ("350302002001", "新社区", "社区", "350302002000", "", 5, 12),
    ("", "新社区第一网格", "网格", "350302002001", "", 3, 7),
    ("", "1号楼", "单元", "", "新社区/新社区第一网格", 2, 5),
]


# --- the area tree --------------------------------------------------------------------------


def test_area_tree_imports_under_an_existing_county(world, api):
    county = world.county
    before = Area.objects.get(pk=county.pk)
    r = post(api, world.users["county"], "/api/v1/areas/import", areas_file(*GOOD_TREE))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 4 and body["errors"] == [] and body["detail"] == "共4行，全部导入成功"
    street = Area.objects.get(code="350302002000")
    community = Area.objects.get(code="350302002001")
    grid = Area.objects.get(name="新社区第一网格")
    unit = Area.objects.get(parent=grid)
    assert street.parent_id == county.pk and street.kind == AreaKind.STREET
    assert community.parent_id == street.pk and grid.parent_id == community.pk
    assert unit.kind == AreaKind.UNIT and unit.households == 2 and unit.population == 5
    assert unit.path.startswith(grid.path) and unit.depth == grid.depth + 1
    assert grid.child_count == 1 and grid.next_child == 1
    after = Area.objects.get(pk=county.pk)
    assert after.child_count == before.child_count + 1
    assert after.next_child == before.next_child + 1
    # A node inserted later by hand takes the next step, as node_insert hands it out.
    from dangjian.territory import services

    later = services.area_create(
        actor=world.users["county"], parent=after, name="后建街道", kind=AreaKind.STREET
    )
    assert later.path > street.path and later.path[:-4] == street.path[:-4]
    assert AuditEntry.objects.filter(action="areas.import").count() == 1
    assert (
        AuditEntry.objects.filter(action="area.create", note__startswith="Excel导入").count() == 4
    )
    entry = AuditEntry.objects.get(action="areas.import")
    assert entry.after["created"] == 4 and entry.after["mode"] == "all_or_nothing"


def test_each_bad_row_is_named_by_row_and_column_and_nothing_is_written(world, api):
    count = Area.objects.count()
    audits = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    content = areas_file(
        ("350302002000", "新街道", "街道", "350302", "", "", ""),  # 2: good
        ("350302002000", "重复街道", "街道", "350302", "", "", ""),  # 3: duplicate in file
        ("350302001000", "又一个龙桥", "街道", "350302", "", "", ""),  # 4: taken in database
        ("350302150000", "错街道", "街道", "350302", "", "", ""),  # 5: street range 001–099
        ("350302002201", "新社区", "社区", "350302002000", "", "", ""),  # 6: community 001–199
        ("350303003000", "邻区街道", "街道", "350302", "", "", ""),  # 7: parent prefix
        ("", "", "网格", "350302002000", "", "", ""),  # 8: no name
        ("", "某处", "小区", "350302002000", "", "", ""),  # 9: unknown kind
        ("", "某网格", "网格", "350302", "", "", ""),  # 10: grid under county
        ("", "飘网格", "网格", "999999", "", "", ""),  # 11: no such parent
        ("", "孤网格", "网格", "", "", "", ""),  # 12: no parent at all
        ("", "负网格", "网格", "350302002000", "", -1, "许多"),  # 13: bad counts
        ("", "龙桥社区", "社区", "", "龙桥街道", "", ""),  # 14: sibling name taken
        ("", "某网格", "网格", "350302001000", "", "", ""),  # 15: the code of a bad row 4
    )
    r = post(api, world.users["county"], "/api/v1/areas/import", content)
    assert r.status_code == 200
    body = r.json()
    assert body["created"] == 0 and body["bad_rows"] == 13 and body["total"] == 14
    assert body["detail"].startswith("共14行，其中13行有误，按“全部成功才导入”未导入任何数据")
    errs = errors_of(r)
    assert (3, "区划代码", "与第2行的区划代码350302002000重复") in errs
    assert (4, "区划代码", "区划代码350302001000已被“龙桥街道”使用") in errs
    assert (5, "区划代码", "街道的区划代码第7至9位应在001至099之间") in errs
    assert (6, "区划代码", "社区（居委会）的区划代码末三位应在001至199之间") in errs
    assert (7, "区划代码", "区划代码应以上级县(区)的区划代码350302开头") in errs
    assert (8, "名称", "名称不能为空") in errs
    assert (
        9,
        "类型",
        "类型“小区”无效，可填：市、县(区)、乡镇、街道、村、社区、网格、单元",
    ) in errs
    assert (10, "类型", "县(区)下不能设立网格") in errs
    assert any(e[:2] == (11, "上级区划代码") and "未找到上级区域“999999”" in e[2] for e in errs)
    assert any(e[:2] == (12, "上级区划代码") for e in errs)
    assert (13, "户数", "户数应为不小于0的整数") in errs
    assert (13, "人口", "人口应为不小于0的整数，不能是“许多”") in errs
    assert (14, "名称", "上级“龙桥街道”下已有名为“龙桥社区”的区域") in errs
    assert (15, "上级区划代码", "上级区域（第4行）有误，本行不能导入") in errs
    assert Area.objects.count() == count
    # Only the import's own audit row: no area was written.
    assert not AuditEntry.objects.filter(action="area.create").exclude(pk__lte=audits).exists()
    assert AuditEntry.objects.filter(action="areas.import").count() == 1


def test_skip_bad_writes_the_good_rows_and_skips_children_of_bad_ones(world, api):
    content = areas_file(
        ("350302002000", "新街道", "街道", "350302", "", "", ""),
        ("350302150000", "错街道", "街道", "350302", "", "", ""),
        ("350302150001", "错街道的社区", "社区", "350302150000", "", "", ""),
        ("350302002001", "新社区", "社区", "350302002000", "", "", ""),
    )
    r = post(api, world.users["county"], "/api/v1/areas/import", content, mode="skip_bad")
    body = r.json()
    assert body["created"] == 2 and body["bad_rows"] == 2
    assert body["detail"] == "共4行，导入2行，跳过有误的2行"
    assert (4, "上级区划代码", "上级区域（第3行）有误，本行不能导入") in errors_of(r)
    assert set(Area.objects.filter(name__startswith="新").values_list("name", flat=True)) == {
        "新街道",
        "新社区",
    }
    assert not Area.objects.filter(name__startswith="错").exists()


def test_a_parent_out_of_reach_reads_as_absent(world, api):
    """A street's staff cannot import under another street; the row says not found."""
    count = Area.objects.count()
    content = areas_file(
        ("", "越界网格", "网格", "", "凤山社区", "", ""),  # street2's community
        ("350302001002", "越界社区", "社区", "350302001000", "", "", ""),  # ok: own street
    )
    r = post(api, world.users["street3"], "/api/v1/areas/import", content)
    errs = errors_of(r)
    assert (
        2,
        "上级名称",
        "未找到上级区域“凤山社区”，或不在您的管理范围内（上级须写在本行之前，或已在系统中）",
    ) in errs
    assert any(e[0] == 3 and "未找到上级区域“350302001000”" in e[2] for e in errs)
    assert Area.objects.count() == count
    # The same file by the first street's staff: the second row is theirs.
    r = post(api, world.users["street"], "/api/v1/areas/import", content, mode="skip_bad")
    assert r.json()["created"] == 1
    assert Area.objects.filter(name="越界社区", parent=world.street).exists()


def test_area_import_needs_manage_somewhere(world, api):
    r = post(api, world.users["grid"], "/api/v1/areas/import", areas_file(*GOOD_TREE))
    assert r.status_code == 403
    assert r.json()["detail"] == "您没有导入区域的权限"
    r = post(api, None, "/api/v1/areas/import", areas_file(*GOOD_TREE))
    assert r.status_code == 401


def test_area_import_file_errors(world, api):
    u = world.users["county"]
    r = post(api, u, "/api/v1/areas/import", b"not a workbook")
    assert r.status_code == 422
    r = post(api, u, "/api/v1/areas/import", xlsx([["名称", "户数"], ["某", 1]]))
    assert r.status_code == 422
    assert "缺少必填列：类型" in r.json()["detail"]
    r = post(api, u, "/api/v1/areas/import", areas_file(*GOOD_TREE), mode="half")
    assert r.status_code == 422
    r = api.client.post("/api/v1/areas/import", {}, headers=api._headers(u))
    assert r.status_code == 422 and r.json()["detail"] == "请上传文件"


def test_area_template_downloads_and_its_examples_read_back(world, api):
    r = api.get(world.users["county"], "/api/v1/areas/import/template")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]
    r2 = post(api, world.users["county"], "/api/v1/areas/import", r.content)
    body = r2.json()
    # The template's examples: 城厢区 exists already (duplicate code, root parent out of reach).
    assert body["created"] == 0 and body["errors"]


def test_row_numbers_follow_a_header_below_a_title(world, api):
    content = xlsx([["区域导入"], [], AREA_HEADER, ["", "新网格", "网格", "", "龙桥社区", "", ""]])
    r = post(api, world.users["county"], "/api/v1/areas/import", content)
    assert r.json()["created"] == 1
    content = xlsx([["区域导入"], AREA_HEADER, ["", "", "网格", "", "龙桥社区", "", ""]])
    r = post(api, world.users["county"], "/api/v1/areas/import", content)
    assert errors_of(r) == [(3, "名称", "名称不能为空")]


# --- households and units -------------------------------------------------------------------


def hh_file(*rows):
    return xlsx([HH_HEADER, *[list(r) for r in rows]])


def test_households_import_creates_units_and_encrypts_heads(world, api):
    grid = world.grid
    before_grid = Area.objects.get(pk=grid.pk)
    content = hh_file(
        ("龙桥社区第一网格", "1号楼单元", "101室", "张三丰", 3),
        ("龙桥社区/龙桥社区第一网格", "2号楼", "201室", "李四", 2),
        ("龙桥社区第一网格", "2号楼", "202室", "", ""),
    )
    r = post(api, world.users["street"], "/api/v1/areas/households/import", content)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 3 and body["errors"] == []
    assert "张三丰" not in r.content.decode()
    new_unit = Area.objects.get(parent=grid, name="2号楼")
    assert new_unit.kind == AreaKind.UNIT and new_unit.households == 2 and new_unit.population == 3
    h = Household.objects.get(door_index=crypto.blind_index("address", "101室"))
    assert h.head_name == "张三丰" and h.unit_id == world.unit.pk and h.area_path == world.unit.path
    assert Household.objects.get(door_index=crypto.blind_index("address", "202室")).members == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_name FROM territory_household WHERE id = %s", [h.pk])
        raw = cursor.fetchone()[0]
    assert raw != "张三丰" and "张" not in raw and crypto.is_token(raw)
    after_grid = Area.objects.get(pk=grid.pk)
    assert after_grid.households == before_grid.households + 3
    assert after_grid.population == before_grid.population + 6
    assert after_grid.child_count == before_grid.child_count + 1
    entry = AuditEntry.objects.get(action="households.import")
    assert entry.after["units_created"] == 1
    assert "张三丰" not in json.dumps(
        list(AuditEntry.objects.values_list("after", "note", "object_repr")), ensure_ascii=False
    )


def test_bad_household_rows_are_named_and_nothing_written(world, api):
    Household.objects.create(
        unit=world.unit,
        area_path=world.unit.path,
        door="已有室",
        door_index=crypto.blind_index("address", "已有室"),
    )
    count, areas = Household.objects.count(), Area.objects.count()
    content = hh_file(
        ("龙桥社区第一网格", "3号楼", "101室", "王五", 2),  # 2: good
        ("龙桥社区第一网格", "3号楼", "101室", "赵六", 2),  # 3: duplicate door in file
        ("龙桥社区第一网格", "1号楼单元", "已有室", "", 1),  # 4: door stored already
        ("不存在网格", "1号楼", "1室", "", 1),  # 5: no such grid
        ("凤山社区", "1号楼", "1室", "", 1),  # 6: a community, but out of reach
        ("龙桥社区第一网格", "", "", "", 0),  # 7: no unit, no door, zero people
        ("龙桥社区第一网格", "3号楼", "102室", "", 100),  # 8: too many people
    )
    r = post(api, world.users["street"], "/api/v1/areas/households/import", content)
    errs = errors_of(r)
    assert r.json()["bad_rows"] == 6
    assert (3, "门牌", "与第2行的门牌重复（同一单元）") in errs
    assert (4, "门牌", "单元“1号楼单元”已有门牌为“已有室”的住户") in errs
    assert (5, "网格", "未找到网格“不存在网格”，或不在您的管理范围内") in errs
    assert (6, "网格", "未找到网格“凤山社区”，或不在您的管理范围内") in errs
    assert (7, "单元", "请填写单元") in errs and (7, "门牌", "请填写门牌") in errs
    assert (7, "人数", "人数应在1至99之间") in errs
    assert (8, "人数", "人数应在1至99之间") in errs
    assert Household.objects.count() == count and Area.objects.count() == areas
    r = post(
        api, world.users["street"], "/api/v1/areas/households/import", content, mode="skip_bad"
    )
    assert r.json()["created"] == 1
    assert Household.objects.count() == count + 1
    assert Area.objects.filter(name="3号楼", parent=world.grid).count() == 1


WHY = {"purpose": "service", "reason": "核对户籍信息"}


def test_households_list_masks_and_reveal_is_audited(world, api):
    h = Household.objects.create(
        unit=world.unit, area_path=world.unit.path, door="9室", head_name="欧阳修"
    )
    r = api.get(world.users["grid"], f"/api/v1/areas/{world.grid.pk}/households/")
    assert r.status_code == 200
    assert r.json()["items"] == [
        {
            "id": h.pk,
            "unit_id": world.unit.pk,
            "door": "9室",
            "door_masked": False,
            "head_name": "欧**",
            "members": 1,
        }
    ]
    r = api.post(world.users["grid"], f"/api/v1/areas/households/{h.pk}/reveal", WHY)
    assert r.status_code == 403
    r = api.post(world.users["community"], f"/api/v1/areas/households/{h.pk}/reveal", WHY)
    assert r.status_code == 403
    r = api.post(world.users["street"], f"/api/v1/areas/households/{h.pk}/reveal", WHY)
    assert r.status_code == 200 and r.json()["value"] == "欧阳修"
    assert AuditEntry.objects.filter(action="pii.reveal", object_id=str(h.pk)).count() == 1
    r = api.post(world.users["street3"], f"/api/v1/areas/households/{h.pk}/reveal", WHY)
    assert r.status_code == 404
    r = api.get(world.users["street3"], f"/api/v1/areas/{world.grid.pk}/households/")
    assert r.status_code == 404


# --- boundaries -----------------------------------------------------------------------------


def square(x0, y0, size):
    return {
        "type": "Polygon",
        "coordinates": [
            [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
        ],
    }


def collection(*features):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": props, "geometry": geom}
                for props, geom in features
            ],
        },
        ensure_ascii=False,
    ).encode()


def test_boundaries_from_geojson_nest_inside_the_community(world, api):
    content = collection(
        ({"name": "龙桥社区"}, square(119.0, 25.4, 0.1)),
        ({"name": "龙桥社区/龙桥社区第一网格"}, square(119.01, 25.41, 0.02)),
    )
    r = post(
        api, world.users["street"], "/api/v1/areas/boundaries/import", content, name="b.geojson"
    )
    assert r.status_code == 200, r.content
    assert r.json()["updated"] == 2 and r.json()["errors"] == []
    grid = Area.objects.get(pk=world.grid.pk)
    assert grid.boundary["type"] == "Polygon"
    assert (grid.min_lng, grid.max_lat) == (119.01, 25.43)


def test_bad_boundaries_are_refused_with_the_reason(world, api):
    community = Area.objects.get(pk=world.community.pk)
    community.boundary = square(119.0, 25.4, 0.1)
    community.save()
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[119.0, 25.4], [119.01, 25.4], [119.01, 25.41], [119.0, 25.41]]],
    }
    bow = {
        "type": "Polygon",
        "coordinates": [
            [[119.0, 25.4], [119.01, 25.41], [119.01, 25.4], [119.0, 25.41], [119.0, 25.4]]
        ],
    }
    content = collection(
        ({"name": "龙桥社区第一网格"}, square(119.05, 25.45, 0.1)),  # 1: leaves the community
        ({"name": "龙桥社区第二网格"}, open_ring),  # 2: not closed
        ({"name": "1号楼单元"}, bow),  # 3: crosses itself
        ({"name": "凤山社区"}, square(119.0, 25.4, 0.01)),  # 4: out of reach
        ({"code": "350302001000"}, square(25.4, 119.0, 0.01)),  # 5: lat/lng swapped
        ({"name": "园头村"}, {"type": "Point", "coordinates": [119.0, 25.4]}),  # 6
    )
    r = post(api, world.users["street"], "/api/v1/areas/boundaries/import", content, name="b.json")
    errs = errors_of(r)
    assert (
        1,
        "geometry",
        "边界超出上级“龙桥社区”的边界：第2个点（119.15, 25.45）在上级边界之外",
    ) in errs
    assert (2, "geometry", "外环至少需要4个点（首尾相同），现有4个") not in errs
    assert (2, "geometry", "外环未闭合：最后一个点应与第一个点相同") in errs
    assert (3, "geometry", "外环自相交：第1条边与第3条边交叉") in errs
    assert (4, "properties.name", "未找到区域“凤山社区”，或不在您的管理范围内") in errs
    assert any(e[:2] == (5, "geometry") and "不在中国境内的经纬度范围" in e[2] for e in errs)
    assert (6, "geometry", "边界类型应为Polygon或MultiPolygon，不能是“Point”") in errs
    assert not Area.objects.filter(pk=world.grid.pk, boundary__isnull=False).exists()


def test_boundaries_from_a_workbook(world, api):
    content = xlsx(
        [
            ["区划代码", "区域", "边界"],
            ["350302001000", "", json.dumps(square(119.0, 25.4, 0.2))],
            ["", "龙桥社区第一网格", "{not json"],
        ]
    )
    r = post(
        api, world.users["street"], "/api/v1/areas/boundaries/import", content, mode="skip_bad"
    )
    assert r.json()["updated"] == 1
    assert errors_of(r) == [(3, "边界", "边界不是有效的GeoJSON（JSON格式错误）")]
    assert Area.objects.get(pk=world.street.pk).boundary is not None


def test_area_update_checks_the_boundary(world):
    from django.core.exceptions import ValidationError

    from dangjian.territory import services

    community = Area.objects.get(pk=world.community.pk)
    services.area_update(
        actor=world.users["street"], area=community, boundary=square(119.0, 25.4, 0.1)
    )
    with pytest.raises(ValidationError) as exc:
        services.area_update(
            actor=world.users["street"], area=world.grid, boundary=square(120.0, 25.4, 0.1)
        )
    assert "边界超出上级“龙桥社区”的边界" in exc.value.message_dict["boundary"][0]
    with pytest.raises(ValidationError):
        services.area_create(
            actor=world.users["street"],
            parent=community,
            name="外网格",
            kind=AreaKind.GRID,
            boundary=square(121.0, 25.4, 0.1),
        )


# --- console --------------------------------------------------------------------------------


def test_console_upload_pages(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.users["street"])
    r = client.get("/areas/")
    assert "/areas/import/" in r.content.decode()
    for path in ("/areas/import/", "/areas/households/import/", "/areas/boundaries/import/"):
        r = client.get(path)
        assert r.status_code == 200, path
        r = client.get(path + "template/")
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd")
    content = areas_file(
        ("", "控制台网格", "网格", "", "龙桥社区", "", ""), ("", "", "网格", "", "龙桥社区", "", "")
    )
    r = client.post(
        "/areas/import/",
        {"file": SimpleUploadedFile("a.xlsx", content), "mode": "skip_bad"},
    )
    page = r.content.decode()
    assert r.status_code == 200
    assert "共2行，导入1行，跳过有误的1行" in page and "名称不能为空" in page
    assert Area.objects.filter(name="控制台网格").exists()
    r = client.post("/areas/import/", {"mode": "skip_bad"})
    assert "请上传文件" in r.content.decode()
    client.force_login(world.users["grid"])
    assert client.get("/areas/import/").status_code == 403


def test_households_list_reads_a_page_in_a_few_queries(world, api, django_assert_max_num_queries):
    Household.objects.bulk_create(
        [
            Household(unit=world.unit, area_path=world.unit.path, door=f"{i}室", head_name="王五")
            for i in range(30)
        ]
    )
    user = world.users["street"]
    api.get(user, f"/api/v1/areas/{world.street.pk}/households/")  # the token, the grants
    with django_assert_max_num_queries(8):
        r = api.get(user, f"/api/v1/areas/{world.street.pk}/households/?page_size=20")
    assert r.status_code == 200 and r.json()["count"] == 30 and len(r.json()["items"]) == 20
    assert {i["head_name"] for i in r.json()["items"]} == {"王*"}


def test_the_migration_encrypts_clear_heads_once(world):
    """territory.0002 encrypts the names stored in clear before it; a second run keeps them."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "dangjian.territory.migrations.0002_household_door_head_name_encrypted"
    )
    h = Household.objects.create(unit=world.unit, area_path=world.unit.path, door="旧室")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE territory_household SET head_name = %s WHERE id = %s", ["旧户主", h.pk]
        )

    class Editor:
        quote_name = staticmethod(connection.ops.quote_name)

    Editor.connection = connection
    migration.encrypt_heads(apps, Editor())
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_name FROM territory_household WHERE id = %s", [h.pk])
        first = cursor.fetchone()[0]
    assert crypto.is_token(first) and Household.objects.get(pk=h.pk).head_name == "旧户主"
    migration.encrypt_heads(apps, Editor())
    with connection.cursor() as cursor:
        cursor.execute("SELECT head_name FROM territory_household WHERE id = %s", [h.pk])
        assert cursor.fetchone()[0] == first
