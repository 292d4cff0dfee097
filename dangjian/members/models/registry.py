"""The member's file (党员电子档案): choices and categories.

A member's file is scoped by ``org_path`` only (and the member's own account sees it); the
residence ``area_path`` gives the community the narrow ``CommunityCheckin`` view, never the file.
Categories are rows of ``MemberCategory`` (a member may have several): they filter with a plain
join and count with one GROUP BY, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Status(models.TextChoices):
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")
    SUSPENDED = "suspended", _("停止党籍")
    REMOVED = "removed", _("已出党")
    DECEASED = "deceased", _("已去世")


class Education(models.TextChoices):
    DOCTORATE = "doctorate", _("博士研究生")
    MASTER = "master", _("硕士研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY_VOCATIONAL = "secondary_vocational", _("中等专科")
    HIGH_SCHOOL = "high_school", _("高中")
    JUNIOR_HIGH = "junior_high", _("初中")
    PRIMARY = "primary", _("小学及以下")


class Occupation(models.TextChoices):
    WORKER = "worker", _("工人")
    FARMER = "farmer", _("农牧渔民")
    MANAGER = "manager", _("企事业单位管理人员")
    PROFESSIONAL = "professional", _("专业技术人员")
    OFFICIAL = "official", _("党政机关工作人员")
    STUDENT = "student", _("学生")
    MILITARY = "military", _("解放军武警")
    RETIRED = "retired", _("离退休人员")
    OTHER = "other", _("其他职业人员")


class Category(models.TextChoices):
    IN_SERVICE = "in_service", _("在职党员")
    RETIRED = "retired", _("离退休党员")
    MOBILE = "mobile", _("流动党员")
    IN_DIFFICULTY = "in_difficulty", _("困难党员")
    STUDENT = "student", _("学生党员")
    FARMER = "farmer", _("农民党员")
    NEW_EMPLOYMENT = "new_employment", _("新就业群体党员")


# GB/T 3304 names of the ethnic groups, with their codes.
ETHNIC_GROUPS = [
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]
Ethnicity = models.TextChoices(
    "Ethnicity", [(f"E{code}", (code, name)) for code, name in ETHNIC_GROUPS]
)


# --- the member's file ---------------------------------------------------------------------


def _stored_file(label) -> models.ForeignKey:
    """An optional link to a ``core.StoredFile`` (kept when the file row goes: set to null)."""
    return models.ForeignKey(
        "core.StoredFile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=label,
    )


class Member(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(_("姓名拼音首字母"), max_length=64, blank=True, db_index=True)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=2, choices=Ethnicity.choices)
    birth_date = models.DateField(_("出生日期"), db_index=True)
    id_number = EncryptedField(_("身份证号码"), pii_kind="id_number", blank=True, default="")
    # Indexed beside the partial unique constraint: a lookup ``id_number_index = X`` cannot use
    # a partial index on SQLite (its planner does not infer the index's WHERE from it).
    id_number_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    phone = EncryptedField(_("手机号码"), pii_kind="phone", blank=True, default="")
    phone_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    education = models.CharField(_("学历"), max_length=24, choices=Education.choices, blank=True)
    occupation = models.CharField(_("职业"), max_length=16, choices=Occupation.choices, blank=True)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    joined_on = models.DateField(_("入党日期"), db_index=True)
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    status = models.CharField(_("党员状态"), max_length=16, choices=Status.choices, db_index=True)
    # The day the membership was suspended (停止党籍): the 2 years before a mobile member out of
    # contact is removed count from it. Set when the status becomes suspended, cleared after.
    suspended_on = models.DateField(_("停止党籍日期"), null=True, blank=True)
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    unit = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resident_members",
        verbose_name=_("居住网格单元"),
    )
    area_path = PathField(_("区域路径"), blank=True, default="", db_index=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_file",
        verbose_name=_("账号"),
    )
    # A stored image (``core.files``), served only to whom may see the file.
    photo = _stored_file(_("照片"))
    # Set when the membership was transferred out of the system (转出系统外): the file stays,
    # out of the registry's lists and statistics.
    left_on = models.DateField(_("转出日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", own="user_id")

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["org_path", "id"]
        indexes = [
            models.Index(fields=["org_path", "id"], name="member_org_path_id"),
            # The registry's lists count the current members of a set of organizations (a
            # street's, say) from this index alone: no heap page per member, so the count of
            # a first page stays small as the city grows (the 10× flat-cost bench).
            models.Index(
                fields=["org", "org_path"],
                condition=models.Q(left_on__isnull=True),
                name="member_current_org",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="member_unique_id_number",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def age(self, today: dt.date | None = None) -> int:
        return years_between(self.birth_date, today or timezone.localdate())

    def party_age(self, today: dt.date | None = None) -> int | None:
        """党龄: full years since the confirmation date (None while probationary)."""
        if not self.confirmed_on:
            return None
        return years_between(self.confirmed_on, today or timezone.localdate())

    def category_codes(self) -> list[str]:
        rows = (
            self._prefetched_objects_cache.get("category_rows")
            if hasattr(self, "_prefetched_objects_cache")
            else None
        )
        codes = (
            [r.code for r in rows]
            if rows is not None
            else list(self.category_rows.values_list("code", flat=True))
        )
        return sorted_categories(codes)


_CATEGORY_ORDER = {c: i for i, c in enumerate(Category.values)}


def sorted_categories(codes) -> list[str]:
    """Category codes in ``Category`` order (an unknown code last)."""
    return sorted(codes, key=lambda c: _CATEGORY_ORDER.get(c, 99))


def years_between(start: dt.date, end: dt.date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)


class MemberCategory(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="category_rows", verbose_name=_("党员")
    )
    code = models.CharField(_("类别"), max_length=16, choices=Category.choices)

    class Meta:
        verbose_name = _("党员类别")
        verbose_name_plural = _("党员类别")
        constraints = [
            models.UniqueConstraint(fields=["member", "code"], name="member_category_unique")
        ]
        indexes = [models.Index(fields=["code", "member"], name="member_category_code")]

    def __str__(self) -> str:
        return self.get_code_display()
