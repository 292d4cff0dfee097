"""The schedule form and the plan item forms are Django forms: a bad value shows the
service's (or the parser's) message on its own field, what was typed stays, nothing is written."""

import re

import pytest
from django.utils import timezone

from dangjian.orglife import plans
from dangjian.orglife.models import PlanItem, Session

pytestmark = pytest.mark.django_db
YEAR = timezone.localdate().year


def errors_of(html: str, name: str) -> list[str]:
    """The error lines of the ``console/_field.html`` block holding the input named ``name``."""
    for block in html.split('<div class="field')[1:]:
        if f'name="{name}"' in block:
            return re.findall(r'<div class="error">([^<]*)</div>', block)
    raise AssertionError(f"no field {name}")


def test_schedule_errors_sit_on_their_fields(client, secretary, branch, ten):
    client.force_login(secretary)
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "theme_day",
            "topic": "重温入党誓词",
            "starts_at": "2026-12-05T11:00",
            "ends_at": "2026-12-05T09:00",
            "host_id": ten[0].pk,
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "ends_at") == ["结束时间须晚于开始时间"]
    assert errors_of(html, "topic") == [] and errors_of(html, "starts_at") == []
    assert 'value="重温入党誓词"' in html
    assert f'<option value="{ten[0].pk}" selected>' in html
    assert not Session.objects.exists()


def test_schedule_unreadable_time_and_member_id(client, secretary, branch, ten):
    client.force_login(secretary)
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "committee_meeting",
            "topic": "",
            "starts_at": "明天",
            "ends_at": "2026-12-05T11:00",
            "committee_ids": ["x"],
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "starts_at") == ["请填写有效的日期和时间"]
    assert errors_of(html, "ends_at") == []
    assert errors_of(html, "committee_ids") == ["党员编号无效"]
    assert not Session.objects.exists()


def test_schedule_good_input_still_redirects(client, secretary, branch, ten):
    client.force_login(secretary)
    r = client.post(
        "/orglife/sessions/new/",
        {
            "org": branch.pk,
            "session_type": "committee_meeting",
            "topic": "研究发展党员",
            "starts_at": "2026-12-05T09:00",
            "ends_at": "2026-12-05T11:00",
            "committee_ids": [ten[0].pk, ten[1].pk],
            "recorder_id": ten[2].pk,
        },
    )
    s = Session.objects.get()
    assert (r.status_code, r["Location"]) == (302, f"/orglife/sessions/{s.pk}/")
    assert s.recorder_id == ten[2].pk and s.topic == "研究发展党员"


def test_plan_item_add_and_edit_show_the_service_message_on_the_field(client, secretary, branch):
    plan = plans.plan_create(
        actor=secretary,
        org=branch,
        year=YEAR,
        quarter=1,
        items=[{"session_type": "party_lesson", "month": 3, "topic": "学习新党章"}],
    )
    item = plan.items.get()
    client.force_login(secretary)
    r = client.post(
        f"/orglife/plans/{plan.pk}/items/new/",
        {"session_type": "theme_day", "month": "7", "topic": "重温入党誓词"},
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "month") == ["计划月份应在1至3月之间"]
    assert errors_of(html, "topic") == [] and 'value="重温入党誓词"' in html
    assert PlanItem.objects.filter(plan=plan).count() == 1
    r = client.post(
        f"/orglife/plans/items/{item.pk}/",
        {"session_type": "party_lesson", "month": "2", "topic": "  "},
    )
    html = r.content.decode()
    assert r.status_code == 422 and errors_of(html, "topic") == ["请填写主题"]
    assert errors_of(html, "month") == []
    item.refresh_from_db()
    assert (item.month, item.topic) == (3, "学习新党章")
    r = client.post(
        f"/orglife/plans/items/{item.pk}/",
        {"session_type": "party_lesson", "month": "2", "topic": "学习党章"},
    )
    assert (r.status_code, r["Location"]) == (302, f"/orglife/plans/{plan.pk}/")
    item.refresh_from_db()
    assert (item.month, item.topic) == (2, "学习党章")


def test_plan_head_errors_sit_on_their_fields_and_rows_keep_theirs(client, secretary, branch):
    from dangjian.orglife.models import Plan

    client.force_login(secretary)
    r = client.post(
        "/orglife/plans/new/",
        {
            "org": "",
            "year": "abc",
            "quarter": "7",
            "title": "年度计划",
            "item_type": ["party_lesson"],
            "item_month": ["3"],
            "item_topic": ["学习党章"],
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert errors_of(html, "org") == ["请选择党组织"]
    assert errors_of(html, "year") == ["年度应为2000至2100之间的四位数字"]
    assert errors_of(html, "quarter") == ["季度应为1至4"]
    assert errors_of(html, "title") == [] and 'value="年度计划"' in html
    assert 'value="学习党章"' in html
    assert not Plan.objects.exists()
    r = client.post(
        "/orglife/plans/new/",
        {
            "org": branch.pk,
            "year": str(YEAR),
            "quarter": "1",
            "item_type": ["party_lesson"],
            "item_month": ["5"],
            "item_topic": [""],
        },
    )
    html = r.content.decode()
    assert r.status_code == 422
    assert "计划月份应在1至3月之间" in html and "请填写主题" in html
    assert errors_of(html, "org") == [] and errors_of(html, "year") == []
    assert not Plan.objects.exists()


def test_attendance_row_answers_with_the_message_and_changes_nothing(
    client, secretary, branch, ten
):
    from dangjian.orglife.models import Attendance
    from tests.orglife.helpers import schedule

    s = schedule(secretary, branch)
    client.force_login(secretary)
    before = list(Attendance.objects.filter(session=s).values_list("member_id", "status"))
    r = client.post(
        f"/orglife/sessions/{s.pk}/mark/", {"member_id": ten[0].pk, "status": "late"}, follow=True
    )
    assert "出席情况只能是出席、缺席或请假" in r.content.decode()
    r = client.post(f"/orglife/sessions/{s.pk}/mark/", {"member_id": "x", "status": "present"})
    assert (r.status_code, r["Location"]) == (302, f"/orglife/sessions/{s.pk}/")
    assert "党员编号无效" in client.get(r["Location"]).content.decode()
    assert list(Attendance.objects.filter(session=s).values_list("member_id", "status")) == before
    r = client.post(
        f"/orglife/sessions/{s.pk}/mark/", {"member_id": ten[0].pk, "status": "present"}
    )
    assert r.status_code == 302
    assert Attendance.objects.get(session=s, member=ten[0]).status == "present"


def test_minutes_keep_line_ends_as_one_character(client, secretary, branch, ten):
    from tests.orglife.helpers import schedule

    s = schedule(secretary, branch)
    client.force_login(secretary)
    r = client.post(f"/orglife/sessions/{s.pk}/minutes/", {"minutes": " 一、学习\r\n二、讨论\x00 "})
    assert (r.status_code, r["Location"]) == (302, f"/orglife/sessions/{s.pk}/")
    s.refresh_from_db()
    assert s.minutes == "一、学习\n二、讨论"
