from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import ScopeFields
from dangjian.core.tree import PathField
from dangjian.core.treemodel import TreeNode
from dangjian.territory.models import Area


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    WORKING_COMMITTEE = "working_committee", _("党工委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    GROUP = "group", _("党小组")


class OrgForm(models.TextChoices):
    """How an organization was set up, beside its kind."""

    REGULAR = "regular", _("常设")
    TEMPORARY = "temporary", _("临时")
    JOINT = "joint", _("联合")
    CROSS_VILLAGE = "cross_village", _("联建")
    STREET_JOINT = "street_joint", _("大工委")
    COMMUNITY_JOINT = "community_joint", _("大党委")


class OrgDomain(models.TextChoices):
    VILLAGE = "village", _("农村")
    COMMUNITY = "community", _("社区")
    AGENCY = "agency", _("机关")
    INSTITUTION = "institution", _("事业单位")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    NON_PUBLIC = "non_public", _("非公有制企业")
    SOCIAL_ORG = "social_org", _("社会组织")
    NEW_BUSINESS = "new_business", _("新业态")


class PartyOrg(TreeNode):
    """A node of the party tree, anchored to the Area it serves."""

    kind = models.CharField(_("类别"), max_length=20, choices=OrgKind.choices)
    form = models.CharField(
        _("组建形式"), max_length=20, choices=OrgForm.choices, default=OrgForm.REGULAR
    )
    domain = models.CharField(_("领域"), max_length=20, choices=OrgDomain.choices)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="party_orgs", verbose_name=_("所在区域")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    code = models.CharField(_("组织代码"), max_length=32, blank=True)
    # The unified social credit code (GB 32100) of the unit the organization is built in, where
    # it has one; an old legal code that fails the check is kept only with a reason.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    credit_code_override_reason = models.CharField(
        _("信用代码例外原因"), max_length=200, blank=True
    )
    contact_phone = EncryptedField(_("联系电话"), pii_kind="phone", blank=True, default="")
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("任期(年)"), null=True, blank=True)
    # A street 党工委 approves member development only where the county committee authorized
    # it (DOMAIN.md): set by the county's organization department with the document.
    approval_authorized = models.BooleanField(_("经县级党委授权审批发展党员"), default=False)
    approval_document_no = models.CharField(_("授权文件文号"), max_length=100, blank=True)
    approval_document_date = models.DateField(_("授权文件日期"), null=True, blank=True)
    approval_authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("授权登记人"),
    )
    approval_authorized_at = models.DateTimeField(_("授权登记时间"), null=True, blank=True)
    # The number of full members a branch was formed with (declared when it is set up: its
    # members' files are transferred in afterwards); 3 or more (DOMAIN.md).
    founding_full_members = models.PositiveSmallIntegerField(
        _("组建时正式党员人数"), null=True, blank=True
    )
    # A temporary organization (临时党支部): the project or task it serves and when it ends.
    project_name = models.CharField(_("项目或任务"), max_length=100, blank=True)
    ends_on = models.DateField(_("预计撤销日期"), null=True, blank=True)
    # A dissolved organization stays for history and the reports of past periods, hidden from
    # pickers and from default listings.
    dissolved_on = models.DateField(_("撤销日期"), null=True, blank=True, db_index=True)
    dissolved_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    scope_fields = ScopeFields(area="area_path", org="path")

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "path"]), models.Index(fields=["kind", "path"])]

    @property
    def org_path(self) -> str:
        return self.path

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_on is not None


# --- the forms of an organization: what each records beside the common fields ---------------
# Child rows of one organization, read and written only through it (``organizations.shapes``):
# whoever sees the organization sees them, so they carry no scope of their own.


class JointUnit(models.Model):
    """A unit (单位) a joint branch (联合党支部) covers: fewer than 3 full members of its own,
    at most 5 units per branch (DOMAIN.md)."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.CASCADE, related_name="joint_units", verbose_name=_("党组织")
    )
    name = models.CharField(_("单位名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    full_members = models.PositiveSmallIntegerField(_("正式党员人数"))

    class Meta:
        verbose_name = _("联合党支部覆盖单位")
        verbose_name_plural = _("联合党支部覆盖单位")
        ordering = ["org", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="joint_unit_name_once"),
        ]

    def __str__(self) -> str:
        return self.name


class CoveredVillage(models.Model):
    """A village a cross-village (联建) committee covers."""

    org = models.ForeignKey(
        PartyOrg,
        on_delete=models.CASCADE,
        related_name="covered_villages",
        verbose_name=_("党组织"),
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("村"))

    class Meta:
        verbose_name = _("联建村")
        verbose_name_plural = _("联建村")
        ordering = ["org", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "area"], name="covered_village_once"),
        ]

    def __str__(self) -> str:
        return str(self.area_id)


class ResidentUnitMember(models.Model):
    """A member of a 大工委 (street) or 大党委 (community) from a resident unit (驻区单位),
    usually part-time (兼职委员). Not a committee seat of ``members``: the person's membership
    is with their own unit's organization, often outside this system, so only the name, the
    unit and the post are kept (no ID or phone number)."""

    org = models.ForeignKey(
        PartyOrg,
        on_delete=models.CASCADE,
        related_name="resident_unit_members",
        verbose_name=_("党组织"),
    )
    unit_name = models.CharField(_("驻区单位"), max_length=100)
    person_name = models.CharField(_("姓名"), max_length=50)
    post = models.CharField(_("职务"), max_length=50)
    full_time = models.BooleanField(_("专职"), default=False)
    starts_on = models.DateField(_("任职日期"), null=True, blank=True)
    ends_on = models.DateField(_("离任日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("驻区单位委员")
        verbose_name_plural = _("驻区单位委员")
        ordering = ["org", "id"]

    def __str__(self) -> str:
        return f"{self.person_name}（{self.unit_name}，{self.post}）"


class KindChange(models.Model):
    """One change of an organization's kind as it grew or shrank (e.g. 党支部 → 党总支), with
    the member counts at that moment."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.CASCADE, related_name="kind_changes", verbose_name=_("党组织")
    )
    from_kind = models.CharField(_("原类别"), max_length=20, choices=OrgKind.choices)
    to_kind = models.CharField(_("新类别"), max_length=20, choices=OrgKind.choices)
    changed_on = models.DateField(_("变更日期"))
    reason = models.CharField(_("变更原因"), max_length=200, blank=True)
    member_count = models.PositiveIntegerField(_("党员人数"), default=0)
    full_member_count = models.PositiveIntegerField(_("正式党员人数"), default=0)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("变更人"),
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("类别变更")
        verbose_name_plural = _("类别变更")
        ordering = ["org", "-changed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.from_kind} → {self.to_kind}（{self.changed_on}）"
