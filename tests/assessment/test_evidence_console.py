"""Evidence files on the console: the hand scores' and the weak-organization situations' lists
carry a form (multipart, CSRF) that attaches a file through the same service as the API, list
the files with download links within scope; errors are messages naming the field; a rule's
flag refuses; another street's staff reach nothing (404)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.assessment.models import Flag, Indicator
from dangjian.assessment.services import rating as services
from dangjian.assessment.services import weak
from dangjian.core.models import AuditEntry, StoredFile
from tests.assessment.rating_helpers import PDF, PNG, YEAR, scheme

pytestmark = pytest.mark.django_db


def _post(client, url, name=None, content=b""):
    data = {"file": SimpleUploadedFile(name, content)} if name else {}
    return client.post(url, data, follow=True)


def _page(r) -> str:
    assert r.status_code == 200, r.status_code
    return r.content.decode()


def _score(world, org="grid_branch", points=12):
    scheme(world.users["admin"])
    return services.manual_score_set(
        actor=world.users["county"],
        indicator=Indicator.objects.get(code="service"),
        org=world.orgs[org],
        year=YEAR,
        points=points,
        evidence="走访台账",
    )


def test_hand_score_evidence_on_the_console(world, client, stored_files):
    score = _score(world)
    county = world.users["county"]
    client.force_login(county)
    listing = f"/assessment/scores/?year={YEAR}"
    page = _page(client.get(listing))
    upload = f"/assessment/scores/{score.pk}/files/"
    assert f'action="{upload}"' in page and 'enctype="multipart/form-data"' in page
    assert "csrfmiddlewaretoken" in page and "暂无附件" in page

    r = _post(client, upload, "台账.pdf", PDF)
    assert r.redirect_chain[-1][0] == (
        f"/assessment/scores/?year={YEAR}&org={world.orgs['grid_branch'].pk}"
    )
    page = _page(r)
    assert "已上传佐证附件“台账.pdf”" in page
    stored = score.evidence_files.get()
    link = f"/assessment/scores/{score.pk}/files/{stored.pk}/"
    assert f'href="{link}"' in page and "台账.pdf" in page
    entry = AuditEntry.objects.get(action="assessment.score_evidence")
    assert entry.actor_id == county.pk and entry.after["file"] == stored.pk
    got = client.get(link)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert "attachment" in got["Content-Disposition"]

    # Errors name the field, in Chinese; nothing is stored.
    for name, content, message in (
        ("假.pdf", b"not a pdf at all", "文件类型不符"),
        ("空.png", b"", "文件为空"),
        (None, b"", "请选择要上传的文件"),
    ):
        page = _page(_post(client, upload, name, content))
        assert "佐证附件：" in page and message in page, message
    assert score.evidence_files.count() == 1 and StoredFile.objects.count() == 1

    # The street below sees the file and downloads it, but does not score: no form, 403.
    client.force_login(world.users["street"])
    page = _page(client.get(listing))
    assert f'href="{link}"' in page and f'action="{upload}"' not in page
    assert client.get(link).status_code == 200
    assert client.post(upload, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 403
    # Another street's staff: the row is not theirs at all.
    client.force_login(world.users["street3"])
    assert "台账.pdf" not in _page(client.get(listing))
    assert client.get(link).status_code == 404
    assert client.post(upload, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 404
    client.force_login(county)
    assert client.get(f"/assessment/scores/{score.pk}/files/999999/").status_code == 404
    assert client.get(upload).status_code == 405
    assert score.evidence_files.count() == 1


def test_manual_flag_evidence_on_the_console_and_rule_flags_refused(world, client, stored_files):
    county = world.users["county"]
    flag = weak.flag_add_manual(
        actor=county,
        org=world.orgs["grid_branch"],
        year=YEAR,
        summary="班子成员长期不和",
        evidence="走访记录",
    )
    weak.flags_recompute(year=YEAR, today=dt.date(YEAR, 12, 7))
    ruled = Flag.objects.filter(manual=False).first()
    client.force_login(county)
    listing = f"/assessment/flags/?year={YEAR}"
    page = _page(client.get(listing))
    upload = f"/assessment/flags/{flag.pk}/files/"
    assert f'action="{upload}"' in page
    assert f'action="/assessment/flags/{ruled.pk}/files/"' not in page

    page = _page(_post(client, upload, "走访.png", PNG))
    stored = flag.evidence_files.get()
    link = f"/assessment/flags/{flag.pk}/files/{stored.pk}/"
    assert "已上传佐证附件“走访.png”" in page and f'href="{link}"' in page
    assert AuditEntry.objects.filter(action="assessment.flag_evidence").count() == 1
    got = client.get(link)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG

    # A flag found by a rule carries its figures and its list instead: refused, nothing stored.
    page = _page(_post(client, f"/assessment/flags/{ruled.pk}/files/", "a.png", PNG))
    assert "不能上传附件" in page
    assert ruled.evidence_files.count() == 0 and StoredFile.objects.count() == 1
    # A file of the flag is not reachable through another row.
    assert client.get(f"/assessment/flags/{ruled.pk}/files/{stored.pk}/").status_code == 404

    client.force_login(world.users["street3"])
    assert "走访.png" not in _page(client.get(listing))
    assert client.get(link).status_code == 404
    assert client.post(upload, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 404
    assert flag.evidence_files.count() == 1


def test_evidence_lists_read_files_without_a_query_per_row(
    world, client, stored_files, django_assert_max_num_queries
):
    from dangjian.assessment.services import evidence

    county = world.users["county"]
    score = _score(world)
    flags = [
        weak.flag_add_manual(
            actor=county, org=world.orgs[k], year=YEAR, summary=f"情形{k}", evidence="记录"
        )
        for k in ("grid_branch", "community_committee", "village_committee")
    ]
    for i, f in enumerate(flags):
        for j in range(2):
            up = SimpleUploadedFile(f"f{i}{j}.png", PNG + bytes([i, j]))
            evidence.flag_evidence_add(actor=county, flag=f, upload=up)
    evidence.score_evidence_add(actor=county, score=score, upload=SimpleUploadedFile("s.pdf", PDF))
    client.force_login(county)
    client.get(f"/assessment/flags/?year={YEAR}")  # warm the session and the caches
    with django_assert_max_num_queries(8):
        page = _page(client.get(f"/assessment/flags/?year={YEAR}"))
    assert all(f"f{i}{j}.png" in page for i in range(3) for j in range(2))
    client.get(f"/assessment/scores/?year={YEAR}")
    with django_assert_max_num_queries(8):
        assert "s.pdf" in _page(client.get(f"/assessment/scores/?year={YEAR}"))
