"""Users and their grants under /api/v1/users/ and /api/v1/grants/: list, create, change,
deactivate, reset a password to a one-time one, grant and revoke, and what a user reaches
and why."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from dangjian.accounts import selectors, services
from dangjian.accounts.models import Department, Grant, User, UserKind
from dangjian.accounts.services import imports
from dangjian.core import crypto
from dangjian.core.api import ERRORS, Schema, iso, paginate, ref
from dangjian.core.apidates import PlannedDate
from dangjian.core.downloads import attachment
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

router = Router(tags=["用户与授权"])
grants_router = Router(tags=["用户与授权"])


class UserOut(Schema):
    id: int
    username: str
    real_name: str
    kind: str
    kind_label: str
    phone: str
    area_id: int | None
    area_name: str | None
    department_id: int | None
    department_name: str | None
    is_active: bool
    must_change_password: bool
    totp_enabled: bool
    last_login: str | None
    date_joined: str | None


def user_out(u: User) -> dict:
    return {
        "id": u.pk,
        "username": u.username,
        "real_name": u.real_name,
        "kind": u.kind,
        "kind_label": u.get_kind_display(),
        "phone": crypto.mask("phone", u.phone),
        "area_id": u.area_id,
        "area_name": u.area.name if u.area_id else None,
        "department_id": u.department_id,
        "department_name": u.department.name if u.department_id else None,
        "is_active": u.is_active,
        "must_change_password": u.must_change_password,
        "totp_enabled": u.totp_enabled,
        "last_login": iso(u.last_login),
        "date_joined": iso(u.date_joined),
    }


class UserFilters(Schema):
    q: str = ""
    kind: str = ""
    area: int | None = None
    active: bool | None = None


@router.get("/", response={200: page_schema(UserOut), **ERRORS})
def list_users(request, filters: Query[UserFilters]):
    """Users in the caller's scope (accounts.view): ``q`` searches the user name, the name
    and (an 11-digit number) the mobile; ``kind``; ``area`` limits to its subtree."""
    qs = selectors.user_list(
        request.auth,
        q=filters.q,
        kind=filters.kind,
        area=_pk(filters.area),
        active=filters.active,
    )
    return paginate(request, qs, user_out)


class UserIn(Schema):
    username: str
    real_name: str
    kind: str = UserKind.STAFF
    area_id: int | None = None
    department_id: int | None = None
    phone: str = ""
    # Omitted: a one-time password is made and answered once. Either way the account must
    # change it at its first login.
    password: str | None = None


class UserCreatedOut(UserOut):
    one_time_password: str | None


@router.post("/", response={200: UserCreatedOut, **ERRORS})
def create_user(request, data: UserIn):
    password = data.password or services.one_time_password()
    user = services.user_create(
        actor=request.auth,
        username=data.username[:150],
        password=password,
        real_name=data.real_name[:50],
        kind=data.kind,
        area=ref(Area, data.area_id),
        department=ref(Department, data.department_id),
        phone=data.phone[:20],
        must_change_password=True,
    )
    out = user_out(selectors.user_get(request.auth, user.pk))
    out["one_time_password"] = None if data.password else password
    return out


@router.get("/{int:user_id}", response={200: UserOut, **ERRORS})
def get_user(request, user_id: int):
    return user_out(selectors.user_get(request.auth, _pk(user_id)))


class UserPatch(Schema):
    real_name: str | None = None
    kind: str | None = None
    phone: str | None = None
    area_id: int | None = None
    department_id: int | None = None


@router.patch("/{int:user_id}", response={200: UserOut, **ERRORS})
def update_user(request, user_id: int, data: UserPatch):
    changes = data.dict(exclude_unset=True)
    if "area_id" in changes:
        changes["area"] = ref(Area, changes.pop("area_id"))
    if "department_id" in changes:
        changes["department"] = ref(Department, changes.pop("department_id"))
    for key in ("real_name", "kind"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    services.user_update(actor=request.auth, user=User(pk=_pk(user_id)), **changes)
    return user_out(selectors.user_get(request.auth, user_id))


@router.post("/{int:user_id}/deactivate", response={200: UserOut, **ERRORS})
def deactivate_user(request, user_id: int):
    """The account can no longer sign in and its tokens die; its grants stay."""
    services.user_set_active(actor=request.auth, user=User(pk=_pk(user_id)), active=False)
    return user_out(selectors.user_get(request.auth, user_id))


@router.post("/{int:user_id}/reactivate", response={200: UserOut, **ERRORS})
def reactivate_user(request, user_id: int):
    services.user_set_active(actor=request.auth, user=User(pk=_pk(user_id)), active=True)
    return user_out(selectors.user_get(request.auth, user_id))


class ResetOut(Schema):
    id: int
    username: str
    one_time_password: str
    must_change_password: bool


@router.post("/{int:user_id}/reset-password", response={200: ResetOut, **ERRORS})
def reset_password(request, user_id: int):
    """A one-time password, answered once (never stored in clear): the account must change
    it at its next login; its tokens die."""
    user, password = services.user_reset_password(actor=request.auth, user=User(pk=_pk(user_id)))
    return {
        "id": user.pk,
        "username": user.username,
        "one_time_password": password,
        "must_change_password": True,
    }


# --- grants -----------------------------------------------------------------------------------
class UserGrantOut(Schema):
    id: int
    user_id: int
    role: str
    role_label: str
    node_type: str | None
    node_id: int | None
    node_name: str | None
    ends_on: str | None
    in_force: bool
    granted_by_name: str | None
    created_at: str | None


def grant_out(g: Grant) -> dict:
    node_type, node = selectors.grant_node(g)
    return {
        "id": g.pk,
        "user_id": g.user_id,
        "role": g.role.code,
        "role_label": g.role.name,
        "node_type": node_type,
        "node_id": node.pk if node else None,
        "node_name": node.name if node else None,
        "ends_on": iso(g.ends_on),
        "in_force": selectors.grant_in_force(g),
        "granted_by_name": str(g.granted_by) if g.granted_by_id else None,
        "created_at": iso(g.created_at),
    }


@router.get("/{int:user_id}/grants/", response={200: page_schema(UserGrantOut), **ERRORS})
def list_grants(request, user_id: int):
    user = selectors.user_get(request.auth, _pk(user_id))
    return paginate(request, selectors.user_grants(user), grant_out)


class GrantIn(Schema):
    role: str
    area_id: int | None = None
    org_id: int | None = None
    department_id: int | None = None
    ends_on: PlannedDate | None = None


@router.post("/{int:user_id}/grants/", response={200: UserGrantOut, **ERRORS})
def add_grant(request, user_id: int, data: GrantIn):
    """Only a role whose every action the caller holds at or above the node (403 naming the
    first action missing), with an optional last day ``ends_on``; audited."""
    grant = services.grant_add(
        actor=request.auth,
        user=User(pk=_pk(user_id)),
        role_code=data.role[:32],
        area=ref(Area, data.area_id),
        org=ref(PartyOrg, data.org_id),
        department=ref(Department, data.department_id),
        ends_on=data.ends_on,
    )
    return grant_out(selectors.user_grants(grant.user).get(pk=grant.pk))


@grants_router.post("/{int:grant_id}/revoke", response={200: UserGrantOut, **ERRORS})
def revoke_grant(request, grant_id: int):
    """Take a grant back (only one the caller could have given); answers it as it was."""
    grant = selectors.grant_get(request.auth, _pk(grant_id))
    out = grant_out(selectors.user_grants(grant.user).get(pk=grant.pk))
    services.grant_revoke(actor=request.auth, grant=grant)
    return out


class ReachPlaceOut(Schema):
    grant_id: int
    role: str
    role_label: str
    node_type: str | None
    node_id: int | None
    node_name: str | None
    ends_on: str | None


class ReachActionOut(Schema):
    action: str
    label: str
    places: list[ReachPlaceOut]


class ReachOut(Schema):
    user_id: int
    is_active: bool
    actions: list[ReachActionOut]


@router.get("/{int:user_id}/reach", response={200: ReachOut, **ERRORS})
def user_reach(request, user_id: int):
    """Each action the user may take, where (the node, or "self" for their own rows), and
    the grant that gives it."""
    user = selectors.user_get(request.auth, _pk(user_id))
    return {
        "user_id": user.pk,
        "is_active": user.is_active,
        "actions": [
            {
                "action": a["action"],
                "label": a["label"],
                "places": [
                    {
                        "grant_id": p["grant"].pk,
                        "role": p["role"].code,
                        "role_label": p["role"].name,
                        "node_type": p["node_type"],
                        "node_id": p["node"].pk if p["node"] else None,
                        "node_name": p["node"].name if p["node"] else None,
                        "ends_on": iso(p["grant"].ends_on),
                    }
                    for p in a["places"]
                ],
            }
            for a in selectors.reach_explained(user)
        ],
    }


# --- import ---------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UserImportErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportedAccountOut(Schema):
    row: int
    id: int
    username: str
    real_name: str
    one_time_password: str


class UserImportOut(Schema):
    created: int
    total: int
    bad_rows: int
    mode: str
    detail: str
    errors: list[UserImportErrorOut]
    ignored_columns: list[str]
    accounts: list[ImportedAccountOut]


@router.get("/import/template", response={200: None, **ERRORS})
def import_template(request):
    return attachment(imports.template_bytes(), "用户导入模板.xlsx")


@router.post("/import", response={200: UserImportOut, **ERRORS})
def import_users(request, file: File[UploadedFile] = None, mode: Form[str] = "all_or_nothing"):
    """Upload an .xlsx (multipart ``file``) of accounts, each granted its role at its node;
    ``mode``: ``all_or_nothing`` or ``skip_bad``. The report names each bad row and column;
    ``accounts`` carries each new account's one-time password, this once only."""
    if file is None:
        raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
    if file.size > imports.MAX_IMPORT_BYTES:
        raise ValidationError({"file": ["文件不能超过5MB，请拆分后分批导入"]})
    return imports.users_import(actor=request.auth, content=file.read(), mode=mode)
