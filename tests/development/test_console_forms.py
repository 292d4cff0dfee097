"""The registration of an applicant is a Django form: every bad value shows the service's
message on its own field at once, what was typed stays, nothing is written."""

import re

import pytest

from dangjian.development.models import Applicant
from tests.development import helpers as h

pytestmark = pytest.mark.django_db


def errors_of(html: str, name: str) -> list[str]:
    """The error lines of the ``console/_field.html`` block holding the input named ``name``."""
    for block in html.split('<div class="field')[1:]:
        if f'name="{name}"' in block:
            return re.findall(r'<div class="error">([^<]*)</div>', block)
    raise AssertionError(f"no field {name}")


def test_every_bad_value_on_its_field_and_nothing_written(world, client):
    client.force_login(world.users["community"])
    r = client.post(
        "/development/new/",
        {
            "org": world.orgs["grid_branch"].pk,
            "name": "",
            "ethnicity": "99",
            "work_unit": "街道办",
        },
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert errors_of(html, "name") == ["请填写姓名"]
    assert errors_of(html, "ethnicity") == [
        "民族代码无效，应为国家标准（GB/T 3304）代码，如汉族为01"
    ]
    assert errors_of(html, "work_unit") == []
    assert 'value="街道办"' in html
    assert not Applicant.objects.exists()


def test_missing_org_shows_on_the_org_field(world, client):
    client.force_login(world.users["community"])
    r = client.post(
        "/development/new/",
        {"org": "", "name": "钱申请", "ethnicity": "01", "id_number": h.id_no("19980101", 77)},
    )
    html = r.content.decode()
    assert errors_of(html, "org") == ["请选择所在党组织"]
    assert errors_of(html, "name") == [] and 'value="钱申请"' in html
    assert not Applicant.objects.exists()
    r = client.post(
        "/development/new/",
        {
            "org": world.orgs["grid_branch"].pk,
            "name": "钱申请",
            "ethnicity": "01",
            "id_number": h.id_no("19980101", 77),
        },
    )
    a = Applicant.objects.get()
    assert (r.status_code, r["Location"]) == (302, f"/development/{a.pk}/")
    assert a.name == "钱申请" and a.org_id == world.orgs["grid_branch"].pk


def test_a_bad_target_is_named_and_nothing_saved(world, client):
    import datetime as dt

    from dangjian.development.models import DevelopmentTarget

    node = world.orgs["county_committee"]
    with h.travel(dt.date(2026, 6, 1)):
        client.force_login(world.users["county"])
        form = {"tree": "org", "node": node.pk, "year": 2026, "activists": "-1", "candidates": ""}
        r = client.post("/development/board/targets/", form)
        assert (r.status_code, r["Location"]) == (
            302,
            f"/development/board/?org={node.pk}&year=2026",
        )
        page = client.get(r["Location"]).content.decode()
    assert "年度目标未保存：入党积极分子目标应为非负整数" in page
    assert not DevelopmentTarget.objects.exists()
    with h.travel(dt.date(2026, 6, 1)):
        form = {**form, "activists": "5"}
        r = client.post("/development/board/targets/", form)
    t = DevelopmentTarget.objects.get(org=node, year=2026)
    assert (t.activists, t.candidates, t.new_members) == (5, 0, 0)
