"""The applicants' list (issue 18): sortable columns through a ``?sort=`` whitelist and Excel
export with the list's filters, audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dangjian.core import excel
from dangjian.core.models import AuditEntry
from tests.development import helpers as h

pytestmark = pytest.mark.django_db


def names_in(html: str, names) -> list[str]:
    found = [(html.find(n), n) for n in names if n in html]
    return [n for _, n in sorted(found)]


def test_sort_by_a_whitelisted_column_and_ignore_others(world, client):
    a = h.walk(world, h.applicant(world, name="甲申请"), 3, dt.date(2026, 1, 5))
    b = h.applicant(world, name="乙申请")
    client.force_login(world.users["community"])
    names = [a.name, b.name]
    asc = names_in(client.get("/development/?sort=stage").content.decode(), names)
    desc = names_in(client.get("/development/?sort=-stage").content.decode(), names)
    assert asc == [b.name, a.name] and desc == [a.name, b.name]
    html = client.get("/development/?sort=-stage").content.decode()
    assert 'aria-sort="descending"' in html and "sort=stage" in html
    # a column nobody declared (or an injection attempt) is the default order, not an error
    for bad in ("id_number", "-birth_date", "name;drop", "org__name"):
        r = client.get(f"/development/?sort={bad}")
        assert r.status_code == 200


def test_export_keeps_the_filters_and_is_audited(world, client):
    a = h.walk(world, h.applicant(world, name="甲申请"), 3, dt.date(2026, 1, 5))
    h.applicant(world, name="乙申请")
    client.force_login(world.users["community"])
    page = client.get("/development/?stage=2").content.decode()
    # the export is the POST of a CSRF form, the filters in its address (never a GET link)
    action = re.search(r'<form method="post" action="([^"]*)" class="export-form">', page).group(1)
    assert "stage=2" in action and 'name="csrfmiddlewaretoken"' in page
    assert client.get("/development/?stage=2&export=xlsx")["Content-Type"].startswith("text/html")
    r = client.post("/development/" + action.replace("&amp;", "&"), {"export": "xlsx"})
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    rows = [list(row.values) for row in excel.read_rows(r.content)]
    assert rows[0][0] == "姓名"
    body = [r for r in rows[1:] if r[0]]
    assert [r[0] for r in body if "申请" in str(r[0])] == [a.name]
    assert any("导出人" in str(r[0]) for r in rows)
    entry = AuditEntry.objects.get(action="list.export")
    assert entry.after["filters"]["stage"] == "2" and entry.after["rows"] == 1
