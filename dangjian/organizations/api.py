import datetime as dt

from django.utils.translation import get_language
from ninja import Router, Schema

from dangjian.core.api import ERRORS, ref
from dangjian.core.apidates import RecordedDate
from dangjian.core.choices import label
from dangjian.core.treeapi import add_tree_routes, labels
from dangjian.organizations import services
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    form: str
    form_label: str
    domain: str
    domain_label: str
    path: str
    parent_id: int | None
    child_count: int
    area_id: int
    area_name: str


def org_out(o: PartyOrg) -> dict:
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
        }
        for r in rows
    ]


router = Router(tags=["党组织"])
add_tree_routes(
    router,
    PartyOrg,
    "organizations.view",
    OrgOut,
    org_out,
    select_related=("area",),
    defer=("contact_phone", "area__boundary"),
    fields=ORG_FIELDS,
    rows=org_rows_out,
)


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
