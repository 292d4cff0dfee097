"""Committees from Excel: rows grouped into committees, every check of the committee record
per committee, row reports, both modes, nothing written on refusal, organizations out of the
actor's reach not found."""

import datetime as dt

import pytest

from dangjian.core.models import AuditEntry
from dangjian.members.models.committee import OrgCommittee
from tests.members.helpers import id_no, member, upload, xlsx

pytestmark = pytest.mark.django_db
URL = "/api/v1/orgs/committees/import"
HEADER = ["党组织代码", "党组织名称", "任期开始", "选举日期", "姓名", "身份证号", "职务", "专职"]


@pytest.fixture
def staff(world):
    return world.users["street"]


@pytest.fixture
def people(world, staff):
    branch = world.orgs["grid_branch"]
    return [member(staff, branch, name=f"委员{i}", id_number=id_no(seq=400 + i)) for i in range(10)]


def rows_for(org_name, start, ms, posts=None):
    posts = posts or ["书记"] + ["委员"] * (len(ms) - 1)
    return [
        ["", org_name, start, "", m.name, m.id_number, p, "是" if p == "书记" else ""]
        for m, p in zip(ms, posts, strict=True)
    ]


def test_import_records_each_committee(api, world, staff, people):
    name = world.orgs["grid_branch"].name
    body = [HEADER]
    body += rows_for(name, dt.date(2021, 3, 1), people[:3])
    body += rows_for(
        name,
        "2026-03-01",
        people[3:9],
        ["书记", "副书记", "组织委员", "宣传委员", "纪检委员", "委员"],
    )
    r = upload(api, staff, URL, xlsx(body, sheet="委员会"))
    assert r.status_code == 200, r.json()
    out = r.json()
    assert (out["created"], out["seats"], out["total"], out["bad_rows"]) == (2, 9, 9, 0)
    assert out["warnings"][0]["message"].endswith("委员会6人，超过5人（一般3至5人，最多7人）")
    old, new = OrgCommittee.objects.order_by("term_start")
    assert (old.status, old.ended_on, new.status) == ("past", dt.date(2026, 2, 28), "current")
    assert new.seats.get(post="secretary").full_time is True
    assert AuditEntry.objects.filter(action="members.committee.record").count() == 2


def test_all_or_nothing_writes_nothing_and_names_rows(api, world, staff, people):
    name = world.orgs["grid_branch"].name
    body = [HEADER]
    body += rows_for(name, "2026-03-01", people[:3])
    body += rows_for(name, "2026-04-01", people[3:5])  # two seats: refused
    body.append(["", "不存在的支部", "2026-03-01", "", "某人", id_no(seq=999), "委员", ""])
    body.append(["", name, "2026/13/01", "", people[6].name, people[6].id_number, "主任", "也许"])
    body.append(["", name, "2026-05-01", "", "张冠李戴", people[7].id_number, "委员", ""])
    r = upload(api, staff, URL, xlsx(body))
    out = r.json()
    assert r.status_code == 200 and out["created"] == 0
    assert out["detail"].endswith("未导入任何委员会")
    got = {(e["row"], e["column"]): e["message"] for e in out["errors"]}
    assert got[(7, "党组织名称")] == "找不到名为不存在的支部的党组织，或您无权管理"
    assert got[(8, "任期开始")] == "日期格式应为 2026-01-31"
    assert got[(8, "职务")].startswith("职务取值无效")
    assert got[(8, "专职")] == "专职应填“是”或“否”"
    assert got[(9, "姓名")] == f"姓名与档案不符（档案为{people[7].name}）"
    assert "现为2人" in got[(5, "职务")]
    assert not OrgCommittee.objects.exists()
    # skip_bad: the good committee is recorded, the others reported.
    r = upload(api, staff, URL, xlsx(body), mode="skip_bad")
    out = r.json()
    assert out["created"] == 1 and out["bad_rows"] == 5
    assert OrgCommittee.objects.get().term_start == dt.date(2026, 3, 1)


def test_organizations_out_of_reach_are_not_found(api, world, people):
    body = [HEADER, *rows_for(world.orgs["grid_branch"].name, "2026-03-01", people[:3])]
    out = upload(api, world.users["street3"], URL, xlsx(body)).json()
    assert out["created"] == 0 and "或您无权管理" in out["errors"][0]["message"]
    # Nor does the import tell whose an ID number filed elsewhere is (issue 19).
    messages = " ".join(e["message"] for e in out["errors"])
    assert "在您的管理范围内找不到该身份证号的党员档案" in messages
    assert not any(m.name in messages for m in people)
    # The community secretary sees the branch but does not manage organizations.
    out = upload(api, world.users["community"], URL, xlsx(body)).json()
    assert out["created"] == 0
    assert not OrgCommittee.objects.exists()


def test_bad_files(api, staff):
    r = upload(api, staff, URL, b"not a workbook")
    assert r.status_code == 422 and "file" in r.json()["errors"]
    r = upload(api, staff, URL, xlsx([["a", "b"]]))
    assert r.status_code == 422 and "找不到表头" in r.json()["detail"]
    r = upload(api, staff, URL, xlsx([HEADER]), mode="half")
    assert r.status_code == 422


def test_template_reads_back(api, staff):
    r = api.get(staff, URL + "/template")
    assert r.status_code == 200
    out = upload(api, staff, URL, r.content).json()
    assert (out["total"], out["created"], out["errors"]) == (0, 0, [])


def test_console_import_page(client, world, staff, people):
    client.force_login(staff)
    assert client.get("/members/committees/import/").status_code == 200
    assert client.get("/members/committees/import/template/").status_code == 200
    body = [HEADER, *rows_for(world.orgs["grid_branch"].name, "2026-03-01", people[:3])]
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        "/members/committees/import/",
        {"file": SimpleUploadedFile("c.xlsx", xlsx(body)), "mode": "all_or_nothing"},
    )
    assert "已导入1个委员会（3名委员）" in r.content.decode()
    r = client.post("/members/committees/import/", {"mode": "all_or_nothing"})
    assert r.status_code == 422 and "请上传Excel文件" in r.content.decode()
