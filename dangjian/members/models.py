"""Party members: the registry (党员电子档案), categories, mobile members, community check-in
(双报到) and membership transfers (组织关系转接).

A member's file is scoped by ``org_path`` only (and the member's own account sees it); the
residence ``area_path`` gives the community the narrow ``CommunityCheckin`` view, never the file.
Categories are rows of ``MemberCategory`` (a member may have several): they filter with a plain
join and count with one GROUP BY, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core import scope
from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import ScopedManager, ScopedQuerySet, ScopeFields
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


# --- scope through more than one path ------------------------------------------------------


class _Side:
    """One way a row is reached, in the shape ``scope.scope_q`` reads."""

    def __init__(self, name: str, fields: ScopeFields):
        self.__name__ = name
        self.scope_fields = fields


def sides_q(model, user, action: str, sides=None) -> models.Q | None:
    """The OR of ``scope_q`` over ``model.scope_sides`` (or the given sides); None: nothing."""
    q = None
    for side in sides if sides is not None else model.scope_sides:
        sq = scope.scope_q(_Side(model.__name__, side), user, action)
        if sq is not None:
            q = sq if q is None else q | sq
    return q


class SidesQuerySet(ScopedQuerySet):
    """``visible_to`` for rows two organizations share (both ends of a transfer, the home and
    the host of a mobile member): visible to either side's reach."""

    def visible_to(self, user, action: str):
        q = sides_q(self.model, user, action)
        return self.none() if q is None else self.filter(q)


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
        indexes = [models.Index(fields=["org_path", "id"], name="member_org_path_id")]
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
        order = {c: i for i, c in enumerate(Category.values)}
        return sorted(codes, key=lambda c: order.get(c, 99))


def years_between(start: dt.date, end: dt.date) -> int:
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return max(years, 0)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` (the last day of the month when that day does not exist)."""
    import calendar

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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


# --- mobile members (流动党员) ----------------------------------------------------------------


class MobileRegistration(models.Model):
    """A member away from home: where, since when, the activity card, the host organization."""

    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="mobile_registrations",
        verbose_name=_("党员"),
    )
    destination = models.CharField(_("外出去向"), max_length=200)
    fixed_place = models.BooleanField(_("外出地点固定"), default=False)
    left_on = models.DateField(_("外出日期"))
    contact_phone = EncryptedField(_("联系电话"), pii_kind="phone", blank=True, default="")
    contact_phone_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    card_number = models.CharField(_("流动党员活动证号"), max_length=40, blank=True)
    card_issuer = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发证党委"),
    )
    host_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_mobile_members",
        verbose_name=_("流入地党组织"),
    )
    host_org_path = PathField(_("流入地组织路径"), blank=True, default="", db_index=True)
    host_org_name = models.CharField(_("流入地党组织名称"), max_length=100, blank=True)
    last_contact_on = models.DateField(_("最近联系日期"))
    last_report_on = models.DateField(_("最近汇报日期"), null=True, blank=True)
    active = models.BooleanField(_("流动中"), default=True)
    ended_on = models.DateField(_("返回日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = models.Manager.from_queryset(SidesQuerySet)()
    # The home organization manages; the host organization sees whom it hosts.
    scope_fields = ScopeFields(org="member__org_path", own="member__user_id")
    scope_sides = (scope_fields, ScopeFields(org="host_org_path"))

    class Meta:
        verbose_name = _("流动党员登记")
        verbose_name_plural = _("流动党员登记")
        ordering = ["-left_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=models.Q(active=True),
                name="mobile_one_active_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name}（{self.destination}）"


class MobileReport(models.Model):
    """A report home or a contact with a mobile member (at least once a year)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("思想工作汇报")
        CONTACT = "contact", _("联系")

    registration = models.ForeignKey(
        MobileRegistration,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("流动党员登记"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("日期"))
    content = models.CharField(_("内容"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("流动党员汇报")
        verbose_name_plural = _("流动党员汇报")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


# --- community check-in (双报到) -------------------------------------------------------------


class CommunityCheckin(models.Model):
    """An in-service member, or an agency branch, reporting to a community.

    Scoped by the community's ``area_path`` through ``members.checkin_view``: the community
    sees the name, the unit and the service record, never the member's file.
    """

    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="checkins",
        verbose_name=_("党员"),
    )
    party_org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="community_checkins",
        verbose_name=_("报到党组织"),
    )
    name = models.CharField(_("姓名/名称"), max_length=100)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="checkins", verbose_name=_("报到社区")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    reported_on = models.DateField(_("报到日期"))
    service_hours = models.DecimalField(
        _("服务时长(小时)"), max_digits=8, decimal_places=1, default=0
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("报到登记")
        verbose_name_plural = _("报到登记")
        ordering = ["area_path", "-reported_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(member__isnull=False, party_org__isnull=True)
                | models.Q(member__isnull=True, party_org__isnull=False),
                name="checkin_member_or_org",
            ),
            models.UniqueConstraint(
                fields=["member", "community"],
                condition=models.Q(member__isnull=False),
                name="checkin_member_once",
            ),
            models.UniqueConstraint(
                fields=["party_org", "community"],
                condition=models.Q(party_org__isnull=False),
                name="checkin_org_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.community.name}"

    @property
    def kind(self) -> str:
        return "member" if self.member_id else "org"


class CheckinService(models.Model):
    """One entry of the service record of a check-in."""

    checkin = models.ForeignKey(
        CommunityCheckin,
        on_delete=models.CASCADE,
        related_name="services",
        verbose_name=_("报到登记"),
    )
    served_on = models.DateField(_("服务日期"))
    content = models.CharField(_("服务内容"), max_length=200)
    hours = models.DecimalField(_("时长(小时)"), max_digits=6, decimal_places=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报到服务记录")
        verbose_name_plural = _("报到服务记录")
        ordering = ["-served_on", "-id"]

    def __str__(self) -> str:
        return f"{self.served_on} {self.content}"


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


@dataclass(frozen=True)
class Move:
    """One legal move of the transfer workflow: from ``sources`` to ``target`` by ``side``."""

    label: str
    sources: frozenset[str]
    target: str
    side: str  # "from": the organization the member leaves; "to": the one receiving
    needs: tuple[str, ...] = ()


# The workflow as data: kind → action → move.
TRANSFER_FLOW: dict[str, dict[str, Move]] = {
    TransferKind.INTERNAL: {
        "approve_out": Move(
            "转出方审批同意",
            frozenset({TransferState.REQUESTED}),
            TransferState.OUT_APPROVED,
            "from",
        ),
        "reject_out": Move(
            "转出方退回", frozenset({TransferState.REQUESTED}), TransferState.REJECTED, "from"
        ),
        "approve_in": Move(
            "转入方接收", frozenset({TransferState.OUT_APPROVED}), TransferState.COMPLETED, "to"
        ),
        "reject_in": Move(
            "转入方退回", frozenset({TransferState.OUT_APPROVED}), TransferState.REJECTED, "to"
        ),
        "cancel": Move(
            "撤销申请", frozenset(OPEN_TRANSFER_STATES), TransferState.CANCELLED, "from"
        ),
    },
    TransferKind.OUT_OF_SYSTEM: {
        "approve_out": Move(
            "审批同意并开具介绍信",
            frozenset({TransferState.REQUESTED}),
            TransferState.COMPLETED,
            "from",
            needs=("letter_number",),
        ),
        "reject_out": Move(
            "转出方退回", frozenset({TransferState.REQUESTED}), TransferState.REJECTED, "from"
        ),
        "cancel": Move(
            "撤销申请", frozenset({TransferState.REQUESTED}), TransferState.CANCELLED, "from"
        ),
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

    objects = models.Manager.from_queryset(SidesQuerySet)()
    scope_fields = ScopeFields(org="from_org_path", own="member__user_id")
    scope_sides = (scope_fields, ScopeFields(org="to_org_path"))
    SIDE_FIELDS = {"from": ScopeFields(org="from_org_path"), "to": ScopeFields(org="to_org_path")}

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


# --- roles of members on units (党员中心户, 楼栋长) --------------------------------------------


class UnitRoleCode(models.TextChoices):
    CENTER_HOUSEHOLD = "center_household", _("党员中心户")
    BUILDING_HEAD = "building_head", _("楼栋长")


class UnitRole(models.Model):
    """A member's role on a unit of the Area tree: 党员中心户 (a member household that links
    the households around it) or 楼栋长 (one per building). Scoped by the unit's
    ``area_path``; the member's name is copied, so the community's list touches no file."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="unit_roles", verbose_name=_("党员")
    )
    member_name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="member_roles", verbose_name=_("单元")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    role = models.CharField(_("角色"), max_length=20, choices=UnitRoleCode.choices)
    since = models.DateField(_("任职日期"))
    households = models.PositiveIntegerField(_("联系户数"), default=0)
    ended_on = models.DateField(_("卸任日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("党员中心户和楼栋长")
        verbose_name_plural = _("党员中心户和楼栋长")
        ordering = ["area_path", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "unit", "role"],
                condition=models.Q(ended_on__isnull=True),
                name="unit_role_member_once",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=models.Q(role="building_head", ended_on__isnull=True),
                name="unit_role_one_building_head",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_name}（{self.unit.name}{self.get_role_display()}）"


# --- background imports and exports (后台任务) -------------------------------------------------


class JobKind(models.TextChoices):
    IMPORT = "import", _("导入党员")
    EXPORT = "export", _("导出党员名册")


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


# A job in one of these states has ended: nothing runs it any more, it cannot be cancelled, and
# its stored files are removed once the retention period has passed (``jobs.job_files_sweep``).
FINISHED_JOB_STATES = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class MemberJob(models.Model):
    """A large import or export run by the worker (``members.tasks``): its progress, the
    report of bad rows and the files. The task gets only the job's id: the uploaded file is
    stored first (``source``) and the export's filters are kept encrypted (``filters``), so no
    personal data travels in the task's arguments. A job is its creator's own."""

    kind = models.CharField(_("类型"), max_length=8, choices=JobKind.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    stage = models.CharField(_("阶段"), max_length=50, blank=True)
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="member_jobs",
        verbose_name=_("发起人"),
    )
    source = _stored_file(_("上传的文件"))
    result = _stored_file(_("结果文件"))
    mode = models.CharField(_("导入方式"), max_length=16, blank=True)
    columns = models.JSONField(_("列对应关系"), default=dict, blank=True)
    # The export's filters as JSON, encrypted: a search may be an ID number or a name.
    filters = EncryptedField(_("筛选条件"), pii_kind="id_number", blank=True, default="")
    reveal = models.BooleanField(_("导出完整个人信息"), default=False)
    report = models.JSONField(_("结果"), default=dict, blank=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # The running job's last sign of life (its start and each progress step).
    heartbeat_at = models.DateTimeField(_("最近进展时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # Cancelling (``jobs.job_cancel``): a queued job is cancelled at once; a running one gets
    # ``cancel_requested_at`` and its task stops at the next batch, writing nothing.
    cancel_requested_at = models.DateTimeField(_("请求取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取消人"),
    )
    cancelled_by_name = models.CharField(_("取消人姓名"), max_length=150, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    # Set when the retention sweep removed the job's stored files (``jobs.job_files_sweep``).
    files_expired_at = models.DateTimeField(_("文件清理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="member_job_actor")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.get_state_display()}）"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_JOB_STATES

    @property
    def cancelling(self) -> bool:
        """Cancel requested while running: the task stops at its next batch."""
        return self.state == JobState.RUNNING and self.cancel_requested_at is not None

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)


from dangjian.members.committee_models import CommitteeSeat, OrgCommittee  # noqa: E402,F401

# Disciplinary sanctions live in their own module; imported here so Django registers them.
from dangjian.members.sanction_models import Sanction, SanctionKind  # noqa: E402, F401
