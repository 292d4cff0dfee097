"""Photos on events under /api/v1/cases/{id}/attachments: images only, size-limited, one bad
file refuses all (422, nothing written), scoped like the event (404 outside), and who may add
them (the reporter while open, the department while handling, dispatching staff)."""

from __future__ import annotations

import pytest

from dangjian.cases.models import EventAttachment
from dangjian.core.models import AuditEntry, StoredFile
from tests.cases.helpers import Actors, report

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64


def upload(client, user, api, event_id, *files):
    """A multipart POST with the user's bearer token (field ``file``, repeated)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    payload = {
        "file": [SimpleUploadedFile(name, content, content_type=ct) for name, content, ct in files]
    }
    return client.post(f"/api/v1/cases/{event_id}/attachments", payload, headers=api._headers(user))


@pytest.fixture
def event(world):
    return report(world.users["resident"], "小区东门垃圾堆积发臭，无人清运")


def test_reporter_adds_photos_and_lists_and_downloads_them(client, api, world, event):
    resident = world.users["resident"]
    r = upload(
        client, resident, api, event.pk, ("a.png", PNG, "image/png"), ("b", JPEG, "image/jpeg")
    )
    assert r.status_code == 200, r.content
    out = r.json()
    assert [(a["name"], a["content_type"], a["stage"], a["stage_label"]) for a in out] == [
        ("a.png", "image/png", "report", "上报照片"),
        ("b.jpg", "image/jpeg", "report", "上报照片"),
    ]
    listed = api.get(resident, f"/api/v1/cases/{event.pk}/attachments/").json()
    assert [a["id"] for a in listed] == [a["id"] for a in out]
    detail = api.get(resident, f"/api/v1/cases/{event.pk}").json()
    assert [a["id"] for a in detail["attachments"]] == [a["id"] for a in out]
    r = api.get(world.users["street"], out[0]["url"])
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == PNG
    assert AuditEntry.objects.filter(action="event.attach", object_id=str(event.pk)).exists()


def test_not_an_image_is_422_and_nothing_written(client, api, world, event):
    r = upload(
        client,
        world.users["resident"],
        api,
        event.pk,
        ("ok.png", PNG, "image/png"),
        ("evil.png", b"MZ\x90\x00\x03 executable", "image/png"),
    )
    assert r.status_code == 422
    assert "文件类型不符" in r.json()["detail"] and "第2张照片" in r.json()["detail"]
    assert not EventAttachment.objects.exists() and not StoredFile.objects.exists()


def test_too_large_is_422_and_nothing_written(client, api, world, event, settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "UPLOAD_MAX_BYTES": 100}
    r = upload(client, world.users["resident"], api, event.pk, ("big.png", PNG * 2, "image/png"))
    assert r.status_code == 422
    assert "过大" in r.json()["detail"]
    assert not EventAttachment.objects.exists() and not StoredFile.objects.exists()
    r = upload(client, world.users["resident"], api, event.pk, ("ok.png", PNG, "image/png"))
    assert r.status_code == 200  # 72 bytes: within the limit


def test_no_file_is_422(client, api, world, event):
    r = client.post(
        f"/api/v1/cases/{event.pk}/attachments", {}, headers=api._headers(world.users["resident"])
    )
    assert r.status_code == 422
    assert "请选择要上传的照片" in r.json()["detail"]


def test_out_of_scope_reads_404(client, api, world, event):
    resident_photo = upload(
        client, world.users["resident"], api, event.pk, ("a.png", PNG, "image/png")
    ).json()[0]
    outsider = world.users["street3"]
    assert api.get(outsider, f"/api/v1/cases/{event.pk}/attachments/").status_code == 404
    assert api.get(outsider, resident_photo["url"]).status_code == 404
    r = upload(client, outsider, api, event.pk, ("b.png", PNG, "image/png"))
    assert r.status_code == 404
    assert EventAttachment.objects.count() == 1
    # an attachment id of another event reads 404 through this one
    other = report(world.users["grid"], "网格员巡查发现井盖破损")
    assert (
        api.get(
            world.users["street"], f"/api/v1/cases/{other.pk}/attachments/{resident_photo['id']}"
        ).status_code
        == 404
    )
    # the member (a neighbour) does not see the resident's report
    assert api.get(world.users["member"], resident_photo["url"]).status_code == 404


def test_who_may_add_photos(client, api, world, event, depts, dept_users):
    # a grid worker sees the event but is neither its reporter, its department nor staff
    r = upload(client, world.users["grid"], api, event.pk, ("a.png", PNG, "image/png"))
    assert r.status_code == 403
    # the community secretary (who dispatches and verifies) may
    r = upload(client, world.users["community"], api, event.pk, ("a.png", PNG, "image/png"))
    assert r.status_code == 200 and r.json()[0]["stage"] == "other"
    actors = Actors(world, dept_users)
    event = actors.drive(event, "handling")
    dept = dept_users[event.department_id]
    r = upload(client, dept, api, event.pk, ("h.png", PNG, "image/png"))
    assert r.status_code == 200 and r.json()[0]["stage"] == "handling"
    for action in ("finish", "verify_pass"):
        actors.do(event, action)
    r = upload(client, world.users["resident"], api, event.pk, ("late.png", PNG, "image/png"))
    assert r.status_code == 409
    assert "已结案" in r.json()["detail"]


def test_at_most_so_many_photos_per_event(client, api, world, event, monkeypatch):
    from dangjian.cases import services

    monkeypatch.setattr(services, "MAX_ATTACHMENTS", 2)
    resident = world.users["resident"]
    files = [("a.png", PNG, "image/png"), ("b.png", PNG + b"b", "image/png")]
    assert upload(client, resident, api, event.pk, *files).status_code == 200
    r = upload(client, resident, api, event.pk, ("c.png", PNG + b"c", "image/png"))
    assert r.status_code == 422
    assert "每个事件最多2张照片，已有2张" in r.json()["detail"]
    assert EventAttachment.objects.filter(event=event).count() == 2
