"""Evidence files through the API: a hand score's and a manual weak-organization situation's,
checked by content and size (4xx with the field named, nothing stored), encrypted at rest,
served only within scope; a rule's flag takes none (409)."""

import datetime as dt

import pytest

from dangjian.assessment.models import Flag, Indicator
from dangjian.assessment.services import rating as services
from dangjian.assessment.services import weak
from dangjian.core.models import AuditEntry, StoredFile
from tests.assessment.rating_helpers import PDF, PNG, YEAR, scheme

pytestmark = pytest.mark.django_db


def _upload(client, api, user, path, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        path, {"file": SimpleUploadedFile(name, content)}, headers=api._headers(user)
    )


def test_hand_score_evidence_upload_and_download(world, api, client, stored_files):
    county = world.users["county"]
    scheme(world.users["admin"])
    ind = Indicator.objects.get(code="service")
    score = services.manual_score_set(
        actor=county,
        indicator=ind,
        org=world.orgs["grid_branch"],
        year=YEAR,
        points=12,
        evidence="走访台账",
    )
    base = f"/api/v1/assessment/scores/{score.pk}/files/"
    r = _upload(client, api, county, base, "台账.pdf", PDF)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["name"], body["content_type"], body["size"]) == (
        "台账.pdf",
        "application/pdf",
        len(PDF),
    )
    assert body["url"] == f"{base}{body['id']}"
    # Encrypted at rest: the bytes on disk are not the upload.
    stored = StoredFile.objects.get(pk=body["id"])
    on_disk = stored_files / stored.sha256[:2] / stored.sha256
    assert on_disk.exists() and PDF not in on_disk.read_bytes()
    assert AuditEntry.objects.filter(action="assessment.score_evidence").count() == 1
    # Listed and served (decrypted) within scope; the street below reads it too.
    listed = api.get(world.users["street"], base).json()
    assert [f["name"] for f in listed] == ["台账.pdf"]
    got = client.get(body["url"], headers=api._headers(world.users["street"]))
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    # Bad input: type by content (a renamed text file), empty, too large; no file at all.
    for name, content, message in (
        ("假.pdf", b"not a pdf at all", "文件类型不符"),
        ("空.png", b"", "文件为空"),
    ):
        r = _upload(client, api, county, base, name, content)
        assert r.status_code == 422
        assert list(r.json()["errors"]) == ["file"]
        assert message in r.json()["errors"]["file"][0]
    stored_files_setting = {**world_settings(stored_files), "UPLOAD_MAX_BYTES": 32}
    from django.test import override_settings

    with override_settings(DANGJIAN=stored_files_setting):
        r = _upload(client, api, county, base, "大.png", PNG)
    assert r.status_code == 422 and "文件过大" in r.json()["errors"]["file"][0]
    r = client.post(base, {}, headers=api._headers(county))
    assert r.status_code == 422 and list(r.json()["errors"]) == ["file"]
    assert score.evidence_files.count() == 1 and StoredFile.objects.count() == 1
    # A secretary sees the score but may not add evidence (403); the other county sees nothing.
    assert _upload(client, api, world.users["community"], base, "a.png", PNG).status_code == 403
    outsider = world.users["street3"]
    assert api.get(outsider, base).status_code == 404
    assert client.get(body["url"], headers=api._headers(outsider)).status_code == 404
    assert _upload(client, api, outsider, base, "a.png", PNG).status_code == 404
    assert client.get(f"{base}999999", headers=api._headers(county)).status_code == 404


def world_settings(files_dir):
    from django.conf import settings

    return {**settings.DANGJIAN, "FILES_DIR": str(files_dir)}


def test_manual_flag_evidence_and_rule_flags_refused(world, api, client, stored_files):
    county = world.users["county"]
    flag = weak.flag_add_manual(
        actor=county,
        org=world.orgs["grid_branch"],
        year=YEAR,
        summary="班子成员长期不和",
        evidence="走访记录",
    )
    base = f"/api/v1/assessment/flags/{flag.pk}/files/"
    r = _upload(client, api, county, base, "走访.png", PNG)
    assert r.status_code == 200 and r.json()["content_type"] == "image/png"
    assert [f["name"] for f in api.get(county, base).json()] == ["走访.png"]
    # A flag found by a rule carries its figures and list instead.
    weak.flags_recompute(year=YEAR, today=dt.date(YEAR, 12, 7))
    ruled = Flag.objects.filter(manual=False).first()
    r = _upload(client, api, county, f"/api/v1/assessment/flags/{ruled.pk}/files/", "a.png", PNG)
    assert r.status_code == 409 and "不能上传附件" in r.json()["detail"]
    assert api.get(world.users["street3"], base).status_code == 404
    # At most ASSESS_EVIDENCE_MAX_FILES per row.
    from django.test import override_settings

    with override_settings(
        DANGJIAN={**world_settings(stored_files), "ASSESS_EVIDENCE_MAX_FILES": 1}
    ):
        r = _upload(client, api, county, base, "二.png", PNG + b"2")
    assert r.status_code == 422 and "最多上传1个" in r.json()["errors"]["file"][0]
