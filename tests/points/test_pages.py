"""Console pages (schemes, review, counter) and phone pages (my points, redeeming, boards)."""

import pytest

from dangjian.points.models import Award, Redemption
from tests.points.helpers import credit, item, resident, resident_scheme, rule
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_console_scheme_review_and_counter(world, client):
    s = resident_scheme(world)
    r = rule(world, s, name="美丽庭院", points="20", evidence_required=True)
    u = resident(world)
    staff = world.users["community"]
    _login(client, staff)
    page = client.get("/points/")
    assert page.status_code == 200 and "龙桥社区居民积分" in page.content.decode()
    res = client.post(
        f"/points/schemes/{s.pk}/", {"form": "item", "name": "香皂", "price": "abc", "stock": "3"}
    )
    assert res.status_code == 200 and "积分必须是数字" in res.content.decode()
    res = client.post(
        f"/points/schemes/{s.pk}/", {"form": "item", "name": "香皂", "price": "10", "stock": "3"}
    )
    assert res.status_code == 302
    from dangjian.points import services

    a = services.award_submit(actor=u, rule_id=r.pk, data={"evidence": "院落整洁"})
    page = client.get("/points/review/")
    assert "月度评议通过" in page.content.decode()
    client.post(f"/points/awards/{a.pk}/transition/", {"action": "approve"})
    client.post(f"/points/awards/{a.pk}/transition/", {"action": "score"})
    assert Award.objects.get(pk=a.pk).state == "posted"
    red = services.redemption_create(actor=u, item_id=s.items.get().pk)
    page = client.get("/points/counter/", {"code": red.code})
    assert "确认领取" in page.content.decode()
    client.post("/points/counter/", {"code": red.code})
    assert Redemption.objects.get().state == "used"
    again = client.post("/points/counter/", {"code": red.code})
    assert "不能重复使用" in again.content.decode()
    client.logout()
    _login(client, world.users["street3"])
    assert client.get(f"/points/schemes/{s.pk}/").status_code == 404


def test_phone_my_points_redeem_and_board(world, client):
    s = resident_scheme(world)
    u = resident(world, "赵六")
    credit(world, s, u, points="25")
    it = item(world, s, name="大米", price="20", stock=2)
    _login(client, u)
    home = client.get("/m/").content.decode()
    assert "我的积分" in home
    page = client.get("/m/points/").content.decode()
    assert "25.00 分" in page
    res = client.post(f"/m/points/catalogue/{it.pk}/redeem/")
    assert res.status_code == 302
    r = Redemption.objects.get()
    receipt = client.get(res["Location"]).content.decode()
    assert r.code in receipt and "<svg" in receipt
    res = client.post(f"/m/points/catalogue/{it.pk}/redeem/", follow=True)
    assert "余额不足" in res.content.decode()
    board = client.get("/m/points/boards/").content.decode()
    assert "赵*" in board and "赵六" not in board
