"""A member's file linked to the member's account (and unlinked): the account then reaches
its own file (the ``member`` role, which reaches only oneself). Members sit above accounts
in the layers, so the link lives here, not in accounts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.accounts.models import Grant, Role, User, UserKind, grants_bump
from dangjian.core import audit, scope
from dangjian.members.models import Member


def _account(actor, user: User) -> User:
    return scope.get_visible(
        User.objects.select_for_update(),
        actor,
        "accounts.manage",
        view_action="accounts.view",
        pk=user.pk,
    )


def _member(actor, member: Member) -> Member:
    return scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )


@transaction.atomic
def member_account_link(*, actor, user: User, member: Member) -> Member:
    """Link ``member``'s file to ``user`` (members.manage over the file, accounts.manage over
    the account). A resident's account becomes a member's; staff accounts are refused. The
    account gets the ``member`` role (own rows only) if it lacks it: the link itself is the
    check, as the actor manages both."""
    user = _account(actor, user)
    member = _member(actor, member)
    if user.kind not in (UserKind.MEMBER, UserKind.RESIDENT):
        raise ValidationError({"user": ["只能关联党员或群众类型的账号"]})
    if member.user_id and member.user_id != user.pk:
        raise ValidationError({"member_id": ["该党员档案已关联其他账号，请先解除关联"]})
    other = Member.objects.filter(user_id=user.pk).exclude(pk=member.pk).first()
    if other is not None:
        raise ValidationError({"user": ["该账号已关联其他党员档案"]})
    before = {"user_id": member.user_id, "kind": user.kind}
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    if user.kind != UserKind.MEMBER:
        user.kind = UserKind.MEMBER
        user.save(update_fields=["kind"])
    if not Grant.objects.filter(user=user, role__code="member").exists():
        Grant.objects.create(user=user, role=Role.objects.get(code="member"), granted_by=actor)
        grants_bump(user)
    audit.record(
        actor=actor,
        action="member.link_account",
        obj=member,
        before=before,
        after={"user_id": user.pk, "kind": user.kind},
    )
    return member


@transaction.atomic
def member_account_unlink(*, actor, user: User) -> None:
    """Unlink the file linked to ``user``; the account keeps its grants (revoke them apart)."""
    user = _account(actor, user)
    member = Member.objects.filter(user_id=user.pk).first()
    if member is None:
        raise ValidationError({"user": ["该账号未关联党员档案"]})
    member = _member(actor, member)
    member.user = None
    member.save(update_fields=["user", "updated_at"])
    audit.record(
        actor=actor,
        action="member.unlink_account",
        obj=member,
        before={"user_id": user.pk},
        after={"user_id": None},
    )
