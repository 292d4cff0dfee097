"""The fast paths of the member import keep its answers: repeated cells parsed once per file
read as they would alone, and a write refused by the database leaves nothing behind."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditEntry
from dangjian.members import excel, services
from dangjian.members.models import Member, MemberCategory
from tests.members.helpers import id_no, member, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "民族", "入党日期", "转正日期", "党员状态", "党员类别", "所在党组织"]
BRANCH = "龙桥社区第一网格党支部"


def _row(seq: int) -> list:
    return [
        f"导入{seq}",
        id_no("19800101", 300 + seq),
        "汉族",
        dt.date(2005, 7, 1),
        dt.date(2006, 7, 1),
        "正式党员",
        "在职党员",
        BRANCH,
    ]


def test_repeated_cells_read_as_they_would_alone():
    """Each column parses a distinct cell once; True, 1 and 1.0 are equal in Python but read
    differently (a logical value is refused, a number is an organization code), and every row
    gets its own list of categories."""
    org = excel._cell_reader(excel.COLUMN_BY_KEY["org"])
    for value in [BRANCH, True, 1, 1.0, BRANCH, 1, True, "  ", None]:
        assert org(value) == excel.parse_cell(excel.COLUMN_BY_KEY["org"], value), value
    assert org(True)[1] and org(1) == ("1", None)
    categories = excel._cell_reader(excel.COLUMN_BY_KEY["categories"])
    first, second = categories("在职党员、困难党员")[0], categories("在职党员、困难党员")[0]
    assert first == second == ["in_service", "in_difficulty"] and first is not second


def test_an_id_number_registered_during_the_write_refuses_the_file_whole(world):
    """Another user registers one of the file's ID numbers after the check and before the
    write: the database's unique index refuses the bulk write, the answer says so, and no
    member, category or audit row of the import is left."""
    street = world.users["street"]
    taken = id_no("19800101", 302)

    def progress(stage, done, total):
        if stage == "write":
            member(street, world.orgs["grid_branch"], name="抢先登记", id_number=taken)

    with pytest.raises(ValidationError) as exc:
        services.members_import(
            actor=street, content=xlsx([HEADER] + [_row(i) for i in range(1, 4)]), progress=progress
        )
    assert exc.value.message_dict == {
        "file": ["导入期间有身份证号码已被登记，请重新导入以查看具体行"]
    }
    assert list(Member.objects.values_list("name", flat=True)) == ["抢先登记"]
    assert MemberCategory.objects.count() == 0
    assert not AuditEntry.objects.filter(action="members.import").exists()
    assert AuditEntry.objects.filter(action="member.create").count() == 1  # the other user's
