"""Division codes against the area's kind and ancestors, wherever areas are written (the
services and the demo generator); unified social credit codes with the override and its
reason, ready for the services that record one."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditEntry
from dangjian.core.validators import clean_credit_code, uscc_check_char
from dangjian.demo import city_shapes, names
from dangjian.territory import services as territory
from dangjian.territory.codes import check_area_code
from dangjian.territory.models import Area, AreaKind

K = AreaKind
PUTIAN = (K.CITY, "350300")
CHENGXIANG = (K.COUNTY, "350302")
LONGQIAO = (K.STREET, "350302001000")
HUATING = (K.TOWNSHIP, "350302100000")


def refusal(kind, code, name="", ancestors=()) -> str:
    with pytest.raises(ValidationError) as info:
        check_area_code(kind=kind, code=code, name=name, ancestors=ancestors)
    assert list(info.value.message_dict) == ["code"]
    return info.value.message_dict["code"][0]


@pytest.mark.parametrize(
    ("kind", "code", "name", "ancestors"),
    [
        (K.CITY, "350300", "莆田市", ()),
        (K.CITY, "110000", "北京市", ()),
        (K.CITY, "350481", "永安市", ()),  # a county-level city at the root
        (K.COUNTY, "350302", "城厢区", [PUTIAN]),
        (K.COUNTY, "350399", "某区", [PUTIAN]),
        (K.COUNTY, "110101", "东城区", [(K.CITY, "110000")]),
        (K.STREET, "350302001000", "龙桥街道", [PUTIAN, CHENGXIANG]),
        (K.STREET, "350302099000", "某街道", [PUTIAN, CHENGXIANG]),
        (K.TOWNSHIP, "350302100000", "华亭镇", [PUTIAN, CHENGXIANG]),
        (K.TOWNSHIP, "350302199000", "某镇", [PUTIAN, CHENGXIANG]),
        (K.TOWNSHIP, "350302200000", "某乡", [PUTIAN, CHENGXIANG]),
        (K.TOWNSHIP, "350302399000", "某民族乡", [PUTIAN, CHENGXIANG]),
        (K.TOWNSHIP, "350302100000", "某农场", [PUTIAN, CHENGXIANG]),
        (K.TOWNSHIP, "350302399000", "某农场", [PUTIAN, CHENGXIANG]),
        (K.COMMUNITY, "350302001001", "龙桥社区", [PUTIAN, CHENGXIANG, LONGQIAO]),
        (K.COMMUNITY, "350302001199", "某社区", [PUTIAN, CHENGXIANG, LONGQIAO]),
        (K.VILLAGE, "350302100200", "某村", [PUTIAN, CHENGXIANG, HUATING]),
        (K.VILLAGE, "350302100399", "某村", [PUTIAN, CHENGXIANG, HUATING]),
        # A level left out: a township right under the city, a village right under a county.
        (K.TOWNSHIP, "350302100000", "华亭镇", [PUTIAN]),
        (K.VILLAGE, "350302100200", "某村", [PUTIAN, CHENGXIANG]),
        # Yong'an: townships right under the county-level city.
        (K.TOWNSHIP, "350481100000", "西洋镇", [(K.CITY, "350481")]),
        # An ancestor without a code: the nearest one with a code decides.
        (K.COMMUNITY, "350302001001", "某社区", [PUTIAN, CHENGXIANG, (K.STREET, "")]),
        (K.GRID, "", "第一网格", [PUTIAN, CHENGXIANG, LONGQIAO]),
        (K.COUNTY, "", "某区", [PUTIAN]),
    ],
)
def test_codes_that_fit(kind, code, name, ancestors):
    assert check_area_code(kind=kind, code=code, name=name, ancestors=ancestors) is None


@pytest.mark.parametrize(
    ("kind", "code", "name", "ancestors", "message"),
    [
        (K.CITY, "350300000000", "莆田市", (), "市的区划代码应为6位"),
        (K.CITY, "3503", "莆田市", (), "行政区划代码应为6位或12位数字"),
        (K.COUNTY, "350300", "某区", [PUTIAN], "县(区)的区划代码末两位（县级代码）应在01至99之间"),
        (K.COUNTY, "350302001000", "某区", [PUTIAN], "县(区)的区划代码应为6位"),
        (K.COUNTY, "350402", "某区", [PUTIAN], "区划代码应以上级市的区划代码3503开头"),
        (K.STREET, "350302", "某街道", [PUTIAN, CHENGXIANG], "街道的区划代码应为12位"),
        (
            K.STREET,
            "350302100000",
            "某街道",
            [PUTIAN, CHENGXIANG],
            "街道的区划代码第7至9位应在001至099之间",
        ),
        (
            K.TOWNSHIP,
            "350302099000",
            "某镇",
            [PUTIAN, CHENGXIANG],
            "镇的区划代码第7至9位应在100至199之间",
        ),
        (
            K.TOWNSHIP,
            "350302200000",
            "某镇",
            [PUTIAN, CHENGXIANG],
            "镇的区划代码第7至9位应在100至199之间",
        ),
        (
            K.TOWNSHIP,
            "350302199000",
            "某乡",
            [PUTIAN, CHENGXIANG],
            "乡的区划代码第7至9位应在200至399之间",
        ),
        (
            K.TOWNSHIP,
            "350302099000",
            "某农场",
            [PUTIAN, CHENGXIANG],
            "乡镇的区划代码第7至9位应在100至399之间",
        ),
        (K.TOWNSHIP, "350302100001", "某镇", [PUTIAN, CHENGXIANG], "镇的区划代码末三位应为000"),
        (
            K.TOWNSHIP,
            "350303100000",
            "某镇",
            [PUTIAN, CHENGXIANG],
            "区划代码应以上级县(区)的区划代码350302开头",
        ),
        (
            K.COMMUNITY,
            "350302001000",
            "某社区",
            [PUTIAN, CHENGXIANG, LONGQIAO],
            "社区（居委会）的区划代码末三位应在001至199之间",
        ),
        (
            K.COMMUNITY,
            "350302001200",
            "某社区",
            [PUTIAN, CHENGXIANG, LONGQIAO],
            "社区（居委会）的区划代码末三位应在001至199之间",
        ),
        (
            K.VILLAGE,
            "350302100199",
            "某村",
            [PUTIAN, CHENGXIANG, HUATING],
            "村（村委会）的区划代码末三位应在200至399之间",
        ),
        (
            K.VILLAGE,
            "350302100400",
            "某村",
            [PUTIAN, CHENGXIANG, HUATING],
            "行政区划代码的村级代码应在001至399之间（乡级单位为000）",
        ),
        (
            K.VILLAGE,
            "350302002201",
            "某村",
            [PUTIAN, CHENGXIANG, LONGQIAO],
            "区划代码应以上级街道的区划代码350302001开头",
        ),
        (K.TOWNSHIP, "350402100000", "某镇", [PUTIAN], "区划代码应以上级市的区划代码3503开头"),
        (
            K.TOWNSHIP,
            "350482100000",
            "某镇",
            [(K.CITY, "350481")],
            "区划代码应以上级市的区划代码350481开头",
        ),
        (
            K.COUNTY,
            "350482",
            "某区",
            [(K.CITY, "350481")],
            "区划代码应以上级市的区划代码350481开头",
        ),
        (K.GRID, "350302001001", "第一网格", [PUTIAN], "网格没有行政区划代码，请留空"),
        (K.UNIT, "350302", "1号楼", [PUTIAN], "单元没有行政区划代码，请留空"),
    ],
)
def test_codes_that_do_not_fit(kind, code, name, ancestors, message):
    assert refusal(kind, code, name, ancestors) == message


@pytest.mark.parametrize("make_shape", [city_shapes.small_shape, city_shapes.city_shape])
def test_the_demo_city_codes_fit(make_shape):
    city = (K.CITY, names.CITY[1])
    check_area_code(kind=K.CITY, code=names.CITY[1], name=names.CITY[0])
    checked = 0
    for county in make_shape(random.Random(7)):
        check_area_code(kind=K.COUNTY, code=county.code, name=county.name, ancestors=[city])
        above = [city, (K.COUNTY, county.code)]
        for t in county.townships:
            check_area_code(kind=t.kind, code=t.code, name=t.name, ancestors=above)
            for v in t.villages:
                check_area_code(
                    kind=v.kind, code=v.code, name=v.name, ancestors=[*above, (t.kind, t.code)]
                )
                checked += 1
    assert checked > 0


# --- the services ----------------------------------------------------------------------------


def _refused(call, field: str) -> str:
    before = (Area.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as info:
        call()
    assert list(info.value.message_dict) == [field]
    assert (Area.objects.count(), AuditEntry.objects.count()) == before
    return info.value.message_dict[field][0]


@pytest.mark.django_db
def test_create_checks_the_code_against_kind_and_parent(world):
    admin = world.users["admin"]
    ok = territory.area_create(
        actor=admin, parent=world.street, name="龙桥新社区", kind=K.COMMUNITY, code="350302001002"
    )
    assert ok.code == "350302001002"
    message = _refused(
        lambda: territory.area_create(
            actor=admin, parent=world.street, name="某村", kind=K.VILLAGE, code="350302001199"
        ),
        "code",
    )
    assert message == "村（村委会）的区划代码末三位应在200至399之间"
    message = _refused(
        lambda: territory.area_create(
            actor=admin, parent=world.street, name="某社区", kind=K.COMMUNITY, code="350302002001"
        ),
        "code",
    )
    assert message == "区划代码应以上级街道的区划代码350302001开头"
    # street2 has no code: its county's decides.
    ok = territory.area_create(
        actor=admin, parent=world.street2, name="凤山二社区", kind=K.COMMUNITY, code="350302002001"
    )
    assert ok.code == "350302002001"
    message = _refused(
        lambda: territory.area_create(
            actor=admin, parent=world.street2, name="某社区", kind=K.COMMUNITY, code="350304002001"
        ),
        "code",
    )
    assert message == "区划代码应以上级县(区)的区划代码350302开头"


@pytest.mark.django_db
def test_update_checks_the_code_the_name_and_the_areas_below(world):
    admin = world.users["admin"]
    town = territory.area_create(
        actor=admin, parent=world.county, name="华亭镇", kind=K.TOWNSHIP, code="350302100000"
    )
    # A town renamed into a township (乡) leaves the 100–199 range behind.
    message = _refused(lambda: territory.area_update(actor=admin, area=town, name="华亭乡"), "name")
    assert message == "乡的区划代码第7至9位应在200至399之间"
    town.refresh_from_db()
    assert (town.name, town.code) == ("华亭镇", "350302100000")
    updated = territory.area_update(actor=admin, area=town, name="华亭乡", code="350302200000")
    assert (updated.name, updated.code) == ("华亭乡", "350302200000")
    # The county's code cannot move away from its street's.
    message = _refused(
        lambda: territory.area_update(actor=admin, area=world.county, code="350303"), "code"
    )
    assert message == (
        "下级区域“龙桥街道”的区划代码350302001000不以350303开头，请先修改下级区域的区划代码"
    )
    world.county.refresh_from_db()
    assert world.county.code == "350302"
    message = _refused(
        lambda: territory.area_update(actor=admin, area=world.street, code="350302100000"), "code"
    )
    assert message == "街道的区划代码第7至9位应在001至099之间"
    assert territory.area_update(actor=admin, area=world.street, code="").code == ""


@pytest.mark.django_db
def test_move_checks_the_code_under_the_new_parent(world):
    admin = world.users["admin"]
    message = _refused(
        lambda: territory.area_move(actor=admin, area=world.street, new_parent=world.county2),
        "parent",
    )
    assert message == "区划代码应以上级县(区)的区划代码350304开头"
    world.street.refresh_from_db()
    assert world.street.parent_id == world.county.pk
    # An area without a code moves, unless a coded area below it would no longer fit.
    territory.area_update(actor=admin, area=world.community2, code="350302002001")
    message = _refused(
        lambda: territory.area_move(actor=admin, area=world.street2, new_parent=world.county2),
        "parent",
    )
    assert message == (
        "下级区域“凤山社区”的区划代码350302002001不以350304开头，请先修改下级区域的区划代码"
    )
    territory.area_update(actor=admin, area=world.community2, code="")
    moved = territory.area_move(actor=admin, area=world.street2, new_parent=world.county2)
    assert moved.parent_id == world.county2.pk


# --- unified social credit codes ---------------------------------------------------------------

GOOD = "91350100M000100Y43"
WRONG_CHECK = "91350100M000100Y44"


def test_credit_code_clean_and_its_override():
    assert uscc_check_char(GOOD[:17]) == "3"
    assert clean_credit_code(f" {GOOD.lower()} ") == (GOOD, "")
    assert clean_credit_code("") == ("", "")
    # An override of a code that passes keeps no reason.
    assert clean_credit_code(GOOD, override=True, override_reason="旧代码") == (GOOD, "")
    assert clean_credit_code(WRONG_CHECK, override=True, override_reason=" 旧法人代码转换 ") == (
        WRONG_CHECK,
        "旧法人代码转换",
    )
    with pytest.raises(ValidationError) as info:
        clean_credit_code(WRONG_CHECK)
    assert info.value.message_dict == {
        "credit_code": ["统一社会信用代码校验位错误，应为3；如确为旧代码，请填写例外原因"]
    }
    # A reason without the override box does not excuse the check character.
    with pytest.raises(ValidationError) as info:
        clean_credit_code(WRONG_CHECK, override_reason="旧代码")
    assert list(info.value.message_dict) == ["credit_code"]
    with pytest.raises(ValidationError) as info:
        clean_credit_code(WRONG_CHECK, override=True, override_reason="  ")
    assert info.value.message_dict == {"credit_code_override_reason": ["请填写例外原因"]}
    assert (
        clean_credit_code(WRONG_CHECK, override=True, override_reason="因" * 200)[1] == "因" * 200
    )
    with pytest.raises(ValidationError) as info:
        clean_credit_code(WRONG_CHECK, override=True, override_reason="因" * 201)
    assert info.value.message_dict == {"credit_code_override_reason": ["例外原因不能超过200个字"]}
    # The override never excuses a wrong length or character.
    with pytest.raises(ValidationError) as info:
        clean_credit_code("91350100M000100Y4", override=True, override_reason="旧代码")
    assert info.value.message_dict == {"credit_code": ["统一社会信用代码应为18位"]}
    with pytest.raises(ValidationError) as info:
        clean_credit_code("91350100M000100I43", override=True, override_reason="旧代码")
    assert info.value.message_dict == {
        "credit_code": ["统一社会信用代码含有无效字符：I（不使用I、O、S、V、Z）"]
    }
    with pytest.raises(ValidationError) as info:
        clean_credit_code(GOOD, field="uscc", reason_field="uscc_reason", override=True)
    assert info.value.message_dict == {"uscc_reason": ["请填写例外原因"]}
