"""Member development (发展党员): applicants, the steps they have taken, yearly targets.

An ``Applicant`` is scoped like a member's file: by the handling organization's ``org_path``
(and the applicant's own account sees it). ``area_path`` is the anchor of that organization,
kept so the board can be read for a node of the governance tree. The steps are declared in
``steps.py``; ``services.applicant_transition`` is the one service that moves an applicant.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import Own, ScopedManager, ScopeFields, Through
from dangjian.core.tree import PathField
from dangjian.members.models import Ethnicity, Gender, Member
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


class ApplicantStatus(models.TextChoices):
    ACTIVE = "active", _("培养考察中")
    CONFIRMED = "confirmed", _("已转正")
    CANCELLED = "cancelled", _("已终止")
    ARCHIVED = "archived", _("已归档")


class Stage(models.IntegerChoices):
    APPLICATION = 1, _("申请入党")
    ACTIVIST = 2, _("入党积极分子")
    CANDIDATE = 3, _("发展对象")
    ADMISSION = 4, _("预备党员接收")
    PROBATION = 5, _("教育考察和转正")


class Applicant(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=2, choices=Ethnicity.choices)
    birth_date = models.DateField(_("出生日期"))
    id_number = EncryptedField(_("身份证号码"), pii_kind="id_number", blank=True, default="")
    id_number_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    phone = EncryptedField(_("手机号码"), pii_kind="phone", blank=True, default="")
    phone_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="applicants", verbose_name=_("所在党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area_path = PathField(_("区域路径"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="development_files",
        verbose_name=_("关联账号"),
    )
    member = models.OneToOneField(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="development_file",
        verbose_name=_("党员档案"),
    )
    stage = models.PositiveSmallIntegerField(
        _("阶段"), choices=Stage.choices, default=Stage.APPLICATION, db_index=True
    )
    step = models.PositiveSmallIntegerField(_("当前步骤"), default=0)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=ApplicantStatus.choices,
        default=ApplicantStatus.ACTIVE,
        db_index=True,
    )
    last_step_on = models.DateField(_("最近步骤日期"), null=True, blank=True)
    applied_on = models.DateField(_("递交申请书日期"), null=True, blank=True)
    activist_on = models.DateField(_("确定为积极分子日期"), null=True, blank=True)
    candidate_on = models.DateField(_("确定为发展对象日期"), null=True, blank=True)
    notice_start = models.DateField(_("公示开始日期"), null=True, blank=True)
    admitted_on = models.DateField(_("支部大会通过日期"), null=True, blank=True)
    approved_on = models.DateField(_("上级党委审批日期"), null=True, blank=True)
    probation_start = models.DateField(_("预备期开始"), null=True, blank=True)
    probation_end = models.DateField(_("预备期满"), null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField(_("延长预备期(月)"), null=True, blank=True)
    confirmation_vote_on = models.DateField(_("支部大会讨论转正日期"), null=True, blank=True)
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    # Worked out at each transition from ``steps.RULES`` (absolute dates, so the board reads
    # them without recomputing): the first day the next step may be taken, its deadline.
    next_earliest = models.DateField(_("下一步最早日期"), null=True, blank=True)
    next_due = models.DateField(_("下一步期限"), null=True, blank=True, db_index=True)
    next_due_rule = models.CharField(_("期限依据"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    # ``PERSONAL`` (the mobile page, whatever one's grants): one's own application and the
    # ones one is a contact (培养联系人) of.
    scope_fields = ScopeFields(
        org="org_path",
        own="user_id",
        personal=(
            Own("user_id"),
            Through("people", Own("member__user_id"), where=(("role", "contact"),)),
        ),
    )

    class Meta:
        verbose_name = _("入党申请人")
        verbose_name_plural = _("入党申请人")
        ordering = ["org_path", "id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="applicant_org_path_id"),
            models.Index(fields=["area_path"], name="applicant_area_path"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def next_step(self) -> int | None:
        if self.status not in (ApplicantStatus.ACTIVE, ApplicantStatus.CONFIRMED):
            return None
        return self.step + 1 if self.step < 25 else None


class StepAction(models.TextChoices):
    STEP = "step", _("步骤")
    EXTEND = "extend", _("延长预备期")
    CANCEL = "cancel", _("终止")


class ApplicantStep(models.Model):
    """One step taken (or an extension, or the end of the record): insert-only history."""

    applicant = models.ForeignKey(
        Applicant, on_delete=models.CASCADE, related_name="steps", verbose_name=_("申请人")
    )
    action = models.CharField(_("操作"), max_length=8, choices=StepAction.choices)
    number = models.PositiveSmallIntegerField(_("步骤"), null=True, blank=True)
    stage = models.PositiveSmallIntegerField(_("阶段"), choices=Stage.choices)
    date = models.DateField(_("日期"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("经办人"),
    )
    actor_name = models.CharField(_("经办人姓名"), max_length=150, blank=True)
    approving_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批党组织"),
    )
    # The step's own fields, cleaned: documents, review, training, votes, ... (steps.py).
    data = models.JSONField(_("步骤内容"), default=dict, blank=True)
    warnings = models.JSONField(_("提醒"), default=list, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发展步骤")
        verbose_name_plural = _("发展步骤")
        ordering = ["applicant_id", "id"]
        indexes = [models.Index(fields=["number", "date"], name="devstep_number_date")]

    def __str__(self) -> str:
        return f"{self.applicant_id}:{self.action}:{self.number}"


class PersonRole(models.TextChoices):
    CONTACT = "contact", _("培养联系人")
    SPONSOR = "sponsor", _("入党介绍人")


class ResponsiblePerson(models.Model):
    """A contact (培养联系人) or a sponsor (入党介绍人): a member of the registry."""

    applicant = models.ForeignKey(
        Applicant, on_delete=models.CASCADE, related_name="people", verbose_name=_("申请人")
    )
    step = models.ForeignKey(
        ApplicantStep, on_delete=models.CASCADE, related_name="people", verbose_name=_("步骤")
    )
    role = models.CharField(_("身份"), max_length=8, choices=PersonRole.choices)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("党员")
    )
    name = models.CharField(_("姓名"), max_length=50)

    class Meta:
        verbose_name = _("培养联系人/入党介绍人")
        verbose_name_plural = _("培养联系人/入党介绍人")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "role", "member"], name="devperson_unique_role_member"
            )
        ]

    def __str__(self) -> str:
        return self.name


class DevelopmentTarget(models.Model):
    """A year's targets for a node of either tree (default 0 where no row exists)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("区域"),
    )
    org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("党组织"),
    )
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    org_path = PathField(_("组织路径"), blank=True, default="", db_index=True)
    activists = models.PositiveIntegerField(_("入党积极分子"), default=0)
    candidates = models.PositiveIntegerField(_("发展对象"), default=0)
    new_members = models.PositiveIntegerField(_("发展党员"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", org="org_path")

    class Meta:
        verbose_name = _("发展党员年度目标")
        verbose_name_plural = _("发展党员年度目标")
        ordering = ["year", "area_path", "org_path"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "area"],
                condition=models.Q(area__isnull=False),
                name="devtarget_unique_area_year",
            ),
            models.UniqueConstraint(
                fields=["year", "org"],
                condition=models.Q(org__isnull=False),
                name="devtarget_unique_org_year",
            ),
            models.CheckConstraint(
                condition=models.Q(area__isnull=True, org__isnull=False)
                | models.Q(area__isnull=False, org__isnull=True),
                name="devtarget_one_node",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}"
