"""Stored files (photos, documents, generated workbooks): checked by content, kept by hash.

The type is decided from the first bytes, never from the name or the browser's claim, so a
renamed executable is refused as "not an image". Files live under ``DANGJIAN["FILES_DIR"]``
named by their SHA-256; the same content uploaded twice is written once. Serving is the
caller's job: check that the owning object is visible, then ``file_response(stored)``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404

from dangjian.core import audit, crypto
from dangjian.core.conf import setting
from dangjian.core.models import StoredFile

# kind -> {content type: label}
KINDS: dict[str, dict[str, str]] = {
    "image": {
        "image/jpeg": "JPEG",
        "image/png": "PNG",
        "image/gif": "GIF",
        "image/webp": "WebP",
    },
    "pdf": {"application/pdf": "PDF"},
    "xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel"},
}
KIND_LABELS = {"image": "图片（JPEG、PNG、GIF、WebP）", "pdf": "PDF 文档", "xlsx": "Excel 工作簿"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def files_dir() -> Path:
    configured: Any = setting("FILES_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "files"


def max_bytes() -> int:
    configured: Any = setting("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    return int(configured)


def sniff(head: bytes, content: bytes | None = None) -> str | None:
    """The content type the bytes really are, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04") and content is not None:
        try:
            with zipfile.ZipFile(BytesIO(content)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def path_of(stored: StoredFile) -> Path:
    return files_dir() / stored.sha256[:2] / stored.sha256


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _write(sha: str, content: bytes) -> None:
    target = files_dir() / sha[:2] / sha
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            # Encrypted at rest under the personal-data keys: a copied disk opens nothing.
            fh.write(crypto.encrypt_bytes(content))
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            # Nothing is recorded as stored: the row is written only after the bytes are.
            raise ValidationError(
                {"file": "服务器存储空间不足，文件未能保存，请联系系统管理员"}
            ) from exc
        raise
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check(content: bytes, *, kinds=("image",), field: str = "file", limit: int | None = None):
    """Validate size and type; return the content type. Raises ValidationError on ``field``."""
    limit = max_bytes() if limit is None else limit
    if not content:
        raise ValidationError({field: "文件为空，请重新选择"})
    if len(content) > limit:
        raise ValidationError(
            {field: f"文件过大（{_human(len(content))}），不能超过 {_human(limit)}"}
        )
    allowed = {ct for k in kinds for ct in KINDS[k]}
    content_type = sniff(content[:16], content)
    if content_type not in allowed:
        wanted = "或".join(KIND_LABELS[k] for k in kinds)
        raise ValidationError({field: f"文件类型不符：只接受{wanted}"})
    return content_type


@transaction.atomic
def file_store_bytes(
    *,
    actor,
    name: str,
    content: bytes,
    kinds=("image",),
    field: str = "file",
    limit: int | None = None,
) -> StoredFile:
    """Store ``content`` (already in memory: an upload read, or a generated workbook).

    ``limit`` overrides the upload cap for files the system itself made (an export)."""
    content_type = check(content, kinds=kinds, field=field, limit=limit)
    sha = hashlib.sha256(content).hexdigest()
    base = os.path.basename(name or "").strip() or "file"
    stem, ext = os.path.splitext(base)
    if ext.lower() != EXTENSIONS[content_type] and not (
        content_type == "image/jpeg" and ext.lower() == ".jpeg"
    ):
        base = stem + EXTENSIONS[content_type]
    _write(sha, content)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    stored = StoredFile.objects.create(
        name=base[:200],
        content_type=content_type,
        size=len(content),
        sha256=sha,
        uploaded_by=actor if is_user else None,
    )
    audit.record(
        actor=actor,
        action="file.store",
        obj=stored,
        after={"name": stored.name, "content_type": content_type, "size": stored.size},
    )
    return stored


def file_store(*, actor, upload, kinds=("image",), field: str = "file") -> StoredFile:
    """Store an uploaded file (Django ``UploadedFile``) after checking it by content."""
    if upload is None:
        raise ValidationError({field: "请选择要上传的文件"})
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            {field: f"文件过大（{_human(upload.size)}），不能超过 {_human(limit)}"}
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    return file_store_bytes(
        actor=actor, name=upload.name, content=content, kinds=kinds, field=field
    )


def file_read(stored: StoredFile) -> bytes:
    return crypto.decrypt_bytes(path_of(stored).read_bytes())


def file_response(stored: StoredFile, *, as_attachment: bool = False) -> FileResponse:
    path = path_of(stored)
    if not path.exists():
        raise Http404("文件不存在")
    response = FileResponse(
        BytesIO(file_read(stored)),  # decrypted in memory: files are at most the upload cap
        content_type=stored.content_type,
        as_attachment=as_attachment,
        filename=stored.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Photos of people, workbooks with names: no cache keeps them (issue 19).
    response["Cache-Control"] = "private, no-store"
    return response


@transaction.atomic
def file_delete(*, actor, stored: StoredFile, note: str = "") -> None:
    """Delete a stored file: its row now (audited), its bytes on disk once the transaction has
    committed and only if no other row still names the same content (files are kept by hash,
    so two uploads of one image share one file). The caller has checked that ``actor`` may
    remove it; links to the row with ``SET_NULL`` are cleared by the database."""
    sha, pk, name = stored.sha256, stored.pk, stored.name
    audit.record(
        actor=actor,
        action="file.delete",
        object_type=StoredFile._meta.label_lower,
        object_id=str(pk),
        object_repr=name[:200],
        before={"name": name, "content_type": stored.content_type, "size": stored.size},
        note=note,
    )
    StoredFile.objects.filter(pk=pk).delete()

    def unlink() -> None:
        if StoredFile.objects.filter(sha256=sha).exists():
            return
        path = files_dir() / sha[:2] / sha
        try:
            path.unlink()
        except FileNotFoundError:
            pass

    transaction.on_commit(unlink)
