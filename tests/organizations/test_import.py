"""Import of party organizations from Excel: every row through the same checks as one typed
in, a report naming each bad row and column, all or nothing or the bad rows skipped."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from dangjian.core.models import AuditEntry
from dangjian.organizations.models import JointUnit, PartyOrg
from tests import world as world_mod
from tests.members.helpers import xlsx

pytestmark = pytest.mark.django_db

HEADER = [
    "*组织名称",
    "上级党组织",
    "*组织类别",
    "组建形式",
    "*所属领域",
    "*所在区域",
    "正式党员人数",
    "覆盖单位",
    "成立日期",
]


def row(name, parent, kind="党支部", form="", domain="社区", area="龙桥社区第二网格", **kw):
    return [
        name,
        parent,
        kind,
        form,
        domain,
        area,
        kw.get("full", 3 if kind == "党支部" and form != "联合" else None),
        kw.get("units"),
        kw.get("established"),
    ]


def upload(api, user, content, **fields):
    data = {"file": SimpleUploadedFile("orgs.xlsx", content), **fields}
    return api.client.post("/api/v1/orgs/import", data, headers=api._headers(user))


def test_a_good_file_creates_parents_before_children(world, api):
    content = xlsx(
        [
            HEADER,
            row("龙桥社区第二网格党总支", "中共龙桥社区委员会", kind="党总支"),
            row("第二网格一支部", "龙桥社区第二网格党总支"),
            row(
                "第二网格联合党支部",
                "龙桥社区第二网格党总支",
                form="联合党支部",
                domain="非公有制企业",
                units="甲公司:2；乙公司:1",
            ),
        ]
    )
    r = upload(api, world.users["street"], content)
    assert r.status_code == 200, r.content
    data = r.json()
    assert (data["created"], data["total"], data["errors"]) == (3, 3, []), data
    general = PartyOrg.objects.get(name="龙桥社区第二网格党总支")
    assert PartyOrg.objects.get(name="第二网格一支部").parent_id == general.pk
    assert list(JointUnit.objects.values_list("name", "full_members")) == [
        ("甲公司", 2),
        ("乙公司", 1),
    ]
    assert AuditEntry.objects.filter(action="orgs.import").count() == 1


def bad_file():
    return xlsx(
        [
            HEADER,
            row("好的党支部", "中共龙桥社区委员会"),
            row("人数不够党支部", "中共龙桥社区委员会", full=2),
            row(
                "联合过多党支部",
                "中共龙桥社区委员会",
                form="联合",
                units="；".join(f"单位{i}:1" for i in range(6)),
            ),
            row("无上级党支部", "不存在的党委"),
            row("错类别", "中共龙桥社区委员会", kind="支部"),
        ]
    )


def test_all_or_nothing_writes_nothing_and_names_each_row(world, api):
    api.get(world.users["street"], "/api/v1/orgs/")
    before = PartyOrg.objects.count(), JointUnit.objects.count()
    r = upload(api, world.users["street"], bad_file())
    assert r.status_code == 200
    data = r.json()
    assert data["created"] == 0 and data["bad_rows"] == 4
    assert "未导入任何数据" in data["detail"]
    by_row = {(e["row"], e["column"]): e["message"] for e in data["errors"]}
    assert "不足3名" in by_row[(3, "正式党员人数")]
    assert "现填6个" in by_row[(4, "覆盖单位")]
    assert by_row[(5, "上级党组织")] == "未找到上级党组织“不存在的党委”，或不在您的管理范围内"
    assert by_row[(6, "组织类别")].startswith("组织类别“支部”无效")
    assert (PartyOrg.objects.count(), JointUnit.objects.count()) == before


def test_skip_bad_keeps_the_good_rows(world, api):
    r = upload(api, world.users["street"], bad_file(), mode="skip_bad")
    data = r.json()
    assert (data["created"], data["bad_rows"]) == (1, 4)
    assert PartyOrg.objects.filter(name="好的党支部").exists()
    assert not PartyOrg.objects.filter(name="人数不够党支部").exists()


def test_an_outsider_names_orgs_outside_its_reach_and_writes_nothing(world, api):
    outsider = world_mod.user("t-out-imp", role="township_staff", area_node=world.street3)
    before = PartyOrg.objects.count()
    content = xlsx([HEADER, row("越界党支部", "中共龙桥社区委员会")])
    r = upload(api, outsider, content, mode="skip_bad")
    assert r.status_code == 200
    assert r.json()["created"] == 0
    messages = " ".join(e["message"] for e in r.json()["errors"])
    assert "不在您的管理范围内" in messages
    assert PartyOrg.objects.count() == before


def test_a_user_without_manage_gets_403(world, api):
    secretary = world_mod.user(
        "t-sec-imp", role="secretary", org_node=world.orgs["community_committee"]
    )
    content = xlsx([HEADER, row("党支部", "中共龙桥社区委员会")])
    assert upload(api, secretary, content).status_code == 403


def test_bad_files_are_422(world, api):
    r = upload(api, world.users["street"], b"not a workbook")
    assert r.status_code == 422
    r = upload(api, world.users["street"], xlsx([["姓名", "民族"], ["x", "y"]]))
    assert r.status_code == 422
    assert "未找到表头行" in r.json()["errors"]["file"][0]
    r = upload(api, world.users["street"], xlsx([HEADER, row("x", "y")]), mode="all")
    assert r.status_code == 422


def test_the_template_reads_back_as_a_header(world, api):
    r = api.get(world.users["street"], "/api/v1/orgs/import/template")
    assert r.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "*组织名称"
