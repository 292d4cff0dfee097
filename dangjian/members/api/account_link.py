"""A member's file linked to an account, from the account's side:
``POST /api/v1/users/{id}/link-member`` and ``/unlink-member``; ``GET /api/v1/users/{id}/member``
answers the linked file (id and name) when the caller may see it."""

from __future__ import annotations

from ninja import Router

from dangjian.accounts.models import User
from dangjian.core.api import ERRORS, Schema
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import get_visible
from dangjian.members.models import Member
from dangjian.members.services.account_link import member_account_link, member_account_unlink

router = Router(tags=["用户与授权"])


class LinkIn(Schema):
    member_id: int


class LinkedMemberOut(Schema):
    user_id: int
    member_id: int | None
    member_name: str | None


def _linked(actor, user_id: int) -> dict:
    user = get_visible(User, actor, "accounts.view", pk=user_id)
    member = Member.objects.visible_to(actor, "members.view").filter(user_id=user.pk).first()
    return {
        "user_id": user.pk,
        "member_id": member.pk if member else None,
        "member_name": member.name if member else None,
    }


@router.get("/{int:user_id}/member", response={200: LinkedMemberOut, **ERRORS})
def linked_member(request, user_id: int):
    return _linked(request.auth, _pk(user_id))


@router.post("/{int:user_id}/link-member", response={200: LinkedMemberOut, **ERRORS})
def link_member(request, user_id: int, data: LinkIn):
    member_account_link(
        actor=request.auth, user=User(pk=_pk(user_id)), member=Member(pk=_pk(data.member_id))
    )
    return _linked(request.auth, user_id)


@router.post("/{int:user_id}/unlink-member", response={200: LinkedMemberOut, **ERRORS})
def unlink_member(request, user_id: int):
    member_account_unlink(actor=request.auth, user=User(pk=_pk(user_id)))
    return _linked(request.auth, user_id)
