"""The party tree's administration pages: buttons only for whom may manage, the forms calling
the services (their Chinese refusals on the form, nothing written), the import page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.organizations import lifecycle
from dangjian.organizations.models import JointUnit, OrgKind, PartyOrg
from tests import world as world_mod
from tests.members.helpers import xlsx
from tests.organizations.helpers import branch, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def test_buttons_only_for_managers(world, login):
    url = f"/orgs/{world.orgs['grid_branch'].pk}/"
    page = login(world.users["street"]).get(url).content.decode()
    assert 'id="org-actions"' in page and "变更类别" in page
    secretary = world_mod.user(
        "t-sec-c", role="secretary", org_node=world.orgs["community_committee"]
    )
    page = login(secretary).get(url).content.decode()
    assert 'id="org-actions"' not in page
    assert login(secretary).get(f"{url}edit/").status_code == 403


def test_create_a_joint_branch_from_the_form(world, login):
    parent = world.orgs["community_committee"]
    c = login(world.users["street"])
    assert c.get(f"/orgs/{parent.pk}/new/").status_code == 200
    r = c.post(
        f"/orgs/{parent.pk}/new/",
        {
            "name": "商圈联合党支部",
            "kind": "branch",
            "form": "joint",
            "domain": "non_public",
            "area": world.nodes["grid2"].pk,
            "joint_units": "甲公司:2\n乙公司:1",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    org = PartyOrg.objects.get(name="商圈联合党支部")
    assert r["Location"] == f"/orgs/{org.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "联合党支部覆盖的单位" in page and "甲公司" in page


def test_a_refusal_shows_on_the_form_and_writes_nothing(world, login):
    parent = world.orgs["community_committee"]
    before = PartyOrg.objects.count(), JointUnit.objects.count()
    r = login(world.users["street"]).post(
        f"/orgs/{parent.pk}/new/",
        {
            "name": "人少党支部",
            "kind": "branch",
            "form": "regular",
            "domain": "community",
            "area": world.nodes["grid2"].pk,
            "founding_full_members": 2,
        },
    )
    assert r.status_code == 422
    assert "正式党员2名，不足3名，不能单独成立党支部" in r.content.decode()
    assert (PartyOrg.objects.count(), JointUnit.objects.count()) == before


def test_change_kind_page_warns_with_the_count(world, login):
    org = branch(world)
    people(org, 101)
    c = login(world.users["street"])
    r = c.post(
        f"/orgs/{org.pk}/kind/", {"kind": "general_branch", "reason": "党员增加"}, follow=True
    )
    page = r.content.decode()
    assert "已改为党总支" in page
    assert "党员101名，超过100名，一般应设立基层党委" in page
    assert PartyOrg.objects.get(pk=org.pk).kind == OrgKind.GENERAL_BRANCH


def test_dissolve_page_409_with_members_then_dissolved(world, login):
    org = branch(world)
    (m,) = people(org, 1)
    c = login(world.users["street"])
    r = c.post(f"/orgs/{org.pk}/dissolve/", {"reason": "合并"})
    assert r.status_code == 409
    assert "尚有党员1名，不能撤销" in r.content.decode()
    m.delete()
    r = c.post(f"/orgs/{org.pk}/dissolve/", {"reason": "合并"}, follow=True)
    assert "已撤销" in r.content.decode()
    assert PartyOrg.objects.get(pk=org.pk).dissolved_on is not None
    parent = c.get(f"/orgs/{world.orgs['community_committee'].pk}/").content.decode()
    assert f"/orgs/{org.pk}/" not in parent
    shown = c.get(f"/orgs/{world.orgs['community_committee'].pk}/?include_closed=1")
    assert f"/orgs/{org.pk}/" in shown.content.decode()


def test_an_outsider_gets_404_on_every_page(world, login):
    outsider = world_mod.user("t-out-c", role="township_staff", area_node=world.street3)
    org = world.orgs["grid_branch"]
    c = login(outsider)
    for suffix in ("new/", "edit/", "kind/", "dissolve/"):
        assert c.get(f"/orgs/{org.pk}/{suffix}").status_code == 404
        assert (
            c.post(f"/orgs/{org.pk}/{suffix}", {"reason": "x", "kind": "group"}).status_code == 404
        )
    assert PartyOrg.objects.get(pk=org.pk).dissolved_on is None


def test_import_page(world, login):
    c = login(world.users["street"])
    assert "Excel导入党组织" in c.get("/orgs/").content.decode()
    assert c.get("/orgs/import/").status_code == 200
    content = xlsx(
        [
            ["组织名称", "上级党组织", "组织类别", "所属领域", "所在区域", "正式党员人数"],
            ["导入党支部", "中共龙桥社区委员会", "党支部", "社区", "龙桥社区第二网格", 5],
        ]
    )
    r = c.post(
        "/orgs/import/",
        {"file": SimpleUploadedFile("o.xlsx", content), "mode": "all_or_nothing"},
    )
    assert r.status_code == 200
    assert "全部导入成功" in r.content.decode()
    assert PartyOrg.objects.filter(name="导入党支部", founding_full_members=5).exists()
    assert c.get("/orgs/import/template/").status_code == 200


def test_edit_keeps_the_phone_and_the_form_rows(world, login):
    org = branch(world, contact_phone="13905901234")
    c = login(world.users["street"])
    assert c.get(f"/orgs/{org.pk}/edit/").status_code == 200
    r = c.post(
        f"/orgs/{org.pk}/edit/",
        {
            "name": "改名党支部",
            "form": "regular",
            "domain": "community",
            "area": world.nodes["grid"].pk,
            "founding_full_members": 3,
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    org.refresh_from_db()
    assert (org.name, org.contact_phone) == ("改名党支部", "13905901234")
    assert lifecycle.org_warnings(org) == []
