"""Membership transfers (组织关系转接): the transfer, its flow and its history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields, Subtree
from dangjian.core.tree import PathField
from dangjian.core.workflow import Action
from dangjian.members.models.registry import Member
from dangjian.organizations.models import PartyOrg

# --- membership transfers (组织关系转接) ------------------------------------------------------


class TransferKind(models.TextChoices):
    INTERNAL = "internal", _("系统内转接")
    OUT_OF_SYSTEM = "out_of_system", _("转出系统外")
    INTO_SYSTEM = "into_system", _("从系统外转入")


class TransferState(models.TextChoices):
    REQUESTED = "requested", _("待转出方审批")
    OUT_APPROVED = "out_approved", _("待转入方接收")
    COMPLETED = "completed", _("已完成")
    REJECTED = "rejected", _("已退回")
    CANCELLED = "cancelled", _("已撤销")


OPEN_TRANSFER_STATES = (TransferState.REQUESTED, TransferState.OUT_APPROVED)


def _move(label: str, sources, target: str, side: str, needs: tuple[str, ...] = ()) -> Action:
    """One move of the transfer workflow; every move needs ``members.manage`` on its side
    ("from": the organization the member leaves; "to": the one receiving)."""
    return Action(label, frozenset(sources), target, "members.manage", side, needs=needs)


# The workflow as data, one flow per kind (kind → action → the kernel's ``Action``); the
# kernel's runner (``core.workflow``) takes them: ``services.transfers.TRANSFER_FLOWS``.
TRANSFER_FLOW: dict[str, dict[str, Action]] = {
    TransferKind.INTERNAL: {
        "approve_out": _move(
            "转出方审批同意", {TransferState.REQUESTED}, TransferState.OUT_APPROVED, "from"
        ),
        "reject_out": _move(
            "转出方退回", {TransferState.REQUESTED}, TransferState.REJECTED, "from"
        ),
        "approve_in": _move(
            "转入方接收", {TransferState.OUT_APPROVED}, TransferState.COMPLETED, "to"
        ),
        "reject_in": _move(
            "转入方退回", {TransferState.OUT_APPROVED}, TransferState.REJECTED, "to"
        ),
        "cancel": _move("撤销申请", OPEN_TRANSFER_STATES, TransferState.CANCELLED, "from"),
    },
    TransferKind.OUT_OF_SYSTEM: {
        "approve_out": _move(
            "审批同意并开具介绍信",
            {TransferState.REQUESTED},
            TransferState.COMPLETED,
            "from",
            needs=("letter_number",),
        ),
        "reject_out": _move(
            "转出方退回", {TransferState.REQUESTED}, TransferState.REJECTED, "from"
        ),
        "cancel": _move("撤销申请", {TransferState.REQUESTED}, TransferState.CANCELLED, "from"),
    },
    TransferKind.INTO_SYSTEM: {},
}
# The steps that are not moves of a flow (the request itself, a transfer recorded into the
# system), then each flow's own labels: one action may read differently per kind ("approve_out"
# is "转出方审批同意" inside the system and "审批同意并开具介绍信" out of it).
TRANSFER_STEP_LABELS = {"request": "提出申请", "record": "登记转入"}
TRANSFER_ACTION_LABELS: dict[str, dict[str, str]] = {
    kind: TRANSFER_STEP_LABELS | {action: move.label for action, move in flow.items()}
    for kind, flow in TRANSFER_FLOW.items()
}


def transfer_action_label(kind: str, action: str) -> str:
    """The label of ``action`` in a transfer of ``kind`` (the code itself when unknown)."""
    return TRANSFER_ACTION_LABELS.get(kind, TRANSFER_STEP_LABELS).get(action, action)


class MemberTransfer(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("党员")
    )
    member_name = models.CharField(_("党员姓名"), max_length=50)
    kind = models.CharField(_("类型"), max_length=16, choices=TransferKind.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=TransferState.choices, default=TransferState.REQUESTED
    )
    from_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name=_("转出党组织"),
    )
    from_org_path = PathField(_("转出组织路径"), blank=True, default="", db_index=True)
    from_org_name = models.CharField(_("转出党组织名称"), max_length=100, blank=True)
    to_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name=_("转入党组织"),
    )
    to_org_path = PathField(_("转入组织路径"), blank=True, default="", db_index=True)
    to_org_name = models.CharField(_("转入党组织名称"), max_length=100, blank=True)
    letter_number = models.CharField(_("介绍信编号"), max_length=50, blank=True)
    reason = models.CharField(_("转接原因"), max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = ScopedManager()
    # Either side of a transfer reaches it (the audit reads the sending side's path); the
    # workflow's side checks pick one side with ``visible_to(..., via=SIDES[name])``.
    scope_fields = ScopeFields(
        org="from_org_path", own="member__user_id", kinds=(Subtree("to_org_path", "org"),)
    )
    SIDES = {"from": ("from_org_path",), "to": ("to_org_path",)}

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(state__in=["requested", "out_approved"]),
                name="transfer_one_open_per_member",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.member_name}：{self.from_org_name or '系统外'} → {self.to_org_name or '系统外'}"
        )


class TransferStep(models.Model):
    """The history of a transfer: one row per move, never changed."""

    transfer = models.ForeignKey(
        MemberTransfer, on_delete=models.CASCADE, related_name="steps", verbose_name=_("转接")
    )
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    note = models.CharField(_("意见"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("转接记录")
        verbose_name_plural = _("转接记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state}"
