"""Excel imports of stations and riders under /api/v1/timebank/ (``timebank.imports``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from dangjian.core.api import ERRORS, Schema, no_store
from dangjian.core.downloads import attachment
from dangjian.timebank import imports

router = Router(tags=["时间银行"])


class TbImportErrorOut(Schema):
    row: int
    column: str
    message: str


class TbImportAccountOut(Schema):
    row: int
    id: int
    username: str
    real_name: str
    one_time_password: str


class TbImportReportOut(Schema):
    created: int
    total: int
    bad_rows: int
    mode: str
    detail: str
    errors: list[TbImportErrorOut]
    ignored_columns: list[str]
    created_ids: list[int]
    accounts: list[TbImportAccountOut] = []


def _content(file: UploadedFile | None) -> bytes:
    if file is None:
        raise ValidationError({"file": ["请上传文件"]})
    if file.size > imports.MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过5MB，请拆分后分批导入"]})
    return file.read()


@router.get("/stations/import/template", response={200: None, **ERRORS})
def stations_import_template(request):
    return attachment(imports.stations_template(), "驿站导入模板.xlsx")


@router.post("/stations/import", response={200: TbImportReportOut, **ERRORS})
def stations_import(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload stations (.xlsx, multipart ``file``); ``mode``: ``all_or_nothing`` or
    ``skip_bad``. Answers the row report."""
    return imports.stations_import(actor=request.auth, content=_content(file), mode=mode)


@router.get("/riders/import/template", response={200: None, **ERRORS})
def riders_import_template(request):
    return attachment(imports.riders_template(), "新就业群体导入模板.xlsx")


@router.post("/riders/import", response={200: TbImportReportOut, **ERRORS})
def riders_import(
    request,
    response: HttpResponse,
    file: File[UploadedFile] = None,
    mode: Form[str] = "all_or_nothing",
):
    """Upload couriers, riders and drivers (.xlsx); answers the row report and the accounts
    opened with their one-time passwords (shown once, never cached)."""
    no_store(response)
    return imports.riders_import(actor=request.auth, content=_content(file), mode=mode)
