"""Batch actions (issue 18): mark the ticked members, or everyone still unmarked, present in
one step, through ``attendance_mark`` (each audited); all or nothing."""

import pytest

from dangjian.core.models import AuditEntry
from dangjian.orglife.models import Attendance
from tests.orglife.helpers import at, schedule

pytestmark = pytest.mark.django_db


def test_mark_selected_then_everyone_present(client, secretary, branch, ten):
    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 5))
    client.force_login(secretary)
    page = client.get(f"/orglife/sessions/{s.pk}/").content.decode()
    assert 'id="batch-present"' in page and 'data-check-all="member_ids"' in page
    url = f"/orglife/sessions/{s.pk}/mark-present/"
    r = client.post(url, {"member_ids": [ten[0].pk, ten[1].pk]})
    assert r.status_code == 302
    present = Attendance.objects.filter(session=s, status="present")
    assert set(present.values_list("member_id", flat=True)) == {ten[0].pk, ten[1].pk}
    assert AuditEntry.objects.filter(action="orglife.attendance.mark").count() == 2
    client.post(url, {"all": "1"})
    assert present.count() == 10
    assert "已将8名党员登记为出席" in client.get(f"/orglife/sessions/{s.pk}/").content.decode()


def test_a_bad_id_marks_nobody(client, secretary, branch, ten):
    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 5))
    client.force_login(secretary)
    url = f"/orglife/sessions/{s.pk}/mark-present/"
    client.post(url, {"member_ids": [ten[0].pk, 99999999]})
    assert not Attendance.objects.filter(session=s, status="present").exists()
    r = client.post(url, {"member_ids": ["x"]}, follow=True)
    assert "党员编号无效" in r.content.decode()
    r = client.post(url, {}, follow=True)
    assert "请选择要登记为出席的党员" in r.content.decode()


def test_members_may_not(client, world, secretary, branch, ten):
    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 5))
    client.force_login(world.users["member"])
    r = client.post(f"/orglife/sessions/{s.pk}/mark-present/", {"all": "1"})
    assert r.status_code in (302, 403, 404)
    assert not Attendance.objects.filter(session=s, status="present").exists()


def test_full_screen_qr_for_a_projector(client, world, secretary, branch, ten):
    s = schedule(secretary, branch, "theme_day", start=at(2026, 11, 5), topic="投影签到")
    client.force_login(secretary)
    page = client.get(f"/orglife/sessions/{s.pk}/").content.decode()
    assert f"/orglife/sessions/{s.pk}/qr/" in page
    r = client.get(f"/orglife/sessions/{s.pk}/qr/")
    html = r.content.decode()
    assert r.status_code == 200 and "<svg" in html and "投影签到" in html
    assert "已签到 0 / 10 人" in html and 'class="sidebar"' not in html
    client.force_login(world.users["member"])
    r = client.get(f"/orglife/sessions/{s.pk}/qr/")
    assert r.status_code in (302, 403, 404) and "<svg" not in r.content.decode()


def test_calendar_colours_mean_what_people_expect(client, secretary, branch, ten):
    import datetime as dt

    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    later = schedule(secretary, branch, "theme_day", start=now + dt.timedelta(days=1))
    past = schedule(
        secretary, branch, "theme_day", start=now - dt.timedelta(days=1), topic="待归档"
    )
    client.force_login(secretary)
    month = timezone.localtime(now).strftime("%Y-%m")
    html = client.get("/orglife/", {"org": branch.pk, "month": month}).content.decode()
    if timezone.localtime(later.starts_at).strftime("%Y-%m") == month:
        assert f'class="ev upcoming" href="/orglife/sessions/{later.pk}/"' in html
    if timezone.localtime(past.starts_at).strftime("%Y-%m") == month:
        assert f'class="ev unrecorded" href="/orglife/sessions/{past.pk}/"' in html
    assert "待召开" in html and "已结束待归档" in html and "已召开归档" in html
