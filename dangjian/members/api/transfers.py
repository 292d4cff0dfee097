"""Membership transfers (组织关系转接) under /api/v1/members/."""

from __future__ import annotations

from ninja import Router

from dangjian.core.api import ERRORS, AllowedActionOut, Schema, paginate
from dangjian.core.api import ref as _ref
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import scoped_object
from dangjian.core.treeapi import page_schema
from dangjian.members import selectors, services
from dangjian.members.api.schemas import TransferOut, transfer_out
from dangjian.members.models import (
    Member,
    MemberTransfer,
)
from dangjian.organizations.models import PartyOrg

router = Router(tags=["党员"])

# --- transfers -----------------------------------------------------------------------------------


class TransferIn(Schema):
    kind: str = "internal"
    to_org_id: int | None = None
    to_org_name: str = ""
    letter_number: str = ""
    reason: str = ""
    note: str = ""


class TransferDetailOut(TransferOut):
    allowed_actions: list[AllowedActionOut]


class TransitionIn(Schema):
    action: str
    note: str = ""
    letter_number: str = ""


@router.post("/{int:member_id}/transfers", response={200: TransferOut, **ERRORS})
def request_transfer(request, member_id: int, data: TransferIn):
    transfer = services.transfer_request(
        actor=request.auth,
        member=Member(pk=_pk(member_id)),
        kind=data.kind,
        to_org=_ref(PartyOrg, data.to_org_id),
        to_org_name=data.to_org_name,
        letter_number=data.letter_number,
        reason=data.reason,
        note=data.note,
    )
    return transfer_out(selectors.transfer_get(request.auth, transfer.pk))


@router.get("/transfers/", response={200: page_schema(TransferOut), **ERRORS})
def list_transfers(
    request, state: str | None = None, kind: str | None = None, member: int | None = None
):
    qs = selectors.transfer_list(
        request.auth, state=state, kind=kind, member=_pk(member)
    ).prefetch_related("steps")
    return paginate(request, qs, transfer_out)


@scoped_object("pk", selectors.transfer_get, name="transfer")
def _transfer_answer(request, transfer) -> dict:
    """A transfer as the user sees it now (after a move too: re-read through the scope), with
    the moves the caller may make now (``allowed_actions``, from the declared flow)."""
    out = transfer_out(transfer)
    out["allowed_actions"] = services.transfer_allowed_actions(request.auth, transfer)
    return out


@router.get("/transfers/{int:transfer_id}", response={200: TransferDetailOut, **ERRORS})
def transfer_detail(request, transfer_id: int):
    return _transfer_answer(request, transfer_id)


@router.post(
    "/transfers/{int:transfer_id}/transitions", response={200: TransferDetailOut, **ERRORS}
)
def transfer_transition(request, transfer_id: int, data: TransitionIn):
    moved = services.transfer_transition(
        actor=request.auth,
        transfer=MemberTransfer(pk=_pk(transfer_id)),
        **data.dict(include={"action", "note", "letter_number"}),
    )
    return _transfer_answer(request, moved.pk)
