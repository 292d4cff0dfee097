"""The member page's two forms are Django forms: a service's message lands on the field it
names (an input of the form keeps what was typed) and nothing is written."""

import re

import pytest
import time_machine

from dangjian.dues.models import DuesBase, DuesProfile, Hardship
from tests.dues.helpers import at, dues_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 7, 15), tick=False):
        yield


def errors_of(html: str, name: str) -> list[str]:
    blocks = html.split('<div class="field')
    for block in blocks:
        if f'name="{name}"' in block:
            return re.findall(r'<div class="error">([^<]*)</div>', block)
    raise AssertionError(f"no field {name}")


def test_a_negative_base_shows_on_the_base_field_and_writes_nothing(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    bases = list(DuesBase.objects.values_list("pk", "base"))
    r = client.post(
        f"/dues/members/{m.pk}/",
        {"form": "profile", "category": "in_service", "base": "-1", "note": "调资"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert errors_of(html, "base") == ["缴费基数（base）不能为负数"]
    assert errors_of(html, "category") == [] and errors_of(html, "note") == []
    assert 'name="base" value="-1"' in html and 'value="调资"' in html
    assert list(DuesBase.objects.values_list("pk", "base")) == bases


def test_a_good_profile_still_saves_and_redirects(world, client, clock):
    m = dues_member(world, base="4000", month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/",
        {
            "form": "profile",
            "category": "in_service",
            "base": "12000",
            "effective_month": "2026-08",
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/dues/members/{m.pk}/"
    assert (
        DuesBase.objects.filter(profile__member=m).order_by("-effective_month").first().base
        == 12000
    )


def test_a_hardship_without_a_reason_shows_on_the_reason_field(world, client, clock):
    m = dues_member(world, month="2026-01")
    client.force_login(world.users["community"])
    r = client.post(
        f"/dues/members/{m.pk}/",
        {"form": "hardship", "kind": "waive", "from_month": "2026-09", "to_month": "2026-08"},
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert errors_of(html, "reason") == ["请填写困难情况（reason）"]
    assert errors_of(html, "to_month") == ["截止月份不能早于起始月份"]
    assert errors_of(html, "kind") == []
    assert Hardship.objects.count() == 0
    # The profile form on the same page is untouched by the hardship form's errors.
    assert errors_of(html, "base") == []
    assert DuesProfile.objects.filter(member=m).count() == 1
