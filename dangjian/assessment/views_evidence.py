"""Console forms for the evidence files of the judgements made by hand (a hand score, a manual
weak-organization situation): upload through the same services as the API (checked by content,
size-limited, audited; a rule's flag refuses), download within scope. Thin."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dangjian.assessment.selectors import evidence as selectors
from dangjian.assessment.services import evidence as services
from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.core.files import file_response
from dangjian.web.decorators import console_view

FIELD_LABEL = "佐证附件"


def _views(kind: str, get, add, list_name: str):
    """The upload and download views of one kind of row (``score``, ``flag``): ``get`` the
    scoped selector, ``add`` the service (taking the row by ``kind``); after an upload, its
    errors shown as messages naming the field, back to the list the row is on."""
    param = f"{kind}_id"

    @console_view
    @require_POST
    @scope.scoped_object(param, get, name="row")
    def upload(request, row):
        try:
            stored = add(actor=request.user, upload=request.FILES.get("file"), **{kind: row})
            messages.success(request, f"已上传佐证附件“{stored.name}”")
        except ValidationError as exc:
            texts = [m for ms in exc.message_dict.values() for m in ms]
            messages.error(request, f"{FIELD_LABEL}：{'；'.join(texts)}")
        except Conflict as exc:
            messages.error(request, exc.message)
        query = urlencode({"year": row.year, "org": row.org_id})
        return redirect(f"{reverse(list_name)}?{query}")

    @console_view
    @require_GET
    @scope.scoped_object(param, get, name="row")
    def download(request, row, file_id: int):
        return file_response(selectors.evidence_file(row, file_id), as_attachment=True)

    upload.__name__, download.__name__ = f"{kind}_file_upload", f"{kind}_file"
    return upload, download


score_file_upload, score_file = _views(
    "score", selectors.score_get, services.score_evidence_add, "console:assessment:scores"
)
flag_file_upload, flag_file = _views(
    "flag", selectors.flag_get, services.flag_evidence_add, "console:assessment:flags"
)
