"""Console and mobile pages of the dues module: overview (red/amber), member page, the payment
form, the receipt, reversal, hardship transitions, my dues on the phone; query counts."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.dues.models import DuesPayment, Hardship
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db


def text(r) -> str:
    return r.content.decode("utf-8")


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


def test_menu_entry(world, client, clock):
    client.force_login(world.users["community"])
    assert 'href="/dues/"' in text(client.get("/"))
    client.force_login(world.users["nobody"])
    assert 'href="/dues/"' not in text(client.get("/"))


def test_overview_marks_arrears_red_and_amber(world, client, clock):
    dues_member(world, month="2026-01", name="六月未交")  # Jan–Jun: six
    dues_member(world, month="2026-04", name="三月未交")  # Apr–Jun: three
    ok = dues_member(world, month="2026-07", name="按时交")
    pay(world, ok, ["2026-07"])
    client.force_login(world.users["community"])
    page = text(client.get("/dues/"))
    assert "六月未交" in page and "三月未交" in page and "按时交" in page
    assert 'class="tag dues-red"' in page and "连续6个月未交" in page
    assert 'class="tag dues-amber"' in page and "连续3个月未交" in page
    amber = text(client.get("/dues/?level=warning"))
    assert "三月未交" in amber and "六月未交" not in amber
    org = world.orgs["grid_branch"].pk
    page = text(client.get(f"/dues/?org={org}"))
    assert "本年收缴党费" in page and "连续6个月 1 人" in page
    assert client.get("/dues/?org=abc").status_code == 404
    client.force_login(world.users["street3"])
    assert "六月未交" not in text(client.get("/dues/"))


def test_overview_query_count_is_flat(world, client, clock):
    client.force_login(world.users["community"])
    for i in range(2):
        dues_member(world, month="2026-01", name=f"少{i}")
    client.get("/dues/")
    with CaptureQueriesContext(connection) as few:
        client.get("/dues/")
    for i in range(10):
        m = dues_member(world, month="2026-01", name=f"多{i}")
        pay(world, m, ["2026-07"])
    with CaptureQueriesContext(connection) as many:
        r = client.get("/dues/")
    assert "多9" in text(r)
    assert len(many) == len(few), [q["sql"][:100] for q in many.captured_queries]


def test_member_page_profile_form_and_errors(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    page = text(client.get(f"/dues/members/{m.pk}/"))
    assert "在职党员" in page and "40.00" in page and "基数和比例的历史" in page
    r = client.post(
        f"/dues/members/{m.pk}/", {"form": "profile", "category": "in_service", "base": "-1"}
    )
    assert r.status_code == 200 and "缴费基数（base）不能为负数" in text(r)
    r = client.post(
        f"/dues/members/{m.pk}/",
        {
            "form": "profile",
            "category": "in_service",
            "base": "12000",
            "effective_month": "2026-08",
        },
    )
    assert r.status_code == 302
    assert "240.00" in text(client.get(f"/dues/members/{m.pk}/"))


def test_pay_form_receipt_and_reverse(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    page = text(client.get(f"/dues/members/{m.pk}/pay/"))
    assert 'value="2026-07"' in page and 'value="2026-01"' in page
    assert 'value="2025-12"' not in page  # before the dues started
    r = client.post(
        f"/dues/members/{m.pk}/pay/", {"months": ["2026-06", "2026-07"], "client_key": "form-1"}
    )
    assert r.status_code == 302, text(r)
    p = DuesPayment.objects.get()
    assert r["Location"] == f"/dues/payments/{p.pk}/receipt/"
    # A double submit of the same form changes nothing.
    r = client.post(
        f"/dues/members/{m.pk}/pay/", {"months": ["2026-06", "2026-07"], "client_key": "form-1"}
    )
    assert r.status_code == 302 and DuesPayment.objects.count() == 1
    receipt = text(client.get(f"/dues/payments/{p.pk}/receipt/"))
    assert p.receipt_no in receipt and "2026年6月、2026年7月" in receipt and "80.00" in receipt
    assert "打印收据" in receipt
    r = client.post(f"/dues/members/{m.pk}/pay/", {"months": ["2026-07"]})
    assert r.status_code == 200 and "已缴纳" in text(r)
    r = client.post(f"/dues/members/{m.pk}/pay/", {"months": ["2025-12"]})
    assert r.status_code == 200 and "补缴期限" in text(r)
    r = client.post(f"/dues/payments/{p.pk}/reverse/", {"note": "录入错误"})
    assert r.status_code == 302
    assert "已冲正" in text(client.get(f"/dues/payments/{p.pk}/receipt/"))
    client.force_login(world.users["street3"])
    assert client.get(f"/dues/payments/{p.pk}/receipt/").status_code == 404
    assert client.get(f"/dues/members/{m.pk}/pay/").status_code == 404


def test_hardship_through_the_console(world, client, clock):
    m = dues_member(world, month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/",
        {
            "form": "hardship",
            "kind": "waive",
            "from_month": "2026-08",
            "to_month": "2026-09",
            "reason": "失业",
        },
    )
    assert r.status_code == 302
    h = Hardship.objects.get()
    r = client.post(f"/dues/hardships/{h.pk}/transition/", {"action": "agree"})
    assert r.status_code == 302
    r = client.post(f"/dues/hardships/{h.pk}/transition/", {"action": "approve"})
    assert r.status_code == 403  # the branch's decider is not the next level
    client.force_login(world.users["street"])
    client.post(f"/dues/hardships/{h.pk}/transition/", {"action": "approve"})
    h.refresh_from_db()
    assert h.state == "approved"


def test_member_sees_own_dues_on_the_phone(world, client, clock):
    mine = dues_member(
        world, base="4000", month="2026-03", name="手机党员", user=world.users["member"]
    )
    other = dues_member(world, month="2026-01", name="别的党员")
    p = pay(world, mine, ["2026-06", "2026-07"])
    q = pay(world, other, ["2026-07"])
    client.force_login(world.users["member"])
    home = text(client.get("/m/"))
    assert "我的党费" in home
    page = text(client.get("/m/dues/"))
    assert "40.00 元" in page and "已交" in page
    assert "2026年3月、2026年4月、2026年5月" in page  # the arrears
    assert "连续3个月未交" in page
    assert p.receipt_no in page and "别的党员" not in page
    assert p.receipt_no in text(client.get(f"/m/dues/receipts/{p.pk}/"))
    assert client.get(f"/m/dues/receipts/{q.pk}/").status_code == 404
    client.force_login(world.users["resident"])
    assert "我的党费" not in text(client.get("/m/"))
    client.force_login(world.users["community"])
    assert "没有关联党员档案" in text(client.get("/m/dues/"))
