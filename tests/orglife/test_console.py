"""Console pages (calendar, session record, compliance board, drill-down) and mobile pages
(upcoming, check-in by QR, my attendance)."""

import datetime as dt

import pytest
import time_machine

from dangjian.orglife import services
from dangjian.orglife.models import Attendance
from tests.orglife.helpers import at, hold, member_user, people, schedule
from tests.world import org

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))


def test_calendar_shows_the_months_sessions(client, secretary, branch, ten):
    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 5), topic="重温入党誓词")
    client.force_login(secretary)
    r = client.get("/orglife/", {"org": branch.pk, "month": "2026-11"})
    html = r.content.decode()
    assert r.status_code == 200 and "2026年11月" in html
    assert f"/orglife/sessions/{s.pk}/" in html and "重温入党誓词" in html
    assert "组织生活" in html  # the menu entry
    r = client.get("/orglife/", {"org": branch.pk, "month": "2026-10"})
    assert "重温入党誓词" not in r.content.decode()


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2026-13", "x"])
def test_a_month_past_the_bounds_shows_this_month(client, secretary, branch, month):
    """A typed month the calendar cannot page from (its neighbours would overflow) is a typo:
    the page shows the current month, as for any month it cannot read, never a 500."""
    client.force_login(secretary)
    r = client.get("/orglife/", {"org": branch.pk, "month": month})
    today = dt.date.today()
    assert r.status_code == 200
    assert f"{today.year}年{today.month}月" in r.content.decode()


def test_session_page_validity_and_qr(client, secretary, branch, ten):
    s = schedule(secretary, branch)
    client.force_login(secretary)
    html = client.get(f"/orglife/sessions/{s.pk}/").content.decode()
    assert "不符合规定" in html and "至少需6人" in html
    assert "<svg" in html and "/m/orglife/checkin/" in html
    for m in ten[:6]:
        r = client.post(f"/orglife/sessions/{s.pk}/mark/", {"member_id": m.pk, "status": "present"})
        assert r.status_code == 302
    html = client.get(f"/orglife/sessions/{s.pk}/").content.decode()
    assert "实到6人，超过半数，会议有效" in html


def test_session_page_out_of_scope_is_404(client, world, secretary, branch, ten):
    s = schedule(secretary, branch)
    client.force_login(world.users["street3"])
    assert client.get(f"/orglife/sessions/{s.pk}/").status_code == 404


def test_compliance_board_and_drill_down(client, world, secretary, branch, ten):
    other = org(world.orgs["community_committee"], "第二网格党支部", "branch", world.grid2)
    people(other, 3)
    hold(secretary, branch, "theme_day", at(2026, 11, 1))
    with time_machine.travel(dt.datetime(2026, 12, 2, 10, tzinfo=TZ), tick=False):
        client.force_login(secretary)
        r = client.get(
            "/orglife/compliance/",
            {"org": world.orgs["community_committee"].pk, "period": "2026-11"},
        )
        html = r.content.decode()
        assert r.status_code == 200 and "2026年11月" in html
        assert "第二网格党支部" in html and "rag-red" in html
        assert f"/orglife/compliance/branch/{other.pk}/" in html
        r = client.get(f"/orglife/compliance/branch/{other.pk}/", {"period": "2026-11"})
        html = r.content.decode()
        assert "主题党日" in html and "未完成" in html
        r = client.get("/orglife/compliance/", {"period": "2026-13"})
        assert "期间格式" in r.content.decode()


def test_mobile_checkin_by_qr(client, world, secretary, branch, ten):
    user = member_user(ten[0])
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    with time_machine.travel(dt.datetime(2026, 11, 20, 8, 50, tzinfo=TZ), tick=False):
        url = f"/m/orglife/checkin/{services.checkin_token(s)}/"
        client.force_login(user)
        assert "确认签到" in client.get(url).content.decode()
        r = client.post(url, follow=True)
        assert "签到成功" in r.content.decode()
        r = client.post(url, follow=True)
        assert "请勿重复签到" in r.content.decode()
    assert Attendance.objects.get(session=s, member=ten[0]).method == "qr"
    other = org(world.orgs["community_committee"], "第二网格党支部", "branch", world.grid2)
    stranger = member_user(people(other, 1)[0])
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=TZ), tick=False):
        client.force_login(stranger)
        url = f"/m/orglife/checkin/{services.checkin_token(s)}/"
        r = client.post(url)
        assert client.get("/m/orglife/checkin/forged/").status_code == 404
    assert "也未受邀参加" in r.content.decode()


def test_mobile_upcoming_and_attendance(client, secretary, branch, ten):
    user = member_user(ten[0])
    hold(secretary, branch, "theme_day", at(2026, 11, 1), topic="已开过的主题党日")
    future = timezone_now_plus(days=3)
    schedule(secretary, branch, "party_lesson", start=future, topic="即将开的党课")
    client.force_login(user)
    html = client.get("/m/orglife/").content.decode()
    assert "即将开的党课" in html and "已开过的主题党日" not in html
    html = client.get("/m/orglife/attendance/").content.decode()
    assert "已开过的主题党日" in html and "缺席" in html
    assert "组织生活" in client.get("/m/").content.decode()


def timezone_now_plus(days):
    from django.utils import timezone

    return (timezone.now() + dt.timedelta(days=days)).replace(microsecond=0)


def test_secretary_schedules_a_session_from_the_console(client, secretary, branch, ten):
    client.force_login(secretary)
    page = client.get("/orglife/", {"org": branch.pk}).content.decode()
    assert f"/orglife/sessions/new/?org={branch.pk}" in page
    form = client.get("/orglife/sessions/new/", {"org": branch.pk})
    assert form.status_code == 200 and ten[0].name in form.content.decode()
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "theme_day",
            "topic": "重温入党誓词",
            "starts_at": "2026-12-05T09:00",
            "ends_at": "2026-12-05T11:00",
            "place": "党群服务中心",
            "host_id": ten[0].pk,
        },
    )
    from dangjian.orglife.models import Session

    session = Session.objects.get(org=branch)
    assert r.status_code == 302 and r["Location"] == f"/orglife/sessions/{session.pk}/"
    assert session.host_id == ten[0].pk and session.place == "党群服务中心"
    assert Attendance.objects.filter(session=session).count() == 10


def test_bad_schedule_input_names_the_field_and_writes_nothing(client, secretary, branch, ten):
    from dangjian.orglife.models import Session

    client.force_login(secretary)
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "committee_meeting",
            "topic": "",
            "starts_at": "2026-12-05T11:00",
            "ends_at": "2026-12-05T09:00",
        },
    )
    html = r.content.decode()
    assert r.status_code == 422 and "请填写主题" in html
    assert not Session.objects.exists()
    r = client.post(
        "/orglife/sessions/new/",
        {"org": branch.pk, "session_type": "theme_day", "topic": "x", "starts_at": "明天"},
    )
    assert r.status_code == 422 and "请填写有效的日期和时间" in r.content.decode()
    assert not Session.objects.exists()


def test_schedule_form_out_of_scope_is_404_and_members_may_not(client, world, branch, ten):
    client.force_login(world.users["street3"])
    assert client.get("/orglife/sessions/new/", {"org": branch.pk}).status_code == 404
    assert client.get("/orglife/sessions/new/", {"org": "x"}).status_code == 404
    client.force_login(world.users["member"])
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "theme_day",
            "topic": "x",
            "starts_at": "2026-12-05T09:00",
            "ends_at": "2026-12-05T11:00",
        },
    )
    assert (r.status_code, r["Location"]) == (302, "/m/")  # members have no console pages
    from dangjian.orglife.models import Session

    assert not Session.objects.exists()


def test_the_projector_screen_shows_a_code_that_renews_itself(client, world, secretary, branch):
    s = schedule(secretary, branch, start=at(2026, 11, 20, 9))
    client.force_login(secretary)
    with time_machine.travel(dt.datetime(2026, 11, 20, 8, 50, tzinfo=TZ), tick=False):
        page = client.get(f"/orglife/sessions/{s.pk}/qr/")
        first = client.get(f"/orglife/sessions/{s.pk}/checkin-qr/")
    with time_machine.travel(dt.datetime(2026, 11, 20, 8, 51, 5, tzinfo=TZ), tick=False):
        second = client.get(f"/orglife/sessions/{s.pk}/checkin-qr/")
    assert page.status_code == 200 and 'data-refresh-url="/orglife/sessions/' in page.text
    assert 'data-refresh-seconds="60"' in page.text and "<svg" in page.text
    assert first["Cache-Control"] == second["Cache-Control"] == "no-store"
    assert first.text != second.text  # a new code each minute
    member = member_user(people(branch, 1, prefix="旁观")[0])
    client.force_login(member)
    refused = client.get(f"/orglife/sessions/{s.pk}/checkin-qr/")
    assert refused.status_code in (302, 403, 404) and "<svg" not in refused.text
