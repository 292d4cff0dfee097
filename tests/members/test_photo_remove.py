"""Replacing and removing a member's photo: the stored file goes through core.files (its bytes
stay while another stored file shares them), audited, scoped like the upload."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dangjian.core import files
from dangjian.core.models import AuditEntry, StoredFile
from dangjian.members.models import Member
from tests.members.helpers import member, upload

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64
PNG2 = b"\x89PNG\r\n\x1a\n" + b"\x02" * 64


def console(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def photo_of(m: Member):
    return Member.objects.select_related("photo").get(pk=m.pk).photo


def test_replace_then_remove_through_the_api(world, api, django_capture_on_commit_callbacks):
    u = world.users["street"]
    m = member(u, world.orgs["grid_branch"])
    path = f"/api/v1/members/{m.pk}/photo"
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(api, u, path, PNG, name="a.png").status_code == 200
        first = photo_of(m)
        assert upload(api, u, path, PNG2, name="b.png").status_code == 200
    # Replaced: the old stored file is gone, row and bytes; the new one is served.
    second = photo_of(m)
    assert second.pk != first.pk and not StoredFile.objects.filter(pk=first.pk).exists()
    assert not files.path_of(first).exists()
    assert b"".join(api.get(u, path).streaming_content) == PNG2
    replaced = AuditEntry.objects.filter(action="member.photo").latest("id")
    assert replaced.before == {"photo": first.pk} and replaced.note == "更换照片"
    # Removed.
    with django_capture_on_commit_callbacks(execute=True):
        r = api.client.delete(path, headers=api._headers(u))
    assert r.status_code == 200, r.content
    assert r.json()["has_photo"] is False and r.json()["id"] == m.pk
    assert photo_of(m) is None
    assert not StoredFile.objects.filter(pk=second.pk).exists()
    assert not files.path_of(second).exists()
    entry = AuditEntry.objects.get(action="member.photo_remove")
    assert (entry.before, entry.after, entry.actor_id) == (
        {"photo": second.pk},
        {"photo": None},
        u.pk,
    )
    assert entry.object_id == str(m.pk) and entry.org_path == m.org_path
    assert AuditEntry.objects.filter(action="file.delete").count() == 2
    assert api.get(u, path).status_code == 404
    # Nothing left to remove: 409 with the reason.
    r = api.client.delete(path, headers=api._headers(u))
    assert r.status_code == 409 and r.json()["detail"] == "该党员尚未上传照片，无需删除"


def test_removal_is_scoped_like_the_upload(world, api, street2_user):
    u = world.users["street"]
    m = member(u, world.orgs["grid_branch"])
    path = f"/api/v1/members/{m.pk}/photo"
    upload(api, u, path, PNG)
    stored = photo_of(m)
    # Out of scope: 404; one's own file (visible, not managed): 403; anonymous: 401.
    assert api.client.delete(path, headers=api._headers(street2_user)).status_code == 404
    me = member(u, world.orgs["grid_branch"], name="本人", user=world.users["member"])
    upload(api, u, f"/api/v1/members/{me.pk}/photo", PNG2)
    r = api.client.delete(
        f"/api/v1/members/{me.pk}/photo", headers=api._headers(world.users["member"])
    )
    assert r.status_code == 403
    assert api.client.delete(path).status_code == 401
    assert photo_of(m).pk == stored.pk and photo_of(me) is not None
    assert not AuditEntry.objects.filter(action="member.photo_remove").exists()
    assert (
        api.client.delete(
            "/api/v1/members/99999999999999999999/photo", headers=api._headers(u)
        ).status_code
        == 404
    )


def test_shared_bytes_stay_for_the_other_member(world, api, django_capture_on_commit_callbacks):
    u = world.users["street"]
    a = member(u, world.orgs["grid_branch"], name="甲")
    b = member(u, world.orgs["grid_branch"], name="乙")
    upload(api, u, f"/api/v1/members/{a.pk}/photo", PNG)
    upload(api, u, f"/api/v1/members/{b.pk}/photo", PNG)
    with django_capture_on_commit_callbacks(execute=True):
        api.client.delete(f"/api/v1/members/{a.pk}/photo", headers=api._headers(u))
    got = api.get(u, f"/api/v1/members/{b.pk}/photo")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG


def test_replace_and_remove_in_the_console(world, street2_user):
    u = world.users["street"]
    m = member(u, world.orgs["grid_branch"])
    c = console(u)
    page = c.get(f"/members/{m.pk}/").content.decode()
    assert "上传照片" in page and 'id="photo-remove"' not in page
    c.post(f"/members/{m.pk}/photo/upload/", {"photo": SimpleUploadedFile("a.png", PNG)})
    page = c.get(f"/members/{m.pk}/").content.decode()
    assert "照片已上传" in page and "更换照片" in page
    assert f'action="/members/{m.pk}/photo/remove/"' in page
    r = c.post(f"/members/{m.pk}/photo/upload/", {"photo": SimpleUploadedFile("b.png", PNG2)})
    assert r.status_code == 302
    assert "照片已更换" in c.get(f"/members/{m.pk}/").content.decode()
    assert StoredFile.objects.count() == 1
    # Someone outside: 404, the photo stays.
    assert console(street2_user).post(f"/members/{m.pk}/photo/remove/").status_code == 404
    assert photo_of(m) is not None
    assert c.get(f"/members/{m.pk}/photo/remove/").status_code == 405
    r = c.post(f"/members/{m.pk}/photo/remove/")
    assert r.status_code == 302 and r["Location"] == f"/members/{m.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert "照片已删除" in page and "未上传照片" in page and 'id="photo-remove"' not in page
    assert photo_of(m) is None and StoredFile.objects.count() == 0
    # Removing again: the message, not an error page.
    page = c.post(f"/members/{m.pk}/photo/remove/", follow=True).content.decode()
    assert "照片未删除：该党员尚未上传照片" in page
