"""The demo organizational life: a year of sessions whose board shows all three colours."""

import pytest
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.demo.generator import seed
from dangjian.orglife import compliance
from dangjian.orglife.models import Attendance, Base, Session, SessionState

pytestmark = pytest.mark.django_db


def test_small_demo_has_green_amber_and_red(client):
    counts = seed("small", progress=False)
    assert counts["orglife_sessions"] == Session.objects.count() > 0
    assert Base.objects.filter(is_open=True).count() == counts["orglife_bases"] >= 1
    assert Attendance.objects.count() == counts["orglife_attendance"] > 0
    admin = User.objects.get(username="demo-admin")
    # In January and February the new year has too little due yet to colour any branch (all
    # green, rightly): the board of the year before shows the demo's full year then.
    today = timezone.localdate()
    year = today.year if today.month >= 3 else today.year - 1
    board = compliance.board(admin, period=str(year))
    colours = {r["colour"] for r in board["branches"]}
    assert colours == {"green", "amber", "red"}, board["totals"]
    # the demo member has a session today, open for check-in, on the mobile page
    member = User.objects.get(username="demo-member")
    client.force_login(member)
    html = client.get("/m/orglife/").content.decode()
    assert "扫码签到演示" in html
    assert Session.objects.filter(state=SessionState.SCHEDULED).exists()
