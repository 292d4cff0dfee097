"""The demo organizational life: a year of sessions whose board shows all three colours."""

import pytest
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.demo.generator import seed
from dangjian.members.models.committee import OrgCommittee
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
    # Committees are recorded for branches of 7+ full members, so committee meetings are
    # judged against them; a few thin meetings are kept but do not count.
    current = OrgCommittee.objects.filter(status="current")
    assert current.count() == counts["orglife_committees"] > 0
    held = Session.objects.filter(state=SessionState.HELD)
    committee_meetings = held.filter(session_type="committee_meeting")
    assert committee_meetings.filter(quorum_ok=True).count() > 0
    assert not committee_meetings.filter(quorum_ok__isnull=True).exists()
    assert held.filter(quorum_ok=False).count() == counts["orglife_invalid_sessions"] > 0
    # 7+ full members: a committee of 3 to 5; fewer: a secretary (and a deputy) only
    for c in OrgCommittee.objects.prefetch_related("seats"):
        assert 1 <= len(c.seats.all()) <= 5
        assert [s.post for s in c.seats.all()].count("secretary") == 1
