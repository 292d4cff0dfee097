"""The committee of a party organization as elected (支部委员会 / 总支委员会 / 党委委员会):
its term and its seats (member, post, 专职 flag, start and end).

Kept in ``members`` (not ``organizations``): a seat is a member's file, and ``organizations``
sits below ``members`` in the import order (docs/decisions.md). Imported by ``members.models``
so Django registers the models with the app.

Scoped by the organization's ``org_path``: whoever sees the organization sees its committee.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg


class CommitteePost(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    ORGANIZATION = "organization", _("组织委员")
    PUBLICITY = "publicity", _("宣传委员")
    DISCIPLINE = "discipline", _("纪检委员")
    MEMBER = "member", _("委员")


class CommitteeStatus(models.TextChoices):
    CURRENT = "current", _("本届")
    PAST = "past", _("往届")


class OrgCommittee(models.Model):
    """One elected committee (one term) of an organization; at most one is current."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="committees", verbose_name=_("党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    elected_on = models.DateField(_("选举日期"))
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期届满"))
    # The day before the next committee's term started (set when it is recorded).
    ended_on = models.DateField(_("换届日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=CommitteeStatus.choices, default=CommitteeStatus.CURRENT
    )
    # An election moved past the term's end with the higher level's approval (DOMAIN.md: at
    # most one year): the new due date and the approving document.
    postponed_to = models.DateField(_("延期换届至"), null=True, blank=True)
    postpone_document_no = models.CharField(_("延期批准文号"), max_length=100, blank=True)
    postpone_document_date = models.DateField(_("延期批准日期"), null=True, blank=True)
    postpone_reason = models.CharField(_("延期原因"), max_length=200, blank=True)
    postponed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("延期登记人"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path")

    class Meta:
        verbose_name = _("党组织委员会")
        verbose_name_plural = _("党组织委员会")
        ordering = ["org_path", "-term_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org"],
                condition=models.Q(status="current"),
                name="org_committee_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org.name}委员会（{self.term_start}至{self.term_end}）"

    @property
    def due_on(self):
        """The day the next election is due: the term's last day, or the approved date."""
        return self.postponed_to or self.term_end


class CommitteeSeat(models.Model):
    """A member's seat on a committee: the post, whether it is held full-time (专职), and when
    the member took and left it."""

    committee = models.ForeignKey(
        OrgCommittee, on_delete=models.CASCADE, related_name="seats", verbose_name=_("委员会")
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="committee_seats",
        verbose_name=_("党员"),
    )
    member_name = models.CharField(_("姓名"), max_length=50)
    org_path = PathField(_("组织路径"), db_index=True)
    post = models.CharField(_("职务"), max_length=20, choices=CommitteePost.choices)
    full_time = models.BooleanField(_("专职"), default=False)
    starts_on = models.DateField(_("任职日期"))
    ends_on = models.DateField(_("离任日期"), null=True, blank=True)
    # Why a seat ended before the term did (调离, 辞职, 去世 ...); blank at a regular election.
    end_reason = models.CharField(_("离任原因"), max_length=200, blank=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path")

    class Meta:
        verbose_name = _("委员")
        verbose_name_plural = _("委员")
        ordering = ["committee", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "member"], name="committee_seat_member"),
            # One serving secretary: a secretary who left mid-term may be followed by another.
            models.UniqueConstraint(
                fields=["committee"],
                condition=models.Q(post="secretary", ends_on__isnull=True),
                name="committee_one_serving_secretary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_name}（{self.get_post_display()}）"
