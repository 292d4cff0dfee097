"""The imports of the governance tree under /api/v1/areas/ (mounted beside ``territory.api``),
and the households of a unit with the head of household masked, revealed one at a time."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import File, Form, Router
from ninja.files import UploadedFile

from dangjian.core import crypto, pii, scope
from dangjian.core.api import ERRORS, Schema, no_store, paginate
from dangjian.core.downloads import attachment
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.territory.imports import areas, boundaries, households
from dangjian.territory.imports.common import MAX_IMPORT_BYTES
from dangjian.territory.models import Area, Household

router = Router(tags=["治理区域"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AreaImportErrorOut(Schema):
    row: int
    column: str
    message: str


class AreaImportReportOut(Schema):
    created: int
    updated: int
    total: int
    bad_rows: int
    mode: str
    detail: str
    errors: list[AreaImportErrorOut]
    ignored_columns: list[str]


def _template(content: bytes, filename: str) -> HttpResponse:
    return attachment(content, filename)


def _content(file: UploadedFile | None) -> bytes:
    if file is None:
        raise ValidationError({"file": ["请上传文件"]})
    if file.size > MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过20MB，请拆分后分批导入"]})
    return file.read()


@router.get("/import/template", response={200: None, **ERRORS})
def areas_import_template(request):
    return _template(areas.template(), "区域导入模板.xlsx")


@router.post("/import", response={200: AreaImportReportOut, **ERRORS})
def areas_import(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload the area tree (.xlsx, multipart ``file``); ``mode``: ``all_or_nothing`` or
    ``skip_bad``. Answers the row report."""
    return areas.areas_import(actor=request.auth, content=_content(file), mode=mode)


@router.get("/households/import/template", response={200: None, **ERRORS})
def households_import_template(request):
    return _template(households.template(), "住户导入模板.xlsx")


@router.post("/households/import", response={200: AreaImportReportOut, **ERRORS})
def households_import(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload households and units per grid (.xlsx); answers the row report."""
    return households.households_import(actor=request.auth, content=_content(file), mode=mode)


@router.get("/boundaries/import/template", response={200: None, **ERRORS})
def boundaries_import_template(request):
    return _template(boundaries.template(), "边界导入模板.xlsx")


@router.post("/boundaries/import", response={200: AreaImportReportOut, **ERRORS})
def boundaries_import(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload boundaries: a GeoJSON FeatureCollection or an .xlsx; answers the row report."""
    return boundaries.boundaries_import(actor=request.auth, content=_content(file), mode=mode)


# --- households -------------------------------------------------------------------------------


class HouseholdOut(Schema):
    id: int
    unit_id: int
    door: str  # whole to who may visit the household (``cases.visit``), masked to the others
    door_masked: bool
    head_name: str  # masked
    members: int


def household_out(h: Household, visit_reach: tuple[str, ...] = ()) -> dict:
    whole = any(h.area_path.startswith(p) for p in visit_reach)
    return {
        "id": h.pk,
        "unit_id": h.unit_id,
        "door": h.door if whole else crypto.mask("address", h.door),
        "door_masked": not whole,
        "head_name": crypto.mask("name", h.head_name),
        "members": h.members,
    }


@router.get("/{int:area_id}/households/", response={200: page_schema(HouseholdOut), **ERRORS})
def area_households(request, area_id: int, door: str = ""):
    """The households of an area and below (head of household masked; the door label whole
    only to who may visit there, the grid worker). ``door``: the households of that exact
    door label (found by its blind index: the label is encrypted at rest)."""
    area = scope.get_visible(Area, request.auth, "territory.view", pk=_pk(area_id))
    qs = (
        Household.objects.visible_to(request.auth, "territory.view")
        .filter(area_path__gte=area.path, area_path__lt=area.path_end)
        .order_by("area_path", "id")
    )
    if door.strip():
        qs = qs.filter(door_index=crypto.blind_index("address", door))
    reach = scope.reach_of(request.auth, "cases.visit").area_paths
    return paginate(request, qs, lambda h: household_out(h, reach))


class HouseholdRevealOut(Schema):
    field: str
    value: str


class HouseholdRevealIn(Schema):
    """Which value (``head_name`` or ``door``) and why it is looked at
    (``core.pii.PURPOSES``)."""

    field: str = "head_name"
    purpose: str
    reason: str


REVEALABLE = {"head_name": "户主", "door": "门牌"}


@router.post("/households/{int:household_id}/reveal", response={200: HouseholdRevealOut, **ERRORS})
def reveal_head(request, household_id: int, data: HouseholdRevealIn, response: HttpResponse):
    """The whole name of the head of household (``field`` "head_name") or the whole door
    label ("door"): needs ``territory.manage`` there, a purpose and a reason (kept in the
    audit row); never cached."""
    household = scope.get_visible(Household, request.auth, "territory.view", pk=_pk(household_id))
    if data.field not in REVEALABLE:
        choices = "、".join(f"{k}（{v}）" for k, v in REVEALABLE.items())
        raise ValidationError({"field": [f"只能查看{choices}"]})
    value = pii.reveal(
        actor=request.auth,
        obj=household,
        field=data.field,
        action="territory.manage",
        purpose=data.purpose,
        reason=data.reason,
    )
    no_store(response)
    return {"field": data.field, "value": value}
