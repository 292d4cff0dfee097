"""The bulk path of the member import: the same files and audit rows as one-by-one creation,
residences matched by "社区/网格/单元", look-ups in chunks."""

import datetime as dt

import pytest

from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.territory.models import AreaKind
from tests import world as world_mod
from tests.members.helpers import id_no, member, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "民族", "入党日期", "转正日期", "党员状态", "党员类别", "所在党组织"]
HEADER_UNIT = [*HEADER, "居住网格单元"]
BRANCH = "龙桥社区第一网格党支部"


def row(seq: int, **kw) -> list:
    values = {
        "name": f"导入{seq}",
        "id": id_no("19800101", 300 + seq),
        "unit": None,
        "categories": "在职党员、困难党员",
    }
    values.update(kw)
    out = [
        values["name"],
        values["id"],
        "汉族",
        dt.date(2005, 7, 1),
        dt.date(2006, 7, 1),
        "正式党员",
        values["categories"],
        BRANCH,
    ]
    return [*out, values["unit"]] if "unit" in kw else out


def test_bulk_rows_match_one_by_one_creation(world):
    street = world.users["street"]
    report = services.members_import(
        actor=street, content=xlsx([HEADER, row(1), row(2, categories="")])
    )
    assert report["created"] == 2 and not report["errors"]
    for pk in report["created_ids"]:
        m = Member.objects.get(pk=pk)
        cats = m.category_codes()
        entry = AuditEntry.objects.get(action="member.create", object_id=str(pk))
        # What member_create would have written for this file, field for field.
        assert entry.after == services._snapshot(m, cats)
        assert services._import_snapshot(m, cats) == services._snapshot(m, cats)
        assert entry.actor_id == street.pk and entry.org_path == m.org_path
        assert entry.note.startswith("Excel导入第")
        assert m.name_pinyin == "DR" and m.id_number_index
    # And the same for a file made by the service one by one.
    m = member(street, world.orgs["grid_branch"], phone="13800138000", unit=world.unit)
    assert services._import_snapshot(m, ["in_service"]) == services._snapshot(m, ["in_service"])


def test_residence_paths_and_homonyms(world):
    # A second "1号楼单元" in the other grid of the same community.
    world_mod.area(world.grid2, "1号楼单元", AreaKind.UNIT)
    rows = [
        HEADER_UNIT,
        row(1, unit="1号楼单元"),
        row(2, unit="龙桥社区第二网格/1号楼单元"),
        row(3, unit="龙桥社区/龙桥社区第一网格/1号楼单元"),
        row(4, unit="龙桥街道/1号楼单元"),
        row(5, unit="凤山社区/1号楼单元"),
        row(6, unit="龙桥社区第一网格"),
    ]
    report = services.members_import(
        actor=world.users["street"], content=xlsx(rows), mode="skip_bad"
    )
    errors = {e["row"]: e["message"] for e in report["errors"]}
    assert errors == {
        2: "居住网格单元“1号楼单元”有重名，请写成“社区/网格/单元”的形式",
        5: "居住网格单元“龙桥街道/1号楼单元”有重名，请写成“社区/网格/单元”的形式",
        6: "未找到居住网格单元“凤山社区/1号楼单元”，或不在您的管理范围内",
    }
    units = dict(
        Member.objects.filter(pk__in=report["created_ids"]).values_list(
            "name", "unit__parent__name"
        )
    )
    assert units == {
        "导入2": "龙桥社区第二网格",
        "导入3": "龙桥社区第一网格",
        "导入6": "龙桥社区",
    }


def test_lookups_in_chunks(world, monkeypatch):
    monkeypatch.setattr(services, "LOOKUP_CHUNK", 2)
    street = world.users["street"]
    existing = [
        member(
            street, world.orgs["grid_branch"], name=f"已有{i}", id_number=id_no("19800101", 300 + i)
        )
        for i in (2, 4, 5)
    ]
    rows = [HEADER] + [row(i) for i in range(1, 7)]
    report = services.members_import(actor=street, content=xlsx(rows), mode="skip_bad")
    dup = {e["row"] for e in report["errors"] if "已登记" in e["message"]}
    assert dup == {3, 5, 6}  # rows of seq 2, 4, 5 (row 1 is the header)
    assert report["created"] == 3
    assert Member.objects.count() == 3 + len(existing)
