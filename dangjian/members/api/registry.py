"""The member registry under /api/v1/members/.

Thin: parse, call a selector or a service, serialize. Personal data is masked in every answer;
``/{id}/reveal`` shows one whole value to whom may see it, audited.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from ninja import File, Query, Router
from ninja.errors import HttpError
from ninja.files import UploadedFile

from dangjian.accounts.models import User
from dangjian.core import files, pii
from dangjian.core.api import ERRORS, REVEAL_BY_POST, ErrorOut, RevealIn, no_store, paginate
from dangjian.core.api import ref as _ref
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import scoped_object
from dangjian.core.treeapi import page_schema
from dangjian.members import list_page, selectors, services
from dangjian.members.api.schemas import (
    MEMBER_FIELDS,
    ListParams,
    MemberDetailOut,
    MemberFilters,
    MemberIn,
    MemberOut,
    MemberPatch,
    RevealOut,
    _hours,
    member_out,
    member_rows_out,
    mobile_out,
    transfer_out,
)
from dangjian.members.models import (
    Member,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

router = Router(tags=["党员"])

# --- the registry ------------------------------------------------------------------------------


@router.get("/", response={200: page_schema(MemberOut), **ERRORS})
def list_members(request, params: Query[ListParams]):
    args = params.dict()
    args.pop("page"), args.pop("page_size")
    args = MemberFilters(**args).selector_args()
    page = list_page.member_page(request, args, MEMBER_FIELDS, member_rows_out, paginate)
    if page is not None:
        return page
    qs = selectors.member_list(request.auth, **args)
    return paginate(request, selectors.page_columns(qs), member_out)


@router.post("/", response={200: MemberOut, **ERRORS})
def create_member(request, data: MemberIn):
    member = services.member_create(
        actor=request.auth,
        org=_ref(PartyOrg, data.org_id),
        name=data.name,
        status=data.status,
        joined_on=data.joined_on,
        gender=data.gender,
        ethnicity=data.ethnicity,
        birth_date=data.birth_date,
        id_number=data.id_number,
        phone=data.phone,
        education=data.education,
        occupation=data.occupation,
        work_unit=data.work_unit,
        confirmed_on=data.confirmed_on,
        categories=data.categories,
        unit=_ref(Area, data.unit_id),
        user=_ref(User, data.user_id),
        transfer_letter_number=data.transfer_letter_number,
        transfer_from_name=data.transfer_from_name,
    )
    return member_out(selectors.member_get(request.auth, member.pk))


@router.get("/{int:member_id}", response={200: MemberDetailOut, **ERRORS})
@scoped_object("member_id", selectors.member_get)
def member_detail(request, member):
    extras = selectors.member_detail_extras(request.auth, member)
    out = member_out(member)
    out["checkins"] = [
        {
            "id": c.pk,
            "community_id": c.community_id,
            "community_name": c.community.name,
            "reported_on": c.reported_on,
            "service_hours": _hours(c.service_hours),
        }
        for c in extras["checkins"]
    ]
    for r in extras["mobile"]:
        r.member = member
    out["mobile"] = [mobile_out(r) for r in extras["mobile"]]
    out["transfers"] = [transfer_out(t) for t in extras["transfers"]]
    return out


@router.patch("/{int:member_id}", response={200: MemberOut, **ERRORS})
def update_member(request, member_id: int, data: MemberPatch):
    changes = data.dict(exclude_unset=True)
    if "org_id" in changes:
        raise ValidationError({"org_id": ["所在党组织须通过组织关系转接变更"]})
    for key, model, name in (("unit_id", Area, "unit"), ("user_id", User, "user")):
        if key in changes:
            changes[name] = _ref(model, changes.pop(key))
    for key in (
        "categories",
        "name",
        "gender",
        "ethnicity",
        "id_number",
        "phone",
        "education",
        "occupation",
        "work_unit",
        "status",
    ):
        if key in changes and changes[key] is None:
            changes[key] = [] if key == "categories" else ""
    services.member_update(actor=request.auth, member=Member(pk=_pk(member_id)), **changes)
    return member_out(selectors.member_get(request.auth, member_id))


@router.post("/{int:member_id}/reveal", response={200: RevealOut, **ERRORS})
def reveal(request, member_id: int, data: RevealIn, response: HttpResponse):
    """The whole ID number or phone number: needs ``members.reveal_pii``, a purpose and a
    reason (kept in the audit row); never cached."""
    if data.field not in ("id_number", "phone"):
        raise ValidationError({"field": ["只能查看id_number（身份证号码）或phone（手机号码）"]})
    member = selectors.member_get(request.auth, _pk(member_id))
    value = pii.reveal(
        actor=request.auth,
        obj=member,
        field=data.field,
        action="members.reveal_pii",
        purpose=data.purpose,
        reason=data.reason,
    )
    no_store(response)
    return {"field": data.field, "value": value}


@router.get("/{int:member_id}/reveal", response={405: ErrorOut}, include_in_schema=False)
def reveal_by_get(request, member_id: int):
    raise HttpError(405, REVEAL_BY_POST)


@router.get("/{int:member_id}/photo", response={200: None, **ERRORS})
@scoped_object("member_id", selectors.member_get)
def photo(request, member):
    """The member's photo, only to whom may see the file."""
    if not member.photo_id:
        raise Http404("未上传照片")
    return files.file_response(member.photo)


@router.post("/{int:member_id}/photo", response={200: MemberOut, **ERRORS})
def upload_photo(request, member_id: int, file: File[UploadedFile] = None):
    """Upload the photo (multipart ``file``): an image of at most 2 MB, checked by content;
    it replaces the one there was (which is deleted)."""
    services.member_set_photo(actor=request.auth, member=Member(pk=_pk(member_id)), upload=file)
    return member_out(selectors.member_get(request.auth, member_id))


@router.delete("/{int:member_id}/photo", response={200: MemberOut, **ERRORS})
def remove_photo(request, member_id: int):
    """Remove the photo (deleted from storage, audited); needs ``members.manage`` on the file
    like the upload. No photo: 409."""
    services.member_remove_photo(actor=request.auth, member=Member(pk=_pk(member_id)))
    return member_out(selectors.member_get(request.auth, member_id))
