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

    scope_fields = ScopeFields(area="area_path", org="path")

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "path"]), models.Index(fields=["kind", "path"])]

    @property
    def org_path(self) -> str:
        return self.path
