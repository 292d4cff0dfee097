"""Residents' self-registration under /api/v1/registrations/ (the grid worker's list,
confirm, reject) and the grids' invitation codes under /api/v1/invitations/."""

from __future__ import annotations

import segno
from django.http import HttpResponse
from ninja import Query, Router

from dangjian.accounts import services
from dangjian.accounts.models import GridInvitation, Registration, RegistrationState
from dangjian.core import crypto, scope
from dangjian.core.api import ERRORS, Schema, iso, paginate, ref
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.territory.models import Area

router = Router(tags=["居民注册"])
invitations_router = Router(tags=["居民注册"])

REGISTER_PATH = "/m/register/"


def register_url(request, code: str) -> str:
    return request.build_absolute_uri(f"{REGISTER_PATH}?code={code}")


def qr_svg(request, code: str) -> str:
    """The QR code of the registration page with the code filled in (built from our own URL
    and a code of [A-Z2-9]: nothing typed by a user goes into it)."""
    return segno.make(register_url(request, code), error="m").svg_inline(scale=5, border=2)


class RegistrationOut(Schema):
    id: int
    name: str
    phone: str
    area_id: int
    area_name: str
    state: str
    state_label: str
    reason: str
    created_at: str | None
    decided_at: str | None
    decided_by_name: str | None
    user_id: int | None


def registration_out(r: Registration) -> dict:
    return {
        "id": r.pk,
        "name": r.name,
        "phone": crypto.mask("phone", r.phone),
        "area_id": r.area_id,
        "area_name": r.area.name,
        "state": r.state,
        "state_label": r.get_state_display(),
        "reason": r.reason,
        "created_at": iso(r.created_at),
        "decided_at": iso(r.decided_at),
        "decided_by_name": str(r.decided_by) if r.decided_by_id else None,
        "user_id": r.user_id,
    }


def registration_list(actor, state: str = ""):
    qs = (
        Registration.objects.visible_to(actor, services.registration.CONFIRM)
        .select_related("area", "decided_by")
        .defer("area__boundary")
    )
    if state:
        qs = qs.filter(state=state)
    return qs


class RegistrationFilters(Schema):
    state: str = RegistrationState.PENDING


@router.get("/", response={200: page_schema(RegistrationOut), **ERRORS})
def list_registrations(request, filters: Query[RegistrationFilters]):
    """Registrations in the caller's grids (``accounts.confirm_resident``); ``state``:
    pending (default), confirmed, rejected, or empty for all."""
    return paginate(request, registration_list(request.auth, filters.state), registration_out)


def _one(request, pk: int) -> dict:
    reg = scope.get_visible(
        registration_list(request.auth), request.auth, services.registration.CONFIRM, pk=pk
    )
    return registration_out(reg)


@router.post("/{int:registration_id}/confirm", response={200: RegistrationOut, **ERRORS})
def confirm_registration(request, registration_id: int):
    services.registration_decide(
        actor=request.auth, registration=Registration(pk=_pk(registration_id)), confirm=True
    )
    return _one(request, registration_id)


class RejectIn(Schema):
    reason: str


@router.post("/{int:registration_id}/reject", response={200: RegistrationOut, **ERRORS})
def reject_registration(request, registration_id: int, data: RejectIn):
    services.registration_decide(
        actor=request.auth,
        registration=Registration(pk=_pk(registration_id)),
        confirm=False,
        reason=data.reason[:200],
    )
    return _one(request, registration_id)


# --- invitations ------------------------------------------------------------------------------
class InvitationOut(Schema):
    id: int
    area_id: int
    area_name: str
    code: str
    active: bool
    register_url: str
    qr_url: str
    created_at: str | None


def invitation_out(request, i: GridInvitation) -> dict:
    return {
        "id": i.pk,
        "area_id": i.area_id,
        "area_name": i.area.name,
        "code": i.code,
        "active": i.active,
        "register_url": register_url(request, i.code),
        "qr_url": f"/api/v1/invitations/{i.pk}/qr",
        "created_at": iso(i.created_at),
    }


def invitation_list(actor):
    return (
        GridInvitation.objects.visible_to(actor, services.registration.CONFIRM)
        .filter(active=True)
        .select_related("area")
        .defer("area__boundary")
    )


@invitations_router.get("/", response={200: page_schema(InvitationOut), **ERRORS})
def list_invitations(request):
    """The active invitation code of each grid the caller confirms residents in."""
    return paginate(request, invitation_list(request.auth), lambda i: invitation_out(request, i))


class InvitationIn(Schema):
    area_id: int


@invitations_router.post("/", response={200: InvitationOut, **ERRORS})
def issue_invitation(request, data: InvitationIn):
    """A new code for the grid (the old one stops working)."""
    inv = services.invitation_issue(actor=request.auth, area=ref(Area, data.area_id))
    return invitation_out(request, inv)


@invitations_router.get("/{int:invitation_id}/qr", response={200: None, **ERRORS})
def invitation_qr(request, invitation_id: int):
    """The QR code (SVG) of the registration page with the grid's code filled in."""
    inv = scope.get_visible(
        invitation_list(request.auth),
        request.auth,
        services.registration.CONFIRM,
        pk=_pk(invitation_id),
    )
    svg = segno.make(register_url(request, inv.code), error="m")
    out = HttpResponse(content_type="image/svg+xml")
    svg.save(out, kind="svg", scale=5, border=2)
    return out
