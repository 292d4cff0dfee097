"""Writes of membership transfers (组织关系转接): request, transitions, completion, history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_text
from dangjian.members.models import (
    OPEN_TRANSFER_STATES,
    TRANSFER_FLOW,
    Member,
    MemberTransfer,
    MobileRegistration,
    Status,
    TransferKind,
    TransferState,
    TransferStep,
    sides_q,
)
from dangjian.members.services.fields import _actor_name, _is_user
from dangjian.organizations.models import OrgKind, PartyOrg


def _step(
    transfer: MemberTransfer, actor, action: str, from_state: str, to_state: str, note: str, at
) -> TransferStep:
    return TransferStep.objects.create(
        transfer=transfer,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor if _is_user(actor) else None,
        actor_name=_actor_name(actor),
        note=note[:500],
        at=at,
    )


@transaction.atomic
def transfer_request(
    *,
    actor,
    member: Member,
    kind: str = TransferKind.INTERNAL,
    to_org: PartyOrg | None = None,
    to_org_name: str = "",
    letter_number: str = "",
    reason: str = "",
    note: str = "",
) -> MemberTransfer:
    """Ask to move a member's membership: inside the system to an organization the actor can
    see, or out of the system (with the letter number at approval at the latest)."""
    member = scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    errors = Errors()
    if kind not in (TransferKind.INTERNAL, TransferKind.OUT_OF_SYSTEM):
        raise ValidationError({"kind": ["转接类型应为系统内转接或转出系统外"]})
    if member.left_on:
        raise Conflict("该党员组织关系已转出系统")
    if MemberTransfer.objects.filter(member=member, state__in=OPEN_TRANSFER_STATES).exists():
        raise Conflict("该党员已有未办结的组织关系转接")
    if member.status in (Status.REMOVED, Status.DECEASED):
        errors.add("member", f"该党员状态为“{member.get_status_display()}”，不能转接组织关系")
    target = None
    if kind == TransferKind.INTERNAL:
        if to_org is None:
            errors.add("to_org", "请选择转入党组织")
        else:
            # An organization the actor cannot see reads as absent: the transfer is refused.
            target = scope.get_visible(
                PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=to_org.pk
            )
            if target.pk == member.org_id:
                errors.add("to_org", "转入党组织不能是当前所在党组织")
            elif target.kind == OrgKind.GROUP:
                errors.add("to_org", "组织关系应转入党支部（或党总支、党委），不能转入党小组")
        to_name = target.name if target else ""
    else:
        to_name = clean_text(to_org_name)
        if not to_name:
            errors.add("to_org_name", "请填写转入的系统外党组织名称")
        elif len(to_name) > 100:
            errors.add("to_org_name", "党组织名称不能超过100个字")
    letter, reason = clean_text(letter_number), clean_text(reason)
    if len(letter) > 50:
        errors.add("letter_number", "介绍信编号不能超过50个字符")
    if len(reason) > 200:
        errors.add("reason", "转接原因不能超过200个字")
    errors.check()
    from_org = PartyOrg.objects.defer("contact_phone").get(pk=member.org_id)
    transfer = MemberTransfer.objects.create(
        member=member,
        member_name=member.name,
        kind=kind,
        state=TransferState.REQUESTED,
        from_org=from_org,
        from_org_path=from_org.path,
        from_org_name=from_org.name,
        to_org=target,
        to_org_path=target.path if target else "",
        to_org_name=to_name,
        letter_number=letter,
        reason=reason,
        requested_by=actor if _is_user(actor) else None,
    )
    _step(
        transfer,
        actor,
        "request",
        "",
        TransferState.REQUESTED,
        clean_text(note) or reason,
        timezone.now(),
    )
    audit.record(
        actor=actor,
        action="transfer.request",
        obj=transfer,
        org_path=from_org.path,
        after=audit.snapshot(transfer),
    )
    scope.assert_visible(transfer, actor, "members.view")
    return transfer


def _side_allows(actor, transfer: MemberTransfer, side: str, action: str) -> bool:
    q = sides_q(MemberTransfer, actor, action, sides=[MemberTransfer.SIDE_FIELDS[side]])
    return q is not None and MemberTransfer.objects.filter(q, pk=transfer.pk).exists()


@transaction.atomic
def transfer_transition(
    *, actor, transfer: MemberTransfer, action: str, note: str = "", letter_number: str = ""
) -> MemberTransfer:
    """The one transition service of the transfer workflow (``TRANSFER_FLOW``): checks the move
    and the side, stamps time and actor, writes history; completing an internal transfer moves
    the member, completing one out of the system takes the file out of the registry."""
    transfer = scope.get_visible(
        MemberTransfer.objects.select_for_update(of=("self",)),
        actor,
        "members.view",
        pk=transfer.pk,
    )
    flow = TRANSFER_FLOW.get(transfer.kind, {})
    move = flow.get(action)
    if move is None:
        allowed = "、".join(f"{a}（{m.label}）" for a, m in flow.items()) or "无"
        raise ValidationError({"action": [f"不支持的操作“{action}”，可用操作：{allowed}"]})
    if transfer.state not in move.sources:
        raise Conflict(f"当前状态为“{transfer.get_state_display()}”，不能执行“{move.label}”")
    if not _side_allows(actor, transfer, move.side, "members.manage"):
        side = "转出方" if move.side == "from" else "转入方"
        raise scope.Forbidden(f"只有{side}党组织可以执行“{move.label}”")
    errors = Errors()
    note = clean_text(note)
    if len(note) > 500:
        errors.add("note", "意见不能超过500个字")
    letter = clean_text(letter_number)
    if len(letter) > 50:
        errors.add("letter_number", "介绍信编号不能超过50个字符")
    if "letter_number" in move.needs and not (letter or transfer.letter_number):
        errors.add("letter_number", "请填写介绍信编号")
    errors.check()
    before = audit.snapshot(transfer)
    now = timezone.now()
    from_state = transfer.state
    transfer.state = move.target
    if letter:
        transfer.letter_number = letter
    if move.target == TransferState.COMPLETED:
        transfer.completed_at = now
        _complete(actor, transfer, now)
    transfer.save()
    _step(transfer, actor, action, from_state, move.target, note, now)
    b, a = audit.diff(before, audit.snapshot(transfer))
    audit.record(
        actor=actor,
        action=f"transfer.{action}",
        obj=transfer,
        org_path=transfer.from_org_path,
        before=b,
        after=a,
        note=note,
    )
    scope.assert_visible(transfer, actor, "members.view")
    return transfer


def _complete(actor, transfer: MemberTransfer, now) -> None:
    member = Member.objects.select_for_update().get(pk=transfer.member_id)
    before = audit.snapshot(member, ["org", "org_path", "left_on"])
    if transfer.kind == TransferKind.INTERNAL:
        target = PartyOrg.objects.defer("contact_phone").get(pk=transfer.to_org_id)
        member.org, member.org_path = target, target.path
        member.save(update_fields=["org", "org_path", "updated_at"])
    elif transfer.kind == TransferKind.OUT_OF_SYSTEM:
        member.left_on = timezone.localdate(now)
        member.save(update_fields=["left_on", "updated_at"])
        MobileRegistration.objects.filter(member=member, active=True).update(
            active=False, ended_on=member.left_on
        )
    audit.record(
        actor=actor,
        action="member.transfer",
        obj=member,
        before=before,
        after=audit.snapshot(member, ["org", "org_path", "left_on"]),
        note=f"组织关系转接（编号{transfer.pk}）",
    )


def transfer_history(transfer: MemberTransfer) -> list[TransferStep]:
    return list(transfer.steps.all())


# --- Excel import and export ----------------------------------------------------------------
