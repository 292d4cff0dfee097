"""The size and form rules of DOMAIN.md (Structure) on creating, changing and dissolving
party organizations: each on both sides of its boundary, nothing written on refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.scope import Forbidden
from dangjian.organizations import lifecycle, services
from dangjian.organizations.models import (
    CoveredVillage,
    JointUnit,
    KindChange,
    OrgDomain,
    OrgForm,
    OrgKind,
    PartyOrg,
    ResidentUnitMember,
)
from dangjian.territory.models import AreaKind
from tests import world as world_mod
from tests.organizations.helpers import branch, people, units

pytestmark = pytest.mark.django_db


def counts():
    return (
        PartyOrg.objects.count(),
        JointUnit.objects.count(),
        CoveredVillage.objects.count(),
        ResidentUnitMember.objects.count(),
        KindChange.objects.count(),
        AuditEntry.objects.count(),
    )


def refused(fn, exc=ValidationError):
    before = counts()
    with pytest.raises(exc) as info:
        fn()
    assert counts() == before
    return info.value


# --- 3+ full members form a branch -----------------------------------------------------------


def test_a_branch_of_three_full_members_is_formed(world):
    org = branch(world, founding_full_members=3)
    assert org.kind == OrgKind.BRANCH and org.founding_full_members == 3
    assert AuditEntry.objects.filter(action="org.create", object_id=str(org.pk)).exists()


def test_a_branch_of_two_full_members_is_refused(world):
    err = refused(lambda: branch(world, founding_full_members=2))
    message = err.message_dict["founding_full_members"][0]
    assert "正式党员2名，不足3名，不能单独成立党支部" in message


def test_a_branch_needs_its_founding_count(world):
    err = refused(lambda: branch(world, founding_full_members=None))
    assert err.message_dict["founding_full_members"] == ["请填写成立党支部时的正式党员人数"]


def test_a_temporary_branch_names_its_project_and_end(world):
    err = refused(lambda: branch(world, form=OrgForm.TEMPORARY))
    assert set(err.message_dict) == {"project_name", "ends_on"}
    org = branch(world, form=OrgForm.TEMPORARY, project_name="木兰溪治理工程", ends_on="2027-06-30")
    assert (org.project_name, org.ends_on) == ("木兰溪治理工程", dt.date(2027, 6, 30))


def test_a_temporary_end_before_its_start_is_refused(world):
    err = refused(
        lambda: branch(
            world,
            form=OrgForm.TEMPORARY,
            project_name="工程",
            established_on="2025-01-01",
            ends_on="2024-12-31",
        )
    )
    assert err.message_dict["ends_on"] == ["预计撤销日期不能早于成立日期"]


def test_project_fields_only_on_a_temporary_org(world):
    err = refused(lambda: branch(world, project_name="工程"))
    assert "只有临时党组织" in err.message_dict["project_name"][0]


# --- joint branches: at most 5 units, each with fewer than 3 full members ----------------------


def joint(world, unit_rows, **extra):
    return branch(
        world, form=OrgForm.JOINT, founding_full_members=None, joint_units=unit_rows, **extra
    )


def test_a_joint_branch_of_five_units_is_formed(world):
    org = joint(world, units(5))
    assert list(org.joint_units.values_list("name", "full_members")) == [
        (f"测试单位{i}", 1) for i in range(1, 6)
    ]


def test_a_joint_branch_of_six_units_is_refused(world):
    err = refused(lambda: joint(world, units(6)))
    assert "一般不超过5个，现填6个" in err.message_dict["joint_units"][0]


def test_a_unit_with_two_full_members_may_join(world):
    org = joint(
        world, [{"name": "甲公司", "full_members": 2}, {"name": "乙公司", "full_members": 1}]
    )
    assert org.joint_units.count() == 2


def test_a_unit_with_three_full_members_forms_its_own_branch(world):
    rows = [{"name": "甲公司", "full_members": 3}, {"name": "乙公司", "full_members": 1}]
    err = refused(lambda: joint(world, rows))
    assert "单位“甲公司”有正式党员3名" in err.message_dict["joint_units"][0]


def test_units_together_need_three_full_members(world):
    err = refused(lambda: joint(world, units(2, full=1)))
    assert "各单位正式党员合计2名，不足3名" in err.message_dict["joint_units"][0]


def test_a_joint_form_is_a_branch_only(world):
    err = refused(
        lambda: services.org_create(
            actor=world.users["admin"],
            parent=world.orgs["street_wc"],
            area=world.nodes["community"],
            name="联合党委",
            kind=OrgKind.COMMITTEE,
            domain=OrgDomain.NON_PUBLIC,
            form=OrgForm.JOINT,
            joint_units=units(3),
        )
    )
    assert err.message_dict["form"] == ["联合党组织只能是党支部"]


def test_a_bad_credit_code_of_a_unit_is_named(world):
    rows = [{"name": "甲公司", "full_members": 2, "credit_code": "91350300MA2XYK1230"}, *units(1)]
    err = refused(lambda: joint(world, rows))
    assert any("单位“甲公司”" in m for m in err.message_dict["joint_units"])


# --- 联建 across villages; 大工委 / 大党委 ------------------------------------------------------------


def cross_village(world, villages):
    return services.org_create(
        actor=world.users["admin"],
        parent=world.orgs["township_committee"],
        area=world.nodes["township"],
        name="联建党委",
        kind=OrgKind.COMMITTEE,
        domain=OrgDomain.VILLAGE,
        form=OrgForm.CROSS_VILLAGE,
        villages=villages,
    )


def test_a_cross_village_committee_covers_two_villages(world):
    other = world_mod.area(world.nodes["township"], "后黄村", AreaKind.VILLAGE)
    org = cross_village(world, [world.nodes["village"].pk, other.pk])
    assert set(org.covered_villages.values_list("area_id", flat=True)) == {
        world.nodes["village"].pk,
        other.pk,
    }


def test_a_cross_village_committee_of_one_village_or_a_community_is_refused(world):
    err = refused(lambda: cross_village(world, [world.nodes["village"].pk]))
    assert err.message_dict["villages"] == ["联建党组织应覆盖至少2个村"]
    err = refused(lambda: cross_village(world, [world.nodes["village"].pk, world.community.pk]))
    assert "“龙桥社区”是社区，联建党组织只能覆盖村" in err.message_dict["villages"]


def test_a_street_joint_committee_lists_resident_unit_members(world):
    org = services.org_create(
        actor=world.users["admin"],
        parent=world.orgs["county_committee"],
        area=world.nodes["street2"],
        name="凤凰山街道大工委",
        kind=OrgKind.WORKING_COMMITTEE,
        domain=OrgDomain.COMMUNITY,
        form=OrgForm.STREET_JOINT,
        resident_unit_members=[
            {"unit_name": "区人民医院", "person_name": "林芳", "post": "兼职委员"},
            {"unit_name": "区税务局", "person_name": "陈强", "post": "委员", "full_time": True},
        ],
    )
    assert list(org.resident_unit_members.values_list("unit_name", "person_name", "full_time")) == [
        ("区人民医院", "林芳", False),
        ("区税务局", "陈强", True),
    ]


def test_a_street_joint_committee_sits_on_a_street(world):
    err = refused(
        lambda: services.org_create(
            actor=world.users["admin"],
            parent=world.orgs["county_committee"],
            area=world.nodes["community"],
            name="大工委",
            kind=OrgKind.WORKING_COMMITTEE,
            domain=OrgDomain.COMMUNITY,
            form=OrgForm.STREET_JOINT,
        )
    )
    assert err.message_dict["area"] == ["大工委应设在街道"]


# --- size: warnings with the count ---------------------------------------------------------------


def test_a_branch_of_fifty_members_has_no_warning_and_of_fifty_one_has_one(world):
    org = branch(world)
    people(org, 50)
    assert lifecycle.org_warnings(org) == []
    people(org, 1, status="probationary")
    assert lifecycle.org_warnings(org) == [
        {
            "code": "over_branch_size",
            "message": "党员51名，超过50名，一般应设立党总支",
            "count": 51,
        }
    ]


def test_a_general_branch_of_one_hundred_and_one_members_should_be_a_committee(world):
    org = branch(world)
    people(org, 100)
    org, warnings = lifecycle.org_change_kind(
        actor=world.users["admin"], org=org, kind=OrgKind.GENERAL_BRANCH, reason="党员增加"
    )
    assert warnings == []
    people(org, 1)
    assert [w["code"] for w in lifecycle.org_warnings(org)] == ["over_general_branch_size"]
    assert lifecycle.org_warnings(org)[0]["count"] == 101


def test_members_of_groups_count_for_their_branch(world):
    people(world.orgs["unit_group"], 40)
    people(world.orgs["grid_branch"], 11)
    warnings = lifecycle.org_warnings(world.orgs["grid_branch"])
    assert [w["count"] for w in warnings] == [51]


def test_a_branch_short_of_full_members_is_told(world):
    org = branch(world)
    people(org, 2)
    people(org, 3, status="probationary")
    assert lifecycle.org_warnings(org) == [
        {"code": "few_full_members", "message": "党员名册中正式党员2名，不足3名", "count": 2}
    ]


# --- change of kind ----------------------------------------------------------------------------------


def test_change_kind_writes_history_and_audit(world):
    org = branch(world)
    people(org, 60)
    org, warnings = lifecycle.org_change_kind(
        actor=world.users["admin"], org=org, kind=OrgKind.GENERAL_BRANCH, reason="超过50人"
    )
    assert org.kind == OrgKind.GENERAL_BRANCH and warnings == []
    change = KindChange.objects.get(org=org)
    assert (change.from_kind, change.to_kind, change.member_count) == (
        "branch",
        "general_branch",
        60,
    )
    assert AuditEntry.objects.filter(action="org.change_kind", object_id=str(org.pk)).exists()


def test_a_group_becomes_a_branch_with_three_full_members_not_two(world):
    general = branch(
        world, name="测试党总支", kind=OrgKind.GENERAL_BRANCH, founding_full_members=None
    )
    group = branch(world, parent=general, name="测试党小组", kind=OrgKind.GROUP)
    people(group, 2)
    people(group, 5, status="probationary")
    err = refused(
        lambda: lifecycle.org_change_kind(
            actor=world.users["admin"], org=group, kind=OrgKind.BRANCH
        ),
        Conflict,
    )
    assert err.message == "党员名册中正式党员2名，不足3名，不能成立党支部"
    people(group, 1)
    org, _ = lifecycle.org_change_kind(actor=world.users["admin"], org=group, kind=OrgKind.BRANCH)
    assert org.kind == OrgKind.BRANCH
    # a branch cannot sit under a branch: the parent refuses
    err = refused(
        lambda: lifecycle.org_change_kind(
            actor=world.users["admin"], org=world.orgs["unit_group"], kind=OrgKind.BRANCH
        )
    )
    assert err.message_dict["kind"] == ["党支部下不能设立党支部"]


def test_a_general_branch_with_groups_below_cannot_shrink_to_a_group(world):
    err = refused(
        lambda: lifecycle.org_change_kind(
            actor=world.users["admin"], org=world.orgs["grid_branch"], kind=OrgKind.GROUP
        )
    )
    assert "kind" in err.message_dict


def test_a_branch_with_groups_cannot_become_a_committee_under_a_committee_with_children(world):
    # grid_branch has a group: a 党委 cannot hold a 党小组
    err = refused(
        lambda: lifecycle.org_change_kind(
            actor=world.users["admin"], org=world.orgs["grid_branch"], kind=OrgKind.COMMITTEE
        ),
        Conflict,
    )
    assert "党委下不能有党小组" in err.message


# --- dissolution -------------------------------------------------------------------------------------


def test_dissolve_with_members_is_409_with_the_count(world):
    org = branch(world)
    people(org, 2)
    people(org, 1, status="suspended")
    err = refused(
        lambda: lifecycle.org_dissolve(actor=world.users["admin"], org=org, reason="项目结束"),
        Conflict,
    )
    assert err.message == "测试党支部尚有党员3名，不能撤销：请先将其组织关系转出"


def test_dissolve_with_open_children_is_409(world):
    err = refused(
        lambda: lifecycle.org_dissolve(
            actor=world.users["admin"], org=world.orgs["grid_branch"], reason="调整"
        ),
        Conflict,
    )
    assert "尚有未撤销的下级组织1个（1号楼党小组）" in err.message


def test_dissolve_keeps_the_org_and_refuses_changes_after(world):
    org = branch(world)
    people(org, 1, status="removed")  # a removed member's file does not hold it open
    org = lifecycle.org_dissolve(
        actor=world.users["admin"], org=org, reason="项目结束", dissolved_on="2026-01-05"
    )
    assert org.dissolved_on == dt.date(2026, 1, 5) and PartyOrg.objects.filter(pk=org.pk).exists()
    refused(lambda: services.org_update(actor=world.users["admin"], org=org, name="新名"), Conflict)
    refused(
        lambda: branch(world, parent=org, kind=OrgKind.GROUP, founding_full_members=None),
        Conflict,
    )
    assert lifecycle.org_warnings(org) == []


def test_dissolve_needs_a_reason(world):
    org = branch(world)
    err = refused(lambda: lifecycle.org_dissolve(actor=world.users["admin"], org=org, reason=" "))
    assert err.message_dict["reason"] == ["请填写撤销原因"]


# --- scope ---------------------------------------------------------------------------------------


def test_an_outsider_cannot_create_change_or_dissolve(world):
    outsider = world_mod.user("t-street3b", role="township_staff", area_node=world.street3)
    refused(lambda: branch(world, actor=outsider), Http404)
    org = world.orgs["grid_branch"]
    refused(
        lambda: lifecycle.org_change_kind(actor=outsider, org=org, kind=OrgKind.GENERAL_BRANCH),
        Http404,
    )
    refused(lambda: lifecycle.org_dissolve(actor=outsider, org=org, reason="x"), Http404)


def test_a_secretary_sees_but_may_not_manage(world):
    secretary = world_mod.user(
        "t-sec2", role="secretary", org_node=world.orgs["community_committee"]
    )
    refused(lambda: branch(world, actor=secretary), Forbidden)


def test_a_dissolved_org_takes_no_member_and_leaves_the_pickers(world, client):
    import datetime as dt

    from dangjian.members import services as members

    org = branch(world)
    lifecycle.org_dissolve(actor=world.users["admin"], org=org, reason="撤销")
    with pytest.raises(ValidationError) as exc:
        members.member_create(
            actor=world.users["admin"],
            org=org,
            name="张三",
            gender="male",
            ethnicity="01",
            birth_date=dt.date(1980, 1, 1),
            joined_on=dt.date(2005, 7, 1),
            confirmed_on=dt.date(2006, 7, 1),
            status="full",
        )
    assert exc.value.message_dict["org"] == ["测试党支部已撤销，不能接收党员"]
    client.force_login(world.users["admin"])
    page = client.get("/members/options/orgs/?q=测试").content.decode()
    assert "测试党支部" not in page


def test_an_old_temporary_org_without_its_project_takes_other_changes(world):
    old = world_mod.org(
        world.orgs["community_committee"],
        "老临时党支部",
        OrgKind.BRANCH,
        world.nodes["grid"],
        form=OrgForm.TEMPORARY,
    )
    org = services.org_update(actor=world.users["admin"], org=old, term_years=3)
    assert org.term_years == 3
    err = refused(lambda: services.org_update(actor=world.users["admin"], org=old, project_name=""))
    assert err.message_dict["project_name"] == ["临时党组织请填写所服务的项目或任务"]


def test_no_organization_is_anchored_to_a_closed_area(world):
    """A closed area is history (issue 14): no new organization anchors there, nor moves its
    anchor there; the same branch on an open grid is created."""
    grid = world.nodes["grid2"]
    grid.closed_on, grid.closed_reason = dt.date(2026, 1, 5), "网格调整"
    grid.save(update_fields=["closed_on", "closed_reason"])
    before = counts()
    with pytest.raises(ValidationError) as exc:
        branch(world, area=grid)
    assert exc.value.message_dict["area"] == [
        f"区域“{grid.name}”已于2026-01-05撤销，不能再接收下级区域或新的记录"
    ]
    assert counts() == before
    made = branch(world)
    with pytest.raises(ValidationError) as exc:
        services.org_update(actor=world.users["admin"], org=made, area=grid)
    assert "已于2026-01-05撤销" in exc.value.message_dict["area"][0]
    made.refresh_from_db()
    assert made.area_id == world.nodes["grid"].pk
