"""Evidence files of hand scores and manual weak-organization situations: upload (multipart
``file``: an image or a PDF, checked by content, size-limited), list, download. Thin: one set of
three routes per kind of row, built by ``_routes``."""

from __future__ import annotations

from ninja import File, Router
from ninja.files import UploadedFile

from dangjian.assessment.selectors import evidence as selectors
from dangjian.assessment.services import evidence as services
from dangjian.core import scope
from dangjian.core.api import ERRORS, Schema, iso
from dangjian.core.files import file_response

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


def _routes(kind: str, get, add, upload_doc: str) -> None:
    """List, upload and download of the evidence files of one kind of row (``score``,
    ``flag``): ``get`` the scoped selector, ``add`` the service (taking the row by ``kind``). The
    functions are named as they were written out one by one (the OpenAPI operation ids)."""
    param = f"{kind}_id"
    path = f"/{kind}s/{{int:{param}}}/files/"

    def base(row) -> str:
        return f"/api/v1/assessment/{kind}s/{row.pk}/files/"

    @scope.scoped_object(param, get, name="row")
    def listed(request, row):
        return [file_out(f, base(row)) for f in row.evidence_files.all()]

    @scope.scoped_object(param, get, name="row")
    def upload(request, row, file: UploadedFile | None = File(None)):  # noqa: B008
        return file_out(add(actor=request.auth, upload=file, **{kind: row}), base(row))

    @scope.scoped_object(param, get, name="row")
    def served(request, row, file_id: int):
        return file_response(selectors.evidence_file(row, file_id), as_attachment=True)

    listed.__name__, upload.__name__ = f"{kind}_files", f"{kind}_file_upload"
    served.__name__, upload.__doc__ = f"{kind}_file", upload_doc
    router.get(path, response={200: list[EvidenceFileOut], **ERRORS})(listed)
    router.post(path, response={200: EvidenceFileOut, **ERRORS})(upload)
    router.get(f"{path}{{int:file_id}}", response={200: None, **ERRORS})(served)


_routes(
    "score",
    selectors.score_get,
    services.score_evidence_add,
    "A file of evidence for a hand score (JPEG, PNG, GIF, WebP or PDF, checked by content).",
)
_routes(
    "flag",
    selectors.flag_get,
    services.flag_evidence_add,
    "A file of evidence for a situation found by hand (409 for a rule's flag).",
)
