"""Party dues (党费): profiles, base history, hardship decisions, payments, remittances.

Money moves only through ``core.ledger`` (ledger ``dues``): each member has one account
(``dues:member:<id>``) and each organization that collects or receives dues one
(``dues:org:<id>``). A payment posts one ledger transaction per month it covers, keyed
``dues:month:<member>:<YYYY-MM>:<n>`` (``n`` counts the reversals of that month, so a month
paid, reversed and paid again gets a fresh key while a replay finds the first one), plus one
for a voluntary extra. Ledger rows are never edited: a reversal posts mirror transactions and
only marks the app's own rows (``DuesPayment.reversed_at``, ``DuesPaymentMonth.reversed``).

Monthly assessments are computed, not stored: the amount owed for a month is the amount of the
base record in force that month (``DuesBase``: category, base, rate and amount frozen when it
was entered, effective from the month the new pay starts), replaced by an approved hardship
decision (reduction or waiver) covering that month. Every dues row is scoped through its
member (``member__org_path``; the member's own account sees their own).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import LedgerAccount, LedgerTransaction
from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.core.workflow import Action
from dangjian.dues import rates
from dangjian.members.models import Member
from dangjian.organizations.models import PartyOrg


class DuesCategory(models.TextChoices):
    IN_SERVICE = rates.IN_SERVICE, _("在职党员")
    SELF_EMPLOYED = rates.SELF_EMPLOYED, _("个体及灵活就业党员")
    RETIRED = rates.RETIRED, _("离退休党员")
    FARMER = rates.FARMER, _("农民党员")
    STUDENT = rates.STUDENT, _("学生党员")
    UNEMPLOYED = rates.UNEMPLOYED, _("下岗失业党员")
    LOW_INCOME = rates.LOW_INCOME, _("享受低保党员")


MEMBER_SCOPE = ScopeFields(org="member__org_path", own="member__user_id")


class DuesProfile(models.Model):
    """One dues category per member (separate from the member categories)."""

    member = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="dues_profile", verbose_name=_("党员")
    )
    category = models.CharField(_("党费类别"), max_length=16, choices=DuesCategory.choices)
    # Paying quarterly needs the branch's consent (paying ahead more than one month).
    quarterly = models.BooleanField(_("经支部同意按季缴纳"), default=False)
    # The first month owed: a probationary member's branch vote (the join date); for a member
    # set up later, the month of the first base record.
    dues_from = models.DateField(_("起缴月份"))
    account = models.OneToOneField(
        LedgerAccount,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("党费账户"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = MEMBER_SCOPE

    class Meta:
        verbose_name = _("党费档案")
        verbose_name_plural = _("党费档案")

    def __str__(self) -> str:
        return f"{self.member.name}（{self.get_category_display()}）"


class DuesBase(models.Model):
    """A base and the rate and monthly amount it gave, from ``effective_month`` on."""

    profile = models.ForeignKey(
        DuesProfile, on_delete=models.CASCADE, related_name="bases", verbose_name=_("党费档案")
    )
    category = models.CharField(_("党费类别"), max_length=16, choices=DuesCategory.choices)
    base = models.DecimalField(_("缴费基数"), max_digits=12, decimal_places=2)
    rate = models.DecimalField(_("比例"), max_digits=6, decimal_places=4, null=True, blank=True)
    amount = models.DecimalField(_("月应交金额"), max_digits=12, decimal_places=2)
    effective_month = models.DateField(_("起始月份"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("缴费基数记录")
        verbose_name_plural = _("缴费基数记录")
        ordering = ["profile", "effective_month"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "effective_month"], name="dues_base_one_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.effective_month:%Y-%m} {self.base}"

    @property
    def rate_text(self) -> str | None:
        return None if self.rate is None else str(self.rate.normalize())


# --- hardship reduction or waiver: a small workflow declared as data --------------------------


class HardshipKind(models.TextChoices):
    REDUCE = "reduce", _("减交")
    WAIVE = "waive", _("免交")


class HardshipState(models.TextChoices):
    REQUESTED = "requested", _("待支部决定")
    BRANCH_AGREED = "branch_agreed", _("支部同意待上级审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤回")


HS = HardshipState
# The flow as data (``core.workflow``; run by ``dues.flow``). Sides: "branch": reach over the
# member's organization; "next_level": reach over the organization above the member's branch,
# and not the one who decided at the branch.
HARDSHIP_FLOW: dict[str, Action] = {
    "agree": Action(
        "支部同意", frozenset({HS.REQUESTED}), HS.BRANCH_AGREED, "dues.manage", "branch"
    ),
    "approve": Action(
        "上级批准", frozenset({HS.BRANCH_AGREED}), HS.APPROVED, "dues.approve", "next_level"
    ),
    "reject": Action(
        "不同意",
        frozenset({HS.REQUESTED, HS.BRANCH_AGREED}),
        HS.REJECTED,
        "dues.manage",
        "branch",
        needs=("note",),
    ),
    "withdraw": Action("撤回", frozenset({HS.REQUESTED}), HS.WITHDRAWN, "dues.manage", "branch"),
}
HARDSHIP_ACTION_LABELS = {"request": "提出申请"} | {a: m.label for a, m in HARDSHIP_FLOW.items()}


class Hardship(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="dues_hardships", verbose_name=_("党员")
    )
    kind = models.CharField(_("类型"), max_length=8, choices=HardshipKind.choices)
    # The reduced monthly amount (a reduction); a waiver owes nothing.
    amount = models.DecimalField(
        _("减交后月交金额"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    from_month = models.DateField(_("起始月份"))
    to_month = models.DateField(_("截止月份"))
    reason = models.CharField(_("困难情况"), max_length=500)
    state = models.CharField(
        _("状态"), max_length=16, choices=HardshipState.choices, default=HS.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = MEMBER_SCOPE

    class Meta:
        verbose_name = _("党费减免")
        verbose_name_plural = _("党费减免")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.member.name} {self.get_kind_display()} {self.from_month:%Y-%m}"


class HardshipStep(models.Model):
    hardship = models.ForeignKey(Hardship, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("操作"), max_length=16)
    from_state = models.CharField(_("原状态"), max_length=16, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.at}"


# --- payments ------------------------------------------------------------------------------------


class PaymentKind(models.TextChoices):
    MONTHLY = "monthly", _("按月缴纳")
    QUARTERLY = "quarterly", _("按季缴纳")
    COMBINED = "combined", _("合并缴纳")
    EXTRA = "extra", _("自愿多交")


class DuesPayment(models.Model):
    """One payment (one receipt): the months it covers and a voluntary extra, if any."""

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="dues_payments", verbose_name=_("党员")
    )
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("收缴党组织")
    )
    receipt_no = models.CharField(_("收据编号"), max_length=32, unique=True)
    kind = models.CharField(_("缴纳方式"), max_length=16, choices=PaymentKind.choices)
    first_month = models.DateField(_("起始月份"), null=True, blank=True)
    last_month = models.DateField(_("截止月份"), null=True, blank=True)
    months_count = models.PositiveSmallIntegerField(_("月数"), default=0)
    dues_amount = models.DecimalField(_("党费"), max_digits=12, decimal_places=2, default=0)
    extra_amount = models.DecimalField(_("自愿多交"), max_digits=12, decimal_places=2, default=0)
    total = models.DecimalField(_("合计"), max_digits=12, decimal_places=2)
    # A single voluntary extra of 1000 yuan or more is remitted whole to the centre.
    remit_whole = models.BooleanField(_("全额上缴中央"), default=False)
    paid_on = models.DateField(_("缴纳日期"))
    client_key = models.CharField(_("请求标识"), max_length=64, blank=True, default="")
    extra_txn = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("冲正时间"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reverse_note = models.CharField(_("冲正原因"), max_length=200, blank=True)

    objects = ScopedManager()
    scope_fields = MEMBER_SCOPE

    class Meta:
        verbose_name = _("党费缴纳")
        verbose_name_plural = _("党费缴纳")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "client_key"],
                condition=~models.Q(client_key=""),
                name="dues_payment_client_key",
            )
        ]
        indexes = [models.Index(fields=["org", "paid_on"], name="dues_payment_org_paid")]

    def __str__(self) -> str:
        return f"{self.receipt_no} {self.member.name} {self.total}"


class DuesPaymentMonth(models.Model):
    """One month a payment covers, with its own ledger transaction."""

    payment = models.ForeignKey(DuesPayment, on_delete=models.PROTECT, related_name="months")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"))
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    reversed = models.BooleanField(_("已冲正"), default=False)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"],
                condition=models.Q(reversed=False),
                name="dues_month_paid_once",
            )
        ]
        indexes = [models.Index(fields=["member", "month"], name="dues_month_member")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month:%Y-%m}"


# --- remittance upward ----------------------------------------------------------------------------


class DuesRemittance(models.Model):
    """Dues handed from an organization to the one above it, through the ledger."""

    from_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("上缴党组织")
    )
    to_org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="+", verbose_name=_("接收党组织")
    )
    from_org_path = PathField(_("上缴组织路径"), db_index=True)
    amount = models.DecimalField(_("金额"), max_digits=14, decimal_places=2)
    period = models.CharField(_("所属期间"), max_length=20, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    client_key = models.CharField(_("请求标识"), max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("上缴时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="from_org_path")

    class Meta:
        verbose_name = _("党费上缴")
        verbose_name_plural = _("党费上缴")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_org.name} → {self.to_org.name} {self.amount}"
