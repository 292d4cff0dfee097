import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import get_language
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from dangjian.core.api import ERRORS, ErrorOut, Schema, ref
from dangjian.core.apidates import RecordedDate
from dangjian.core.choices import label, labels
from dangjian.core.downloads import attachment
from dangjian.core.errors import field_error
from dangjian.core.ids import MAX_PK
from dangjian.core.treeapi import page_schema, tree_nodes
from dangjian.organizations import excel, imports, lifecycle, selectors, services
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.organizations.schemas import (
    ChangeKindIn,
    DissolveIn,
    MoveIn,
    OrgCreateIn,
    OrgDetailOut,
    OrgImportReportOut,
    OrgOut,
    OrgUpdateIn,
)
from dangjian.territory.models import Area


def org_out(o: PartyOrg) -> dict:
    """The list's columns of one organization; ``member_count`` and ``full_member_count`` are
    filled for a whole page by ``selectors.fill_counts``."""
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_label": label(OrgKind, o.kind),
        "form": o.form,
        "form_label": label(OrgForm, o.form),
        "domain": o.domain,
        "domain_label": label(OrgDomain, o.domain),
        "path": o.path,
        "parent_id": o.parent_id,
        "child_count": o.child_count,
        "area_id": o.area_id,
        "area_name": o.area.name,
        "credit_code": o.credit_code,
        "founding_full_members": o.founding_full_members,
        "project_name": o.project_name,
        "ends_on": o.ends_on,
        "dissolved_on": o.dissolved_on,
        "member_count": 0,
        "full_member_count": 0,
    }


# The children list reads these columns as tuples (``core.treeapi.children_page``).
ORG_FIELDS = (
    "id",
    "name",
    "kind",
    "form",
    "domain",
    "path",
    "parent_id",
    "child_count",
    "area_id",
    "area__name",
    "credit_code",
    "founding_full_members",
    "project_name",
    "ends_on",
    "dissolved_on",
)


def org_rows_out(rows: list[tuple]) -> list[dict]:
    """``org_out`` of rows of ``ORG_FIELDS``; labels looked up once per page."""
    language = get_language()
    kinds, forms = labels(OrgKind, language), labels(OrgForm, language)
    domains = labels(OrgDomain, language)
    return [
        {
            "id": r[0],
            "name": r[1],
            "kind": r[2],
            "kind_label": kinds.get(r[2], r[2]),
            "form": r[3],
            "form_label": forms.get(r[3], r[3]),
            "domain": r[4],
            "domain_label": domains.get(r[4], r[4]),
            "path": r[5],
            "parent_id": r[6],
            "child_count": r[7],
            "area_id": r[8],
            "area_name": r[9],
            "credit_code": r[10],
            "founding_full_members": r[11],
            "project_name": r[12],
            "ends_on": r[13],
            "dissolved_on": r[14],
            "member_count": 0,
            "full_member_count": 0,
        }
        for r in rows
    ]


def detail_out(user, org: PartyOrg) -> dict:
    return {**org_out(org), **org_to_detail(org), **selectors.org_detail(user, org)}


def org_to_detail(o: PartyOrg) -> dict:
    return {
        "code": o.code,
        "established_on": o.established_on,
        "term_years": o.term_years,
        "credit_code_override_reason": o.credit_code_override_reason,
        "dissolved_reason": o.dissolved_reason,
    }


router = Router(tags=["党组织"])
VIEW = "organizations.view"
SELECT = ("area",)
DEFER = ("contact_phone", "area__boundary")


@router.get(
    "/",
    operation_id="partyorg_list",
    summary="党组织列表",
    response={200: page_schema(OrgOut), 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "parameters": [
            {"in": "query", "name": name, "schema": schema, "required": False, "description": d}
            for name, schema, d in (
                ("parent", {"type": "integer"}, "上级节点编号"),
                ("q", {"type": "string"}, "按名称或拼音首字母搜索"),
                ("include_closed", {"type": "integer", "enum": [0, 1]}, "1：包括已撤销的组织"),
                ("page", {"type": "integer", "minimum": 1}, "页码"),
                ("page_size", {"type": "integer", "minimum": 1, "maximum": 200}, "每页条数"),
            )
        ]
    },
)
def org_list(request):
    """The topmost visible organizations, the visible children of ``parent`` or the matches
    of ``q``; dissolved ones only with ``include_closed=1``; each with its member counts."""
    page = tree_nodes(
        request,
        PartyOrg,
        VIEW,
        org_out,
        SELECT,
        DEFER,
        fields=ORG_FIELDS,
        rows=org_rows_out,
        closed_field="dissolved_on",
    )
    selectors.fill_counts(page["items"])
    return page


@router.get(
    "/{int:node_id}",
    operation_id="partyorg_detail",
    summary="党组织详情",
    response={200: OrgDetailOut, 401: ErrorOut, 404: ErrorOut},
)
def org_detail(request, node_id: int):
    if node_id > MAX_PK:
        raise Http404
    return detail_out(request.auth, selectors.org_get(request.auth, node_id))


# --- authority to approve member development ---------------------------------------------


class ApprovalAuthorizeIn(Schema):
    document_no: str
    document_date: RecordedDate


class ApprovalAuthorizationOut(Schema):
    id: int
    name: str
    approval_authorized: bool
    approval_document_no: str
    approval_document_date: dt.date | None
    approval_authorized_by: str | None
    approval_authorized_at: dt.datetime | None


def authorization_out(o: PartyOrg) -> dict:
    by = o.approval_authorized_by
    return {
        "id": o.pk,
        "name": o.name,
        "approval_authorized": o.approval_authorized,
        "approval_document_no": o.approval_document_no,
        "approval_document_date": o.approval_document_date,
        "approval_authorized_by": (by.real_name or by.username) if by else None,
        "approval_authorized_at": o.approval_authorized_at,
    }


@router.post(
    "/{int:org_id}/approval-authorization",
    summary="登记县级党委授权街道党工委审批发展党员",
    response={200: ApprovalAuthorizationOut, **ERRORS},
)
def approval_authorize(request, org_id: int, data: ApprovalAuthorizeIn):
    org = services.org_approval_authorize(
        actor=request.auth,
        org=ref(PartyOrg, org_id),
        document_no=data.document_no,
        document_date=data.document_date,
    )
    return authorization_out(org)


@router.post(
    "/{int:org_id}/approval-authorization/revoke",
    summary="撤销街道党工委审批发展党员的授权",
    response={200: ApprovalAuthorizationOut, **ERRORS},
)
def approval_revoke(request, org_id: int):
    org = services.org_approval_revoke(actor=request.auth, org=ref(PartyOrg, org_id))
    return authorization_out(org)


# --- administration: create, change, change kind, move, dissolve ---------------------------------


def _fresh(user, org: PartyOrg) -> dict:
    return detail_out(user, selectors.org_get(user, org.pk))


@router.post("/", summary="新建党组织", response={201: OrgDetailOut, **ERRORS})
def org_create(request, data: OrgCreateIn):
    """Any kind and form of DOMAIN.md, anchored to an area; the answer carries the size
    ``warnings`` (common practice) with the count."""
    args = data.dict()
    parent_id, area_id = args.pop("parent_id"), args.pop("area_id")
    org = services.org_create(
        actor=request.auth,
        parent=ref(PartyOrg, parent_id),
        area=ref(Area, area_id),
        **args,
    )
    return Status(201, _fresh(request.auth, org))


@router.patch("/{int:node_id}", summary="修改党组织", response={200: OrgDetailOut, **ERRORS})
def org_update(request, node_id: int, data: OrgUpdateIn):
    """Only the fields sent change; a list of the form (``joint_units``, ``villages``,
    ``resident_unit_members``) sent replaces the stored one."""
    changes = data.dict(exclude_unset=True)
    if "area_id" in changes:
        changes["area"] = ref(Area, changes.pop("area_id"))
    for key in ("name", "domain", "form", "area"):
        if key in changes and changes[key] is None:
            raise field_error(key, "此项不能为空")
    org = services.org_update(actor=request.auth, org=ref(PartyOrg, node_id), **changes)
    return _fresh(request.auth, org)


@router.post(
    "/{int:org_id}/change-kind", summary="变更党组织类别", response={200: OrgDetailOut, **ERRORS}
)
def org_change_kind(request, org_id: int, data: ChangeKindIn):
    """党小组 → 党支部 → 党总支 → 党委 as it grows (or back), with a history row; the answer's
    ``warnings`` are the size rules of the new kind with the member count."""
    org, _warnings = lifecycle.org_change_kind(
        actor=request.auth,
        org=ref(PartyOrg, org_id),
        kind=data.kind,
        reason=data.reason,
        changed_on=data.changed_on,
    )
    return _fresh(request.auth, org)


@router.post("/{int:org_id}/dissolve", summary="撤销党组织", response={200: OrgDetailOut, **ERRORS})
def org_dissolve(request, org_id: int, data: DissolveIn):
    """409 while member files still belong to it (with their count) or while it has children
    that are not dissolved."""
    org = lifecycle.org_dissolve(
        actor=request.auth,
        org=ref(PartyOrg, org_id),
        reason=data.reason,
        dissolved_on=data.dissolved_on,
    )
    return _fresh(request.auth, org)


@router.post("/{int:org_id}/move", summary="移动党组织", response={200: OrgDetailOut, **ERRORS})
def org_move(request, org_id: int, data: MoveIn):
    """The organization and its subtree under ``parent_id``, every stored path rewritten."""
    org = services.org_move(
        actor=request.auth, org=ref(PartyOrg, org_id), new_parent=ref(PartyOrg, data.parent_id)
    )
    return _fresh(request.auth, org)


# --- Excel import ------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/import/template", summary="党组织导入模板", response={200: None, **ERRORS})
def import_template(request):
    return attachment(excel.template_bytes(), "党组织导入模板.xlsx")


@router.post("/import", summary="从Excel导入党组织", response={200: OrgImportReportOut, **ERRORS})
def import_orgs(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload an .xlsx (multipart ``file``); ``mode``: ``all_or_nothing`` or ``skip_bad``.
    Each row is checked as an organization typed in; the report names every bad row and
    column."""
    if file is None:
        raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
    if file.size > excel.MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过10MB，请拆分后分批导入"]})
    return imports.orgs_import(actor=request.auth, content=file.read(), mode=mode)
