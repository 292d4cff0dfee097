"""Console pages for dues remittances upward (the list with month and totals; recording one for
a branch and month after seeing the branch's total for that month) and for the grassroots
funds entitlement of a subtree with its breakdown."""

import datetime as dt

import pytest
import time_machine

from dangjian.dues import selectors
from dangjian.dues.models import DuesRemittance
from dangjian.organizations.models import PartyOrg
from tests.dues.helpers import at, dues_member, pay
from tests.orglife.helpers import people, seat_committee

pytestmark = pytest.mark.django_db


def text(r) -> str:
    return r.content.decode("utf-8")


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


@pytest.fixture
def paid(world, clock):
    """Two members of the grid branch (40.00 a month each): June and July, and July."""
    a = dues_member(world, month="2026-06", name="甲")
    b = dues_member(world, month="2026-07", name="乙")
    pay(world, a, ["2026-06", "2026-07"])
    pay(world, b, ["2026-07"])
    return a, b


def test_month_total_shown_then_remitted(world, client, paid):
    branch = world.orgs["grid_branch"]
    client.force_login(world.users["community"])
    r = client.get("/dues/remittances/new/", {"org": branch.pk, "month": "2026-07"})
    page = text(r)
    assert r.status_code == 200 and "2026年7月" in page
    assert "<strong>80.00</strong> 元（2 人已交）" in page
    assert "账户结余</dt><dd>120.00 元" in page and 'value="80.00"' in page
    assert not DuesRemittance.objects.exists()  # looking writes nothing
    key = "k-remit-1"
    form = {"org": branch.pk, "month": "2026-07", "amount": "80.00", "client_key": key}
    r = client.post("/dues/remittances/new/", form)
    assert (
        r.status_code == 302
        and r["Location"] == f"/dues/remittances/?org={branch.pk}&month=2026-07"
    )
    rem = DuesRemittance.objects.get()
    assert (rem.period, rem.amount, rem.to_org_id) == (
        "2026-07",
        80,
        world.orgs["community_committee"].pk,
    )
    # a replayed confirmation does not remit twice
    client.post("/dues/remittances/new/", form)
    assert DuesRemittance.objects.count() == 1
    page = text(client.get("/dues/remittances/new/", {"org": branch.pk, "month": "2026-07"}))
    assert "本月已上缴</dt><dd>80.00 元" in page and 'value="0.00"' in page
    page = text(client.get(r["Location"]))
    assert "共 1 笔，合计 <strong>80.00</strong> 元" in page and "中共龙桥社区委员会" in page


def test_bad_amount_is_shown_in_place_and_nothing_written(world, client, paid):
    branch = world.orgs["grid_branch"]
    client.force_login(world.users["community"])
    base = {"org": branch.pk, "month": "2026-07", "note": "七月党费"}
    r = client.post("/dues/remittances/new/", {**base, "amount": "500"})
    page = text(r)
    assert r.status_code == 422 and "上缴金额超过本组织党费结余120.00元" in page
    assert 'value="500"' in page and 'value="七月党费"' in page
    r = client.post("/dues/remittances/new/", {**base, "amount": "abc"})
    assert r.status_code == 422 and "上缴金额" in text(r)
    r = client.post("/dues/remittances/new/", {**base, "month": "2026-13", "amount": "1"})
    assert r.status_code == 422 and "月份" in text(r)
    r = client.post("/dues/remittances/new/", {"month": "2026-07", "amount": "1"})
    assert r.status_code == 422 and "请选择上缴的党支部" in text(r)
    assert not DuesRemittance.objects.exists()


def test_out_of_scope_branch_reads_as_absent(world, client, paid):
    branch = world.orgs["grid_branch"]
    client.force_login(world.users["street3"])
    r = client.get("/dues/remittances/new/", {"org": branch.pk, "month": "2026-07"})
    assert r.status_code in (403, 404)
    r = client.post("/dues/remittances/new/", {"org": branch.pk, "month": "2026-07", "amount": "1"})
    assert r.status_code in (403, 404) and not DuesRemittance.objects.exists()
    assert client.get("/dues/remittances/", {"org": branch.pk}).status_code == 404


def test_list_filters_totals_and_query_count(world, client, paid, django_assert_num_queries):
    from dangjian.dues import services

    branch = world.orgs["grid_branch"]
    admin = world.users["admin"]
    services.remittance_create(actor=admin, org=branch, amount="40.00", period="2026-06")
    services.remittance_create(actor=admin, org=branch, amount="30.00", period="2026-07")
    client.force_login(world.users["community"])
    page = text(client.get("/dues/remittances/"))
    assert "共 2 笔，合计 <strong>70.00</strong> 元" in page
    page = text(client.get("/dues/remittances/", {"month": "2026-06"}))
    assert "共 1 笔，合计 <strong>40.00</strong> 元" in page and "<td>2026-07</td>" not in page
    r = client.get("/dues/remittances/", {"month": "2026-13"})
    assert r.status_code == 200 and "月份" in text(r)
    for _ in range(3):
        services.remittance_create(actor=admin, org=branch, amount="1.00", period="2026-07")
    with django_assert_num_queries(9):
        page = text(client.get("/dues/remittances/"))
    assert "共 5 笔" in page
    client.force_login(world.users["street3"])
    assert "共 0 笔" in text(client.get("/dues/remittances/"))


def test_funds_breakdown_for_a_subtree(world, client, paid):
    # The branch is a 两新 organization (the standards apply to those only), its full-time
    # secretary serving from April.
    branch = world.orgs["grid_branch"]
    PartyOrg.objects.filter(pk=branch.pk).update(domain="non_public")
    branch.refresh_from_db()
    secretary = people(branch, 1)[0]
    seat_committee(branch, [secretary], term_start=dt.date(2026, 4, 1), full_time=True)
    user = world.users["community"]
    top = world.orgs["community_committee"]
    f = selectors.funds(user, org=top, year=2026)
    assert f.standards["secretary_months"] == 9 and f.members == 3
    client.force_login(user)
    page = text(client.get("/dues/funds/", {"org": top.pk, "year": "2026"}))
    assert "2026年应拨经费" in page and "中共龙桥社区委员会" in page
    assert "3 人" in page and "900.00" in page  # members × 300 a year
    assert "9 人·月（在任 1 人）" in page and "2700.00" in page  # 9 months × 300
    assert f'id="funds-total">{f.total:.2f}' in page
    assert f"?org={world.orgs['grid_branch'].pk}&year=2026" in page  # drill down
    page = text(client.get("/dues/funds/", {"org": top.pk, "year": "19x"}))
    assert "年度应为2000至2100" in page
    # the user's topmost organization by default
    assert "中共龙桥社区委员会" in text(client.get("/dues/funds/"))
    client.force_login(world.users["street3"])
    assert client.get("/dues/funds/", {"org": top.pk}).status_code == 404


def test_linked_from_overview_and_menu(world, client):
    with time_machine.travel(at(2026, 7, 15), tick=False):
        client.force_login(world.users["community"])
        page = text(client.get("/dues/"))
    assert 'href="/dues/remittances/"' in page and 'href="/dues/funds/"' in page
