"""Scheduling on the page (issue 18): joint sessions, leaders attending as ordinary members and
invitees are set on the form, not "through the API"; one form style (the shared grid)."""

import pytest

from dangjian.orglife.models import Attendance, Session, SessionOrg
from tests.orglife.helpers import people
from tests.world import org

pytestmark = pytest.mark.django_db


def test_joint_orgs_and_invitees_are_set_on_the_page(client, world, secretary, branch, ten):
    sibling = org(branch.parent, "龙桥社区第二网格党支部", "branch", world.grid)
    theirs = people(sibling, 3, prefix="联合")
    guest = people(branch.parent, 1, prefix="列席")[0]
    client.force_login(secretary)
    page = client.get("/orglife/sessions/new/", {"org": branch.pk}).content.decode()
    assert "在接口中设置" not in page and "接口" not in page
    assert sibling.name in page and guest.name in page
    assert 'class="form-grid"' in page and "联合开展的组织" in page and "邀请列席" in page
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "theme_day",
            "topic": "联合主题党日",
            "starts_at": "2026-12-20T09:00",
            "ends_at": "2026-12-20T11:00",
            "joint_org_ids": [sibling.pk],
            "invitee_ids": [guest.pk],
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    s = Session.objects.get(org=branch)
    assert list(SessionOrg.objects.filter(session=s).values_list("org_id", flat=True)) == [
        sibling.pk
    ]
    roster = set(Attendance.objects.filter(session=s).values_list("member_id", flat=True))
    assert {m.pk for m in ten} | {m.pk for m in theirs} | {guest.pk} == roster
    invited = Attendance.objects.get(session=s, member=guest)
    assert invited.role == "invitee" and not invited.has_vote


def test_an_id_out_of_reach_names_the_field(client, world, secretary, branch, ten):
    client.force_login(secretary)
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "theme_day",
            "topic": "主题党日",
            "starts_at": "2026-12-20T09:00",
            "ends_at": "2026-12-20T11:00",
            "invitee_ids": ["999999"],
            "joint_org_ids": ["abc"],
        },
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert "党员编号无效" in html or "党员不存在或不可见" in html
    assert not Session.objects.exists()
