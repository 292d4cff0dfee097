"""Village and community cadres (两委干部), reserve cadres and mentor pairs, scoped by the
village's (or community's) ``area_path``.

The models moved here from ``members`` (issue 13) and keep their tables (``Meta.db_table``).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.members.models import Education, Gender, Member, years_between
from dangjian.territory.models import Area

# --- village and community cadres (两委干部) --------------------------------------------------


class Committee(models.TextChoices):
    PARTY = "party", _("党组织委员会")
    VILLAGERS = "villagers", _("村民委员会")
    RESIDENTS = "residents", _("居民委员会")


class CadrePosition(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    DIRECTOR = "director", _("主任")
    DEPUTY_DIRECTOR = "deputy_director", _("副主任")
    MEMBER = "member", _("委员")


# Which positions each committee has: a party committee has secretaries, the villagers' and
# residents' committees have directors; both have members (委员).
COMMITTEE_POSITIONS = {
    Committee.PARTY: (
        CadrePosition.SECRETARY,
        CadrePosition.DEPUTY_SECRETARY,
        CadrePosition.MEMBER,
    ),
    Committee.VILLAGERS: (
        CadrePosition.DIRECTOR,
        CadrePosition.DEPUTY_DIRECTOR,
        CadrePosition.MEMBER,
    ),
    Committee.RESIDENTS: (
        CadrePosition.DIRECTOR,
        CadrePosition.DEPUTY_DIRECTOR,
        CadrePosition.MEMBER,
    ),
}
# Education counted as "a college degree or above" (大专及以上) in the cadre targets.
COLLEGE_OR_ABOVE = (
    Education.DOCTORATE,
    Education.MASTER,
    Education.BACHELOR,
    Education.COLLEGE,
)


class Cadre(models.Model):
    """One seat of a village or community "two committees" (两委) member: the person, the
    committee and position, 一肩挑 (the party secretary is also the committee head),
    交叉任职 (also sits on the other committee), age, education and the term.

    Scoped by the village's ``area_path``: the township and the community see their cadres;
    a linked member file stays behind its own ``org_path`` scope (only its id is shown).
    """

    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(_("姓名拼音首字母"), max_length=64, blank=True, db_index=True)
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadre_posts",
        verbose_name=_("党员档案"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("村(社区)")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    committee = models.CharField(_("所属组织"), max_length=16, choices=Committee.choices)
    position = models.CharField(_("职务"), max_length=20, choices=CadrePosition.choices)
    one_shoulder = models.BooleanField(_("书记、主任“一肩挑”"), default=False)
    cross_holding = models.BooleanField(_("交叉任职"), default=False)
    party_member = models.BooleanField(_("中共党员"), default=True)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    education = models.CharField(_("学历"), max_length=24, choices=Education.choices)
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期届满"))
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        db_table = "members_cadre"
        verbose_name = _("村(社区)两委干部")
        verbose_name_plural = _("村(社区)两委干部")
        ordering = ["area_path", "committee", "position", "id"]
        indexes = [models.Index(fields=["area_path", "id"], name="cadre_area_path_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "committee"],
                condition=models.Q(position="secretary", ended_on__isnull=True),
                name="cadre_one_secretary",
            ),
            models.UniqueConstraint(
                fields=["area", "committee"],
                condition=models.Q(position="director", ended_on__isnull=True),
                name="cadre_one_director",
            ),
            # One serving row per person and village: a cadre who also sits on the other
            # committee keeps one row, in the main committee, with ``cross_holding`` set.
            models.UniqueConstraint(
                fields=["member", "area"],
                condition=models.Q(member__isnull=False, ended_on__isnull=True),
                name="cadre_member_once_per_area",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_committee_display()}{self.get_position_display()}）"

    def age(self, today: dt.date | None = None) -> int:
        return years_between(self.birth_date, today or timezone.localdate())

    @property
    def college(self) -> bool:
        return self.education in COLLEGE_OR_ABOVE


class ReserveCadre(models.Model):
    """A reserve cadre (后备干部) of a village or community."""

    name = models.CharField(_("姓名"), max_length=50)
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reserve_posts",
        verbose_name=_("党员档案"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="reserve_cadres", verbose_name=_("村(社区)")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    education = models.CharField(_("学历"), max_length=24, choices=Education.choices)
    intended_position = models.CharField(
        _("培养方向"), max_length=20, choices=CadrePosition.choices, blank=True
    )
    added_on = models.DateField(_("纳入后备日期"))
    ended_on = models.DateField(_("退出日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        db_table = "members_reservecadre"
        verbose_name = _("后备干部")
        verbose_name_plural = _("后备干部")
        ordering = ["area_path", "id"]

    def __str__(self) -> str:
        return self.name


class MentorPair(models.Model):
    """导师帮带: a serving cadre mentors a reserve cadre of the same village or community."""

    mentor = models.ForeignKey(
        Cadre, on_delete=models.CASCADE, related_name="mentees", verbose_name=_("导师")
    )
    mentee = models.ForeignKey(
        ReserveCadre, on_delete=models.CASCADE, related_name="mentors", verbose_name=_("帮带对象")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    started_on = models.DateField(_("结对日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    goal = models.CharField(_("帮带目标"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        db_table = "members_mentorpair"
        verbose_name = _("导师帮带")
        verbose_name_plural = _("导师帮带")
        ordering = ["area_path", "-started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentor", "mentee"],
                condition=models.Q(ended_on__isnull=True),
                name="mentor_pair_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor.name} → {self.mentee.name}"
