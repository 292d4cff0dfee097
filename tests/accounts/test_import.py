"""Users from Excel (a street's grid workers): a bad mobile number names its row and column
and writes nothing in all-or-nothing mode; skip mode writes the good rows; each new account
gets a one-time password shown once; roles are granted at the named node, within reach."""

from __future__ import annotations

import io

import pytest
import xlsxwriter

from dangjian.accounts.models import Grant, User
from dangjian.core.models import AuditEntry

pytestmark = pytest.mark.django_db

HEAD = ["*姓名", "*手机号码", "*所属区域", "角色", "用户名", "截止日期"]


def book(rows, head=HEAD) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, head)
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            ws.write_string(i, j, v)
    wb.close()
    return out.getvalue()


def upload(api, user, content, mode="all_or_nothing"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = SimpleUploadedFile("users.xlsx", content)
    return api.client.post(
        "/api/v1/users/import", {"file": f, "mode": mode}, headers=api._headers(user)
    )


ROWS = [
    ["张一", "13900000001", "龙桥社区第一网格", "网格员", "", ""],
    ["张二", "1390000000", "龙桥社区第二网格", "网格员", "", ""],
    ["张三", "13900000003", "龙桥社区第二网格", "", "wg-zhang3", "2099-12-31"],
]


def test_bad_mobile_row_named_nothing_written(world, api):
    users, grants = User.objects.count(), Grant.objects.count()
    r = upload(api, world.users["street"], book(ROWS))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 0 and body["bad_rows"] == 1
    assert body["errors"] == [{"row": 3, "column": "手机号码", "message": "手机号码应为11位数字"}]
    assert "未导入任何数据" in body["detail"]
    assert (User.objects.count(), Grant.objects.count()) == (users, grants)


def test_skip_mode_writes_good_rows_with_one_time_passwords(world, api):
    r = upload(api, world.users["street"], book(ROWS), mode="skip_bad")
    body = r.json()
    assert body["created"] == 2 and body["bad_rows"] == 1
    by_row = {a["row"]: a for a in body["accounts"]}
    one = User.objects.get(username="13900000001")
    assert one.check_password(by_row[2]["one_time_password"]) and one.must_change_password
    assert one.area_id == world.grid.pk and one.phone == "13900000001"
    g = Grant.objects.get(user=one)
    assert g.role.code == "grid_worker" and g.area_id == world.grid.pk
    three = User.objects.get(username="wg-zhang3")
    assert str(Grant.objects.get(user=three).ends_on) == "2099-12-31"
    # reach works at once (the grant cache was bumped)
    assert three.reach("cases.create").area_paths == (world.grid2.path,)
    # never stored in clear
    for row in AuditEntry.objects.filter(action="user.create", object_id=str(one.pk)):
        assert by_row[2]["one_time_password"] not in str(row.after)


def test_rows_outside_scope_or_above_reach(world, api):
    rows = [
        ["李一", "13900000011", "镇海街道", "网格员", "", ""],  # another county's street
        ["李二", "13900000012", "龙桥社区第一网格", "县(区)委组织部工作人员", "", ""],
        ["李三", "13900000013", "龙桥社区第一网格", "网格员", "t-grid", ""],  # name taken
    ]
    r = upload(api, world.users["street"], book(rows))
    errs = {(e["row"], e["column"]): e["message"] for e in r.json()["errors"]}
    assert errs[(2, "所属区域")].startswith("未找到区域“镇海街道”")
    assert errs[(3, "角色")].startswith("不能授予超出本人权限的角色")
    assert errs[(4, "用户名")] == "用户名已被使用"
    assert not User.objects.filter(real_name__startswith="李").exists()


def test_missing_column_and_outsider(world, api):
    r = upload(api, world.users["street"], book([["王", "13900000021"]], head=["姓名", "手机"]))
    assert r.status_code == 422 and "所属区域" in r.json()["detail"]
    r = upload(api, world.users["grid"], book(ROWS))
    assert r.status_code == 403
    r = upload(api, world.users["street3"], book(ROWS[:1]))
    assert r.json()["created"] == 0
    assert not User.objects.filter(username="13900000001").exists()


def test_template(world, api):
    r = api.get(world.users["street"], "/api/v1/users/import/template")
    assert r.status_code == 200 and r.content[:2] == b"PK"
