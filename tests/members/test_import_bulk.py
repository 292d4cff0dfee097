"""The bulk path of the member import: the same files and audit rows as one-by-one creation,
residences matched by "社区/网格/单元", look-ups in chunks."""

import datetime as dt

import pytest

from dangjian.core import validation
from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.models import Member
from dangjian.members.services import imports, registry
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
        assert entry.after == registry._snapshot(m, cats)
        assert registry._import_snapshot(m, cats) == registry._snapshot(m, cats)
        assert entry.actor_id == street.pk and entry.org_path == m.org_path
        assert entry.note.startswith("Excel导入第")
        assert m.name_pinyin == "DR" and m.id_number_index
    # And the same for a file made by the service one by one.
    m = member(street, world.orgs["grid_branch"], phone="13800138000", unit=world.unit)
    assert registry._import_snapshot(m, ["in_service"]) == registry._snapshot(m, ["in_service"])


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
    monkeypatch.setattr(imports, "LOOKUP_CHUNK", 2)
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


def test_bulk_write_stores_what_the_orm_would(world):
    """The import writes with multi-row INSERT statements, not model instances: each stored
    column is what ``_apply`` and a model save would have stored."""
    from django.db import connection

    from dangjian.core import crypto
    from dangjian.members.models import MemberCategory

    header = [*HEADER_UNIT, "手机号码"]
    report = services.members_import(
        actor=world.users["street"],
        content=xlsx([header, [*row(1, unit="龙桥社区第一网格"), "138 0013 8000"]]),
    )
    assert report["created"] == 1 and not report["errors"]
    (pk,) = report["created_ids"]
    m = Member.objects.get(pk=pk)
    expected = Member(org=world.orgs["grid_branch"], org_path=world.orgs["grid_branch"].path)
    clean, errors = services.clean_member_fields(
        {
            "name": "导入1",
            "id_number": id_no("19800101", 301),
            "ethnicity": "01",
            "joined_on": dt.date(2005, 7, 1),
            "confirmed_on": dt.date(2006, 7, 1),
            "status": "full",
            "phone": "13800138000",
        },
        explicit={"name", "id_number", "ethnicity", "joined_on", "confirmed_on", "status"},
    )
    assert not errors
    registry._apply(expected, clean)
    for field in (*imports._MEMBER_COLUMNS, "user_id", "photo_id", "left_on"):
        if field in ("org_id", "unit_id", "area_path"):
            continue
        assert getattr(m, field) == getattr(expected, field), field
    assert m.unit.name == "龙桥社区第一网格" and m.area_path == m.unit.path
    assert m.created_at is not None and m.updated_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member WHERE id = %s", [pk])
        raw_id, raw_phone = cursor.fetchone()
    # Encrypted by the field's own function: tokens that decrypt to the clear values.
    assert crypto.is_token(raw_id) and crypto.decrypt(raw_id) == clean["id_number"]
    assert crypto.is_token(raw_phone) and crypto.decrypt(raw_phone) == "13800138000"
    assert m.phone_index == crypto.blind_index("phone", "13800138000")
    assert sorted(MemberCategory.objects.filter(member=m).values_list("code", flat=True)) == [
        "in_difficulty",
        "in_service",
    ]
    entry = AuditEntry.objects.get(action="member.create", object_id=str(pk))
    assert entry.at is not None and entry.object_repr == "导入1"
    assert entry.after == registry._snapshot(m, m.category_codes())


def test_bulk_write_in_several_statements_keeps_row_order(world, monkeypatch):
    """Several INSERT statements (batch of 2): each new key belongs to its own row, and each
    row's categories and audit row to its member."""
    monkeypatch.setattr(imports, "IMPORT_BATCH", 2)
    rows = [HEADER] + [
        row(i, categories="在职党员" if i % 2 else "离退休党员") for i in range(1, 8)
    ]
    report = services.members_import(actor=world.users["street"], content=xlsx(rows))
    assert report["created"] == 7
    names = dict(Member.objects.filter(pk__in=report["created_ids"]).values_list("pk", "name"))
    assert [names[pk] for pk in report["created_ids"]] == [f"导入{i}" for i in range(1, 8)]
    for i, pk in enumerate(report["created_ids"], start=1):
        m = Member.objects.get(pk=pk)
        assert m.category_codes() == (["in_service"] if i % 2 else ["retired"])
        entry = AuditEntry.objects.get(action="member.create", object_id=str(pk))
        assert entry.note == f"Excel导入第{i + 1}行" and entry.object_repr == f"导入{i}"
        assert entry.after == registry._snapshot(m, m.category_codes())


def test_text_drops_the_same_control_characters_as_the_pattern():
    """``_text`` deletes with ``str.translate`` what ``_CONTROL_RE`` matches, nothing else."""
    sample = "".join(chr(i) for i in range(0x00, 0x3000)) + "党员\u3000"
    assert validation.clean_text(sample) == validation.CONTROL_RE.sub("", sample).strip()
    assert validation.clean_text(" 张\x00三\x7f ") == "张三" and validation.clean_text(None) == ""
