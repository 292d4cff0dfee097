"""Writes of membership transfers (组织关系转接): request, transitions, completion, history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, scope, workflow
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_free_text, clean_text
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
            elif target.dissolved_on is not None:
                errors.add("to_org", f"{target.name}已撤销，不能转入")
            elif target.kind == OrgKind.GROUP:
                errors.add("to_org", "组织关系应转入党支部（或党总支、党委），不能转入党小组")
        to_name = target.name if target else ""
    else:
        to_name = clean_text(to_org_name)
        if not to_name:
            errors.add("to_org_name", "请填写转入的系统外党组织名称")
        elif len(to_name) > 100:
            errors.add("to_org_name", "党组织名称不能超过100个字")
    letter, reason = clean_text(letter_number), clean_free_text(reason)
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
        clean_free_text(note) or reason,
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


# The transfer workflow on the kernel's engine (``core.workflow``): one flow per kind
# (``TRANSFER_FLOW`` is the data), with the two sides "from" and "to", the fields, the effect
# of completing and the history row here.

_SIDE_NAMES = {"from": "转出方", "to": "转入方"}


def _side(name: str):
    def side(actor, transfer: MemberTransfer, move: workflow.Action) -> str | None:
        if scope.is_visible(transfer, actor, move.permission, via=MemberTransfer.SIDES[name]):
            return None
        return f"只有{_SIDE_NAMES[name]}党组织可以执行“{move.label}”"

    return side


def _unknown(flow: workflow.Flow, action) -> str:
    allowed = "、".join(f"{a}（{m.label}）" for a, m in flow.actions.items()) or "无"
    return f"不支持的操作“{action}”，可用操作：{allowed}"


def _clean(ctx: workflow.Context) -> None:
    ctx.note = clean_free_text(ctx.note)
    if len(ctx.note) > 500:
        ctx.errors.add("note", "意见不能超过500个字")
    letter = clean_text(ctx.fields.get("letter_number") or "")
    if len(letter) > 50:
        ctx.errors.add("letter_number", "介绍信编号不能超过50个字符")
    if "letter_number" in ctx.move.needs and not (letter or ctx.obj.letter_number):
        ctx.errors.add("letter_number", "请填写介绍信编号")
    ctx.values["letter_number"] = letter


def _save(ctx: workflow.Context) -> None:
    transfer = ctx.obj
    if ctx.values["letter_number"]:
        transfer.letter_number = ctx.values["letter_number"]
    if transfer.state == TransferState.COMPLETED:
        transfer.completed_at = ctx.now
        _complete(ctx.actor, transfer, ctx.now)
    transfer.save()


def _history(ctx: workflow.Context) -> None:
    _step(ctx.obj, ctx.actor, ctx.action, ctx.from_state, ctx.obj.state, ctx.note, ctx.now)


def _audit(ctx: workflow.Context) -> dict:
    before, after = audit.diff(ctx.before, audit.snapshot(ctx.obj))
    return {
        "action": f"transfer.{ctx.action}",
        "org_path": ctx.obj.from_org_path,
        "before": before,
        "after": after,
        "note": ctx.note,
    }


TRANSFER_FLOWS: dict[str, workflow.Flow] = {
    kind: workflow.Flow(
        name=f"members.transfer.{kind}",
        states=TransferState,
        actions=actions,
        sides={"from": _side("from"), "to": _side("to")},
        queryset=lambda: MemberTransfer.objects.all(),
        view_permission="members.view",
        clean=_clean,
        save=_save,
        history=_history,
        audit=_audit,
        snapshot=audit.snapshot,
        unknown_message=_unknown,
    )
    for kind, actions in TRANSFER_FLOW.items()
}


def transfer_flow(transfer: MemberTransfer) -> workflow.Flow:
    """The declared flow of ``transfer``'s kind."""
    return TRANSFER_FLOWS[transfer.kind]


def transfer_allowed_actions(actor, transfer: MemberTransfer) -> list[dict]:
    """The moves ``actor`` may make on ``transfer`` now (``[{"action", "label"}]``)."""
    return workflow.allowed_actions(transfer_flow(transfer), actor, transfer)


def transfer_transition(
    *, actor, transfer: MemberTransfer, action: str, note: str = "", letter_number: str = ""
) -> MemberTransfer:
    """The one transition service of the transfer workflow, run by the kernel on the flow of
    the transfer's kind: completing an internal transfer moves the member, completing one out
    of the system takes the file out of the registry."""
    # The kind never changes: read it through the scope (out of scope: 404), then the runner
    # locks the row and checks the move.
    kind = scope.get_visible(
        MemberTransfer.objects.only("pk", "kind"), actor, "members.view", pk=transfer.pk
    ).kind
    with transaction.atomic():
        moved = workflow.run(
            TRANSFER_FLOWS[kind],
            actor=actor,
            pk=transfer.pk,
            action=action,
            note=note,
            letter_number=letter_number,
        ).obj
        if moved.state == TransferState.OUT_APPROVED:
            from dangjian.members import todos

            todos.tell_receiving(moved)
    return moved


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
