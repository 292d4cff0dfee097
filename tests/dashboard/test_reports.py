"""Statistical reports: the tables for a node and a year, the .xlsx with merged headers equal to
the JSON, scoped (a street sees nothing above or beside it), audited exports."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from python_calamine import CalamineWorkbook

from dangjian.core.models import AuditEntry
from dangjian.members.models import Member
from tests.orglife.helpers import people

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(world):
    o = world.orgs
    people(o["grid_branch"], 3)
    people(o["grid_branch"], 1, status="probationary")
    people(o["street2_wc"], 2)
    people(o["village_branch"], 4)
    m = Member.objects.filter(org=o["grid_branch"]).first()
    Member.objects.filter(pk=m.pk).update(
        gender="female", ethnicity="04", joined_on=dt.date(2025, 3, 1)
    )
    return world


def _rows(body):
    return {r["label"]: r["values"] for r in body["rows"]}


def test_list_of_tables(world, api):
    r = api.get(world.users["street"], "/api/v1/reports/")
    assert r.status_code == 200
    codes = [i["code"] for i in r.json()["items"]]
    assert "members_basic" in codes and "event_rates_by_node" in codes
    assert r.json()["count"] == len(codes)


def test_members_basic_by_child(filed, api):
    w = filed
    r = api.get(w.users["county"], "/api/v1/reports/members_basic/", node=w.nodes["county"].pk)
    assert r.status_code == 200, r.content
    body = r.json()
    rows = _rows(body)
    # total, full, probationary, male, female, han, minority
    assert rows["龙桥街道"] == [4, 3, 1, 3, 1, 3, 1]
    assert rows["凤凰山街道"] == [2, 2, 0, 2, 0, 2, 0]
    assert rows["华亭镇"] == [4, 4, 0, 4, 0, 4, 0]
    assert rows["合计"] == [10, 9, 1, 9, 1, 9, 1]
    assert body["header"][0][0] == {"text": "单位", "colspan": 1, "rowspan": 2}
    assert body["header"][0][2] == {"text": "党员类别", "colspan": 2, "rowspan": 1}


def test_street_sees_nothing_above_or_beside(filed, api):
    w = filed
    street = w.users["street"]
    for key in ("county", "city", "street2", "street3"):
        r = api.get(street, "/api/v1/reports/members_basic/", node=w.nodes[key].pk)
        assert r.status_code == 404, key
    r = api.get(street, "/api/v1/reports/members_basic/")
    body = r.json()
    assert body["node"]["name"] == "龙桥街道"
    assert _rows(body)["合计"][0] == 4
    assert "凤凰山" not in r.content.decode()
    r = api.get(w.users["street3"], "/api/v1/reports/orgs_kind_sector/")
    assert "龙桥" not in r.content.decode()
    assert _rows(r.json())["合计"][0] == 0


def test_every_table_answers(filed, api):
    w = filed
    for code in [i["code"] for i in api.get(w.users["county"], "/api/v1/reports/").json()["items"]]:
        r = api.get(w.users["county"], f"/api/v1/reports/{code}/", node=w.nodes["county"].pk)
        assert r.status_code == 200, (code, r.content)
        body = r.json()
        width = sum(c["colspan"] for c in body["header"][0])
        assert all(len(row["values"]) == width - 1 for row in body["rows"]), code


def test_development_counts_the_year(filed, api):
    w = filed
    r = api.get(
        w.users["county"],
        "/api/v1/reports/development_losses/",
        node=w.nodes["county"].pk,
        year=2025,
    )
    assert _rows(r.json())["龙桥街道"] == [1, 0, 0, 0]
    r = api.get(
        w.users["county"],
        "/api/v1/reports/development_losses/",
        node=w.nodes["county"].pk,
        year=2024,
    )
    assert _rows(r.json())["合计"] == [0, 0, 0, 0]


@pytest.mark.parametrize("year", [1900, 3000])
def test_bad_year_is_422(world, api, year):
    r = api.get(world.users["county"], "/api/v1/reports/development_losses/", year=year)
    assert r.status_code == 422
    assert "year" in r.content.decode()


def test_unknown_table_is_404(world, api):
    assert api.get(world.users["county"], "/api/v1/reports/nope/").status_code == 404


def _merges(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    return re.findall(r'<mergeCell ref="([A-Z]+\d+:[A-Z]+\d+)"', xml)


def test_xlsx_has_merged_headers_and_the_json_figures(filed, api):
    w = filed
    params = {"node": w.nodes["county"].pk}
    body = api.get(w.users["county"], "/api/v1/reports/members_basic/", **params).json()
    before = AuditEntry.objects.filter(action="dashboard.report_export").count()
    r = api.get(w.users["county"], "/api/v1/reports/members_basic/", format="xlsx", **params)
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    merges = _merges(r.content)
    # the title across the table; 单位 and 党员总数 over two rows; three groups over two columns
    assert set(merges) == {"A1:H1", "A3:A4", "B3:B4", "C3:D3", "E3:F3", "G3:H3"}
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(r.content)).get_sheet_by_index(0)
    cells = sheet.to_python()
    assert cells[0][0] == body["title"]
    assert cells[2][0] == "单位" and cells[2][2] == "党员类别" and cells[3][2] == "正式党员"
    data = {row[0]: [int(v) for v in row[1:8]] for row in cells[4 : 4 + len(body["rows"])]}
    assert data == _rows(body)
    assert any("导出人" in str(row[0]) for row in cells)
    assert AuditEntry.objects.filter(action="dashboard.report_export").count() == before + 1


def test_report_query_count(filed, api, django_assert_max_num_queries):
    w = filed
    user = w.users["county"]
    api.get(user, "/api/v1/reports/")
    for code in ("members_basic", "members_age", "orgs_kind_sector", "development_losses"):
        with django_assert_max_num_queries(8):
            assert api.get(user, f"/api/v1/reports/{code}/").status_code == 200


def test_console_pages(filed, client):
    w = filed
    client.force_login(w.users["street"])
    r = client.get("/reports/")
    assert r.status_code == 200 and "党员基本情况" in r.content.decode()
    r = client.get("/reports/members_basic/")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'colspan="2"' in html and 'rowspan="2"' in html
    assert "format=xlsx" in html
    assert client.get(f"/reports/members_basic/?node={w.nodes['county'].pk}").status_code == 404
    r = client.get("/reports/development_losses/?year=abc")
    assert r.status_code == 200 and "年份" in r.content.decode()
