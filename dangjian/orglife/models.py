"""Organizational life (组织生活): 三会一课, theme days, review meetings, member evaluation and
heart-to-heart talks; yearly and quarterly plans; open organizational-life bases (阵地) with
menus of activities; sessions with their attendance, votes, ratings and photos.

A session is scoped by its host organization's ``org_path``; a joint session (联合开展) is also
visible to each participating organization (``SessionOrg``), and a member sees the sessions on
whose roster they are (their own organization's, and the ones they are invited to).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.conf import setting
from dangjian.core.models import StoredFile
from dangjian.core.scope import Own, ScopedManager, ScopeFields, Subtree, Through
from dangjian.core.tree import PathField
from dangjian.members.models import Member
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


class SessionType(models.TextChoices):
    MEMBERS_MEETING = "members_meeting", _("党员大会")
    COMMITTEE_MEETING = "committee_meeting", _("支部委员会")
    GROUP_MEETING = "group_meeting", _("党小组会")
    PARTY_LESSON = "party_lesson", _("党课")
    THEME_DAY = "theme_day", _("主题党日")
    REVIEW_MEETING = "review_meeting", _("组织生活会")
    MEMBER_EVALUATION = "member_evaluation", _("民主评议党员")
    HEART_TALK = "heart_talk", _("谈心谈话")


class Period(models.TextChoices):
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


# DOMAIN.md "Organizational life": the least each branch holds. A deployment overrides any
# entry with DANGJIAN["ORGLIFE_FREQUENCIES"] = {"party_lesson": "month", ...}.
DEFAULT_FREQUENCIES: dict[str, str] = {
    SessionType.MEMBERS_MEETING: Period.QUARTER,
    SessionType.COMMITTEE_MEETING: Period.MONTH,
    SessionType.GROUP_MEETING: Period.MONTH,
    SessionType.PARTY_LESSON: Period.QUARTER,
    SessionType.THEME_DAY: Period.MONTH,
    SessionType.REVIEW_MEETING: Period.YEAR,
    SessionType.MEMBER_EVALUATION: Period.YEAR,
    SessionType.HEART_TALK: Period.YEAR,
}


def frequencies() -> dict[str, str]:
    """The required frequency per session type: the defaults overridden by the settings."""
    out = {str(k): str(v) for k, v in DEFAULT_FREQUENCIES.items()}
    configured: Any = setting("ORGLIFE_FREQUENCIES", None) or {}
    for key, value in configured.items():
        if key in SessionType.values and value in Period.values:
            out[key] = value
    return out


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已召开")
    CANCELLED = "cancelled", _("已取消")


class AttendanceStatus(models.TextChoices):
    PENDING = "pending", _("未签到")
    PRESENT = "present", _("出席")
    ABSENT = "absent", _("缺席")
    LEAVE = "leave", _("请假")


class AttendeeRole(models.TextChoices):
    MEMBER = "member", _("本组织党员")
    COMMITTEE = "committee", _("支部委员")
    INVITEE = "invitee", _("受邀列席")
    LEADER = "leader", _("领导干部（以普通党员身份参加）")


class CheckinMethod(models.TextChoices):
    QR = "qr", _("扫码签到")
    RECORDER = "recorder", _("记录人登记")


class VoteKind(models.TextChoices):
    RESOLUTION = "resolution", _("决议表决")
    ELECTION = "election", _("选举")


class ActivityKind(models.TextChoices):
    PARTY_SPIRIT = "party_spirit", _("党性教育")
    OUTREACH = "outreach", _("素质拓展")
    PRACTICE = "practice", _("互动实践")


# --- bases (开放式组织生活基地 / 阵地) ------------------------------------------------------------


class Base(models.Model):
    """An open organizational-life base: a venue any branch may book, run by one organization,
    with a menu of activities (Putian: 20 bases, 现场观摩、专题讲座、志愿服务)."""

    name = models.CharField(_("名称"), max_length=100)
    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="orglife_bases", verbose_name=_("管理组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="orglife_bases", verbose_name=_("所在区域")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("可容纳人数"), default=0)
    is_open = models.BooleanField(_("对外开放"), default=True)
    description = models.TextField(_("简介"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path")

    class Meta:
        verbose_name = _("组织生活基地")
        verbose_name_plural = _("组织生活基地")
        ordering = ["area_path", "name", "id"]

    def __str__(self) -> str:
        return self.name


class BaseActivity(models.Model):
    """One item of a base's menu (组织生活菜单)."""

    base = models.ForeignKey(
        Base, on_delete=models.CASCADE, related_name="activities", verbose_name=_("基地")
    )
    title = models.CharField(_("活动"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=ActivityKind.choices)
    hours = models.DecimalField(_("时长(小时)"), max_digits=4, decimal_places=1, default=2)
    description = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("基地活动")
        verbose_name_plural = _("基地活动")
        ordering = ["base", "id"]

    def __str__(self) -> str:
        return self.title


# --- plans -------------------------------------------------------------------------------------


class Plan(models.Model):
    """A branch's plan for a year (quarter empty) or one quarter."""

    org = models.ForeignKey(
        PartyOrg, on_delete=models.PROTECT, related_name="orglife_plans", verbose_name=_("党组织")
    )
    org_path = PathField(_("组织路径"), db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True)
    title = models.CharField(_("标题"), max_length=100)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path")

    class Meta:
        verbose_name = _("组织生活计划")
        verbose_name_plural = _("组织生活计划")
        ordering = ["org_path", "-year", "quarter", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "year"],
                condition=models.Q(quarter__isnull=True),
                name="orglife_plan_one_per_year",
            ),
            models.UniqueConstraint(
                fields=["org", "year", "quarter"],
                condition=models.Q(quarter__isnull=False),
                name="orglife_plan_one_per_quarter",
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__isnull=True) | models.Q(quarter__gte=1, quarter__lte=4),
                name="orglife_plan_quarter_1_4",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PlanItem(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    session_type = models.CharField(_("类型"), max_length=24, choices=SessionType.choices)
    month = models.PositiveSmallIntegerField(_("计划月份"))
    topic = models.CharField(_("主题"), max_length=200)
    base = models.ForeignKey(
        Base, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("计划事项")
        verbose_name_plural = _("计划事项")
        ordering = ["plan", "month", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12), name="orglife_planitem_month"
            )
        ]

    def __str__(self) -> str:
        return self.topic


# --- sessions ----------------------------------------------------------------------------------


class Session(models.Model):
    org = models.ForeignKey(
        PartyOrg,
        on_delete=models.PROTECT,
        related_name="orglife_sessions",
        verbose_name=_("党组织"),
    )
    org_path = PathField(_("组织路径"), db_index=True)
    session_type = models.CharField(_("类型"), max_length=24, choices=SessionType.choices)
    topic = models.CharField(_("主题"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    # The local date as yyyymm, denormalized so the compliance engine groups by a plain column.
    month = models.PositiveIntegerField(_("月份"), db_index=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    base = models.ForeignKey(
        Base,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
        verbose_name=_("组织生活基地"),
    )
    base_activity = models.ForeignKey(
        BaseActivity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    host = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("主持人"),
    )
    recorder = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("记录人"),
    )
    plan_item = models.ForeignKey(
        PlanItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    minutes = models.TextField(_("会议记录"), blank=True)
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=SessionState.choices,
        default=SessionState.SCHEDULED,
        db_index=True,
    )
    checkin_nonce = models.CharField(max_length=32, editable=False)
    joint_orgs = models.ManyToManyField(
        PartyOrg, through="SessionOrg", related_name="joint_orglife_sessions", blank=True
    )
    photos = models.ManyToManyField(StoredFile, blank=True, related_name="+")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("督查人"),
    )
    reviewed_at = models.DateTimeField(_("督查时间"), null=True, blank=True)
    review_note = models.CharField(_("督查意见"), max_length=500, blank=True)
    held_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    # Whether the session could validly sit (quorum), judged when it is archived: ``None`` for
    # a type without a quorum rule. A held session with ``False`` is kept but does not count.
    quorum_ok = models.BooleanField(_("达到法定人数"), null=True, blank=True)
    quorum_note = models.CharField(_("法定人数说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    # The host's path; a participating organization of a joint session; a member on the
    # roster (their own organization's sessions and the ones they are invited to).
    scope_fields = ScopeFields(
        org="org_path",
        kinds=(
            Through("participants", Subtree("org_path", "org")),
            Through("attendances", Own("member__user_id")),
        ),
    )

    class Meta:
        verbose_name = _("组织生活")
        verbose_name_plural = _("组织生活")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["org_path", "month"], name="orglife_session_path_month"),
            models.Index(fields=["org", "session_type", "month"], name="orglife_session_org_t_m"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="orglife_session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.topic

    @property
    def local_date(self) -> dt.date:
        return timezone.localtime(self.starts_at).date()


class SessionOrg(models.Model):
    """A participating organization of a joint session (联合开展: a street joint committee with
    its resident units). The session counts for each of them."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    org = models.ForeignKey(PartyOrg, on_delete=models.PROTECT, related_name="+")
    org_path = PathField(_("组织路径"), db_index=True)

    scope_fields = ScopeFields(org="org_path")

    class Meta:
        verbose_name = _("联合参加组织")
        verbose_name_plural = _("联合参加组织")
        constraints = [
            models.UniqueConstraint(fields=["session", "org"], name="orglife_sessionorg_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.org_id}"


class Attendance(models.Model):
    """One row per member per session (the roster, made when the session is scheduled)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="orglife_attendances")
    member_name = models.CharField(_("姓名"), max_length=50)
    org_path = PathField(_("组织路径"), db_index=True)
    role = models.CharField(_("身份"), max_length=16, choices=AttendeeRole.choices)
    has_vote = models.BooleanField(_("有表决权"), default=False)
    status = models.CharField(
        _("出席情况"),
        max_length=16,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.PENDING,
    )
    reason = models.CharField(_("缺席或请假原因"), max_length=200, blank=True)
    leave_approved = models.BooleanField(_("请假已批准"), default=False)
    leave_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(
        _("签到方式"), max_length=16, choices=CheckinMethod.choices, blank=True
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(org="org_path", own="member__user_id")

    class Meta:
        verbose_name = _("出席记录")
        verbose_name_plural = _("出席记录")
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "member"], name="orglife_attendance_once_per_member"
            )
        ]
        indexes = [models.Index(fields=["member", "session"], name="orglife_att_member")]

    def __str__(self) -> str:
        return f"{self.member_name}：{self.get_status_display()}"


class Vote(models.Model):
    """A vote at a session: a resolution (决议) or an election (选举)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="votes")
    kind = models.CharField(_("类别"), max_length=16, choices=VoteKind.choices)
    subject = models.CharField(_("事项"), max_length=200)
    yes = models.PositiveIntegerField(_("赞成"))
    no = models.PositiveIntegerField(_("反对"))
    abstain = models.PositiveIntegerField(_("弃权"))
    # Snapshots at the time of the vote: members with a vote, and those present.
    entitled = models.PositiveIntegerField(_("有表决权党员数"))
    present = models.PositiveIntegerField(_("到会有表决权党员数"))
    excused = models.PositiveIntegerField(_("经批准请假人数"), default=0)
    passed = models.BooleanField(_("通过"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        ordering = ["session", "id"]

    def __str__(self) -> str:
        return self.subject


class Rating(models.Model):
    """A participant's rating of a session's effect (效果评价), 1 to 5."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="ratings")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("效果评价")
        verbose_name_plural = _("效果评价")
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="orglife_rating_once"),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="orglife_rating_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}分"
