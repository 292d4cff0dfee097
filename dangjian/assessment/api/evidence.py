"""Evidence files of hand scores and manual weak-organization situations: upload (multipart
``file``: an image or a PDF, checked by content, size-limited), list, download. Thin."""

from __future__ import annotations

from django.http import Http404
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from dangjian.assessment.selectors import evidence as selectors
from dangjian.assessment.services import evidence as services
from dangjian.core import scope
from dangjian.core.api import ERRORS, iso
from dangjian.core.files import file_response
from dangjian.core.ids import pk_or_404 as _pk

router = Router()


class EvidenceFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: str | None
    url: str


def file_out(stored, base: str) -> dict:
    return {
        "id": stored.pk,
        "name": stored.name,
        "content_type": stored.content_type,
        "size": stored.size,
        "uploaded_at": iso(stored.created_at),
        "url": f"{base}{stored.pk}",
    }


def _served(row, file_id: int):
    stored = row.evidence_files.filter(pk=_pk(file_id)).first()
    if stored is None:
        raise Http404("未找到")
    return file_response(stored, as_attachment=True)


@router.get("/scores/{int:score_id}/files/", response={200: list[EvidenceFileOut], **ERRORS})
@scope.scoped_object("score_id", selectors.score_get, name="score")
def score_files(request, score):
    base = f"/api/v1/assessment/scores/{score.pk}/files/"
    return [file_out(f, base) for f in score.evidence_files.all()]


@router.post("/scores/{int:score_id}/files/", response={200: EvidenceFileOut, **ERRORS})
@scope.scoped_object("score_id", selectors.score_get, name="score")
def score_file_upload(request, score, file: UploadedFile | None = File(None)):  # noqa: B008
    """A file of evidence for a hand score (JPEG, PNG, GIF, WebP or PDF, checked by content)."""
    stored = services.score_evidence_add(actor=request.auth, score=score, upload=file)
    return file_out(stored, f"/api/v1/assessment/scores/{score.pk}/files/")


@router.get("/scores/{int:score_id}/files/{int:file_id}", response={200: None, **ERRORS})
@scope.scoped_object("score_id", selectors.score_get, name="score")
def score_file(request, score, file_id: int):
    return _served(score, file_id)


@router.get("/flags/{int:flag_id}/files/", response={200: list[EvidenceFileOut], **ERRORS})
@scope.scoped_object("flag_id", selectors.flag_get, name="flag")
def flag_files(request, flag):
    base = f"/api/v1/assessment/flags/{flag.pk}/files/"
    return [file_out(f, base) for f in flag.evidence_files.all()]


@router.post("/flags/{int:flag_id}/files/", response={200: EvidenceFileOut, **ERRORS})
@scope.scoped_object("flag_id", selectors.flag_get, name="flag")
def flag_file_upload(request, flag, file: UploadedFile | None = File(None)):  # noqa: B008
    """A file of evidence for a situation found by hand (409 for a rule's flag)."""
    stored = services.flag_evidence_add(actor=request.auth, flag=flag, upload=file)
    return file_out(stored, f"/api/v1/assessment/flags/{flag.pk}/files/")


@router.get("/flags/{int:flag_id}/files/{int:file_id}", response={200: None, **ERRORS})
@scope.scoped_object("flag_id", selectors.flag_get, name="flag")
def flag_file(request, flag, file_id: int):
    return _served(flag, file_id)
