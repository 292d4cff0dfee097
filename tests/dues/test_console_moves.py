"""The reversal and the hardship moves are Django forms (the web kit's ``NoteForm`` and
``TransitionForm``): a refusal answers with the service's Chinese message and writes nothing;
the payment and remittance pages keep their values and their form key on a refusal."""

import pytest
import time_machine

from dangjian.dues.models import DuesPayment, DuesRemittance, Hardship
from dangjian.dues.services import hardship_request
from tests.dues.helpers import at, dues_member, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


def flash(client, url) -> str:
    return client.get(url).content.decode()


def test_reversal_without_a_reason_is_refused_with_the_message(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    p = pay(world, m, ["2026-07"])
    client.force_login(world.users["community"])
    r = client.post(f"/dues/payments/{p.pk}/reverse/", {"note": "   "})
    assert r.status_code == 302 and r["Location"] == f"/dues/payments/{p.pk}/receipt/"
    assert "请填写冲正原因（note）" in flash(client, r["Location"])
    assert DuesPayment.objects.get(pk=p.pk).reversed_at is None
    r = client.post(f"/dues/payments/{p.pk}/reverse/", {"note": "录入错误"})
    assert DuesPayment.objects.get(pk=p.pk).reversed_at is not None


def test_hardship_moves_refused_with_the_message(world, client, clock):
    m = dues_member(world, month="2026-01")
    h = hardship_request(
        actor=world.users["community"],
        member=m,
        kind="waive",
        from_month="2026-08",
        to_month="2026-09",
        reason="失业",
    )
    client.force_login(world.users["community"])
    r = client.post(f"/dues/hardships/{h.pk}/transition/", {"action": "reject", "note": ""})
    assert r.status_code == 302 and r["Location"] == f"/dues/members/{m.pk}/"
    assert "请填写不同意的理由（note）" in flash(client, r["Location"])
    r = client.post(f"/dues/hardships/{h.pk}/transition/", {"action": "nonsense"})
    assert r.status_code == 302 and "不支持的操作，可用操作" in flash(client, r["Location"])
    assert Hardship.objects.get(pk=h.pk).state == "requested"


def test_pay_refusal_keeps_the_form_key(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/pay/",
        {"months": ["2026-07"], "paid_on": "2026-07-16", "client_key": "key-kept"},
    )
    html = r.content.decode()
    assert r.status_code == 200 and 'name="client_key" value="key-kept"' in html
    assert DuesPayment.objects.count() == 0


def test_remittance_choice_messages(world, client, clock):
    a = dues_member(world, month="2026-07", name="甲")
    pay(world, a, ["2026-07"])
    branch = world.orgs["grid_branch"]
    client.force_login(world.users["community"])
    r = client.get("/dues/remittances/new/", {"org": branch.pk, "month": "七月"})
    html = r.content.decode()
    assert r.status_code == 200
    assert "月份（month）格式应为YYYY-MM" in html and 'value="七月"' in html
    assert 'id="rem-summary"' not in html
    r = client.post(
        "/dues/remittances/new/",
        {"org": "", "month": "2026-13", "amount": "1", "client_key": "k-x"},
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert "请选择上缴的党支部" in html and "月份（month）格式应为YYYY-MM" in html
    assert DuesRemittance.objects.count() == 0
    # a blank month is the current one
    r = client.get("/dues/remittances/new/", {"org": branch.pk})
    assert r.status_code == 200 and 'value="2026-07"' in r.content.decode()
