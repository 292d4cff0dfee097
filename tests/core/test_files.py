"""Stored files: the type is decided by content, the size is capped, the write is audited."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.core import files
from dangjian.core.models import AuditEntry, StoredFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def _xlsx() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet().write(0, 0, "姓名")
    book.close()
    return out.getvalue()


@pytest.mark.django_db
def test_an_image_is_stored_by_hash_and_read_back(world):
    upload = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    stored = files.file_store(actor=world.users["grid"], upload=upload)
    assert stored.content_type == "image/png" and stored.size == len(PNG)
    assert files.file_read(stored) == PNG
    assert files.path_of(stored).name == stored.sha256
    entry = AuditEntry.objects.get(action="file.store", object_id=str(stored.pk))
    assert entry.actor_id == world.users["grid"].pk


@pytest.mark.django_db
def test_a_renamed_file_is_judged_by_its_content(world):
    # A PDF named .jpg is not an image; a JPEG named .txt is, and gets its proper extension.
    with pytest.raises(ValidationError) as exc:
        files.file_store(actor=None, upload=SimpleUploadedFile("photo.jpg", PDF, "image/jpeg"))
    assert "只接受图片" in exc.value.message_dict["file"][0]
    stored = files.file_store(actor=None, upload=SimpleUploadedFile("a.txt", JPEG, "text/plain"))
    assert stored.name == "a.jpg"
    assert StoredFile.objects.count() == 1


@pytest.mark.django_db
def test_size_limit_both_sides(settings):
    limit = 1024
    settings.DANGJIAN = {**settings.DANGJIAN, "UPLOAD_MAX_BYTES": limit}
    exact = PNG + b"\x00" * (limit - len(PNG))
    assert files.file_store_bytes(actor=None, name="x.png", content=exact).size == limit
    with pytest.raises(ValidationError) as exc:
        files.file_store_bytes(actor=None, name="x.png", content=exact + b"\x00")
    assert "文件过大" in exc.value.message_dict["file"][0]
    assert StoredFile.objects.count() == 1
    # A file the system made itself may pass a larger limit.
    big = files.file_store_bytes(actor=None, name="y.png", content=exact + b"\x01", limit=2048)
    assert big.size == limit + 1


@pytest.mark.django_db
def test_empty_and_missing_uploads_are_refused_on_the_field():
    with pytest.raises(ValidationError) as exc:
        files.file_store(actor=None, upload=None, field="photo")
    assert "请选择" in exc.value.message_dict["photo"][0]
    with pytest.raises(ValidationError) as exc:
        files.file_store_bytes(actor=None, name="x.png", content=b"")
    assert "文件为空" in exc.value.message_dict["file"][0]


@pytest.mark.django_db
def test_workbooks_and_pdfs_when_the_caller_allows_them():
    book = files.file_store_bytes(actor=None, name="导出", content=_xlsx(), kinds=("xlsx",))
    assert book.name == "导出.xlsx"
    pdf = files.file_store_bytes(actor=None, name="证明.pdf", content=PDF, kinds=("image", "pdf"))
    assert pdf.content_type == "application/pdf"
    # A zip that is not a workbook is not a workbook.
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValidationError):
        files.file_store_bytes(actor=None, name="x.xlsx", content=buf.getvalue(), kinds=("xlsx",))


@pytest.mark.django_db
def test_response_serves_the_bytes_with_nosniff():
    stored = files.file_store_bytes(actor=None, name="a.png", content=PNG)
    response = files.file_response(stored)
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
