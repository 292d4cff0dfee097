"""The grid event closed loop (网格事件闭环): the taxonomy, events, their history, duplicate
links, "me too" marks and time-limit notices.

An event is scoped by the ``area_path`` of the grid (or unit) where it happened; its reporter
sees their own reports and the department it is dispatched to sees it through its department
grant: ``ScopeFields(area="area_path", own="reporter_id", department="department_id")``.

The workflow is declared as data in ``FLOW`` (action → ``core.workflow.Action``); ``cases.flow``
declares it to the kernel's engine, and ``services.event_transition`` is the one service that
applies a move.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.models import Department
from dangjian.core.crypto import EncryptedField, mask
from dangjian.core.scope import ScopedManager, ScopeFields, Team
from dangjian.core.tree import PathField
from dangjian.core.workflow import Action
from dangjian.territory.models import Area

# --- choices ---------------------------------------------------------------------------------


class ClassKind(models.TextChoices):
    EVENT = "event", _("事件")
    FACILITY = "facility", _("部件")


class LimitUnit(models.TextChoices):
    WORKDAYS = "workdays", _("工作日")
    WORKHOURS = "workhours", _("工作小时")


class State(models.TextChoices):
    COLLECTED = "collected", _("已采集")
    CANCELLED = "cancelled", _("不予立案")
    OPENED = "opened", _("已立案")
    DISPATCHED = "dispatched", _("已派遣")
    HANDLING = "handling", _("处置中")
    EXTENSION_REQUESTED = "extension_requested", _("延期审核中")
    RETURNED = "returned", _("已退单")
    ESCALATED = "escalated", _("已上报上级")
    HANDLED = "handled", _("已处置待核查")
    CLOSED = "closed", _("已结案")
    EVALUATED = "evaluated", _("已评价")


class Source(models.TextChoices):
    PATROL = "patrol", _("网格巡查")
    RESIDENT = "resident", _("群众上报")
    MEMBER = "member", _("党员上报")
    DEPARTMENT = "department", _("部门上报")
    VISIT = "visit", _("入户走访")
    PHONE = "phone", _("电话反映")
    WALK_IN = "walk_in", _("来访反映")
    HOTLINE = "hotline", _("12345热线")


# Reports staff enter on behalf of a caller (代群众登记): the caller's name and phone are kept
# on the event, the staff member who entered it is its ``reporter``.
INTAKE_SOURCES = frozenset({Source.PHONE, Source.WALK_IN, Source.HOTLINE})


class ClassSource(models.TextChoices):
    REPORTER = "reporter", _("上报人选择")
    SUGGESTED = "suggested", _("系统建议")
    DISPATCHER = "dispatcher", _("派遣人员确定")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


SATISFIED_RATINGS = (Rating.SATISFIED, Rating.BASIC)

# Sources with a reporter who can rate the outcome (a resident or member, a household visited,
# a caller): the satisfaction rate counts only these. Patrol finds and department reports are
# staff's own finds, not rated by the worker who found them.
RATED_SOURCES = (
    Source.RESIDENT,
    Source.MEMBER,
    Source.VISIT,
    Source.PHONE,
    Source.WALK_IN,
    Source.HOTLINE,
)


class Resolution(models.TextChoices):
    """Whether the problem was solved, recorded when verification closes the event (解决率)."""

    SOLVED = "solved", _("已解决")
    ANSWERED = "answered", _("未解决已答复")


class SlaStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未计时")
    NORMAL = "normal", _("正常")
    CHASE = "chase", _("临期")
    OVERDUE = "overdue", _("超期")
    STOPPED = "stopped", _("停止计时")
    MET = "met", _("按期办结")
    LATE = "late", _("超期办结")


class NoticeKind(models.TextChoices):
    CHASE = "chase", _("临期催办")
    OVERDUE = "overdue", _("超期通报")
    MANUAL = "manual", _("人工催办")


# --- the workflow as data ------------------------------------------------------------------------

S = State
# The clock runs in these states (from a dispatch until the department reports it handled).
RUNNING_STATES = frozenset({S.DISPATCHED, S.HANDLING, S.EXTENSION_REQUESTED})
# Stopped clock: back at the dispatching level.
STOPPED_STATES = frozenset({S.RETURNED, S.ESCALATED})
DONE_STATES = frozenset({S.HANDLED, S.CLOSED, S.EVALUATED})
CLOSED_STATES = frozenset({S.CLOSED, S.EVALUATED})
FINAL_STATES = frozenset({S.CANCELLED, S.CLOSED, S.EVALUATED})
OPEN_STATES = frozenset(set(State.values) - FINAL_STATES)


# The event loop as data (``core.workflow.Action``: label, sources, target — None: the state
# stays —, the permission the actor needs on the event, the side whose move it is, the fields
# it needs besides the action). The sides (``cases.flow``):
#
# - ``level``: the dispatching level: the actor's reach for the permission covers the area the
#   event is dispatched from (a street, or higher once escalated);
# - ``department``: the department the event is dispatched to (a department grant);
# - ``scope``: anyone whose reach for the permission covers the event;
# - ``reporter``: the event's reporter, whatever their role, or staff whose reach for the
#   permission covers the event's area (``cases.ratings``: with a follow-up call).
FLOW: dict[str, Action] = {
    "open": Action("立案", frozenset({S.COLLECTED}), S.OPENED, "cases.dispatch", "level"),
    "cancel": Action(
        "不予立案", frozenset({S.COLLECTED}), S.CANCELLED, "cases.dispatch", "level", ("note",)
    ),
    "dispatch": Action(
        "派遣", frozenset({S.OPENED, S.ESCALATED}), S.DISPATCHED, "cases.dispatch", "level"
    ),
    "redispatch": Action(
        "重新派遣", frozenset({S.RETURNED}), S.DISPATCHED, "cases.dispatch", "level"
    ),
    "accept": Action("签收", frozenset({S.DISPATCHED}), S.HANDLING, "cases.handle", "department"),
    "return": Action(
        "退单",
        frozenset({S.DISPATCHED, S.HANDLING}),
        S.RETURNED,
        "cases.handle",
        "department",
        ("note",),
    ),
    "request_extension": Action(
        "申请延期",
        frozenset({S.HANDLING}),
        S.EXTENSION_REQUESTED,
        "cases.handle",
        "department",
        ("note", "extension"),
    ),
    "grant_extension": Action(
        "同意延期", frozenset({S.EXTENSION_REQUESTED}), S.HANDLING, "cases.dispatch", "level"
    ),
    "refuse_extension": Action(
        "不同意延期",
        frozenset({S.EXTENSION_REQUESTED}),
        S.HANDLING,
        "cases.dispatch",
        "level",
        ("note",),
    ),
    "finish": Action(
        "处置完毕", frozenset({S.HANDLING}), S.HANDLED, "cases.handle", "department", ("note",)
    ),
    "verify_pass": Action(
        "核查通过并结案",
        frozenset({S.HANDLED}),
        S.CLOSED,
        "cases.dispatch",
        "scope",
        ("resolution",),
    ),
    "verify_fail": Action(
        "核查不通过", frozenset({S.HANDLED}), S.HANDLING, "cases.dispatch", "scope", ("note",)
    ),
    "evaluate": Action(
        "评价", frozenset({S.CLOSED}), S.EVALUATED, "cases.rate", "reporter", ("rating",)
    ),
    "escalate": Action(
        "上报上级",
        frozenset({S.OPENED, S.RETURNED, S.ESCALATED, *RUNNING_STATES}),
        S.ESCALATED,
        "cases.supervise",
        "level",
        ("note",),
    ),
    "reopen": Action(
        "重新启动", frozenset(CLOSED_STATES), S.OPENED, "cases.supervise", "level", ("note",)
    ),
    "chase": Action("催办", frozenset(RUNNING_STATES), None, "cases.supervise", "scope"),
}
ACTION_LABELS: dict[str, str] = {"collect": "采集上报"} | {a: m.label for a, m in FLOW.items()}


def moves_from(state: str) -> list[str]:
    return [action for action, move in FLOW.items() if state in move.sources]


# --- the taxonomy ----------------------------------------------------------------------------------


class EventClass(models.Model):
    """An event or facility class (事件/部件类别), with its default handling department (a
    department name, resolved within the dispatching area), its time limit and the keywords
    that suggest it from a report's text. Seeded by a migration; deployments add their own."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    kind = models.CharField(_("大类"), max_length=16, choices=ClassKind.choices)
    department_name = models.CharField(_("默认承办部门"), max_length=100, blank=True)
    limit_value = models.PositiveSmallIntegerField(_("处置时限"))
    limit_unit = models.CharField(_("时限单位"), max_length=16, choices=LimitUnit.choices)
    keywords = models.JSONField(_("关键词"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("事件类别")
        verbose_name_plural = _("事件类别")
        ordering = ["sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="event_class_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}·{self.name}"


# --- events ----------------------------------------------------------------------------------------


class Event(models.Model):
    # What and where
    description = models.TextField(_("事件描述"))
    place = models.CharField(_("事发位置"), max_length=200, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="events", verbose_name=_("所在网格/单元")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    grid = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在网格")
    )
    # Classification
    event_class = models.ForeignKey(
        EventClass,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("事件类别"),
    )
    class_source = models.CharField(
        _("类别来源"), max_length=16, choices=ClassSource.choices, blank=True
    )
    suggested_class = models.ForeignKey(
        EventClass,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("建议类别"),
    )
    suggestion_confidence = models.FloatField(_("建议置信度"), default=0)
    tokens = models.TextField(_("分词"), blank=True, default="", editable=False)
    fingerprint = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The workflow
    state = models.CharField(
        _("状态"), max_length=24, choices=State.choices, default=State.COLLECTED
    )
    dispatch_area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("派遣层级")
    )
    dispatch_area_path = PathField(_("派遣层级路径"), db_index=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("承办部门"),
    )
    # The reporter
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_events",
        verbose_name=_("上报人"),
    )
    # Encrypted at rest: a caller or reporter who hides their name (``anonymous``) is named
    # only to the reporter (the staff member who took the call); nothing searches by it.
    reporter_name = EncryptedField(_("上报人姓名"), pii_kind="name", blank=True, default="")
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter_phone = EncryptedField(_("联系电话"), pii_kind="phone", blank=True, default="")
    reporter_phone_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    me_too_count = models.PositiveIntegerField(_("附议人数"), default=0)
    # The clock (frozen per event at dispatch)
    limit_value = models.PositiveSmallIntegerField(_("处置时限"), null=True, blank=True)
    limit_unit = models.CharField(
        _("时限单位"), max_length=16, choices=LimitUnit.choices, blank=True
    )
    deadline = models.DateTimeField(_("处置期限"), null=True, blank=True)
    chase_at = models.DateTimeField(_("催办时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("超期时间"), null=True, blank=True)
    pending_extension_value = models.PositiveSmallIntegerField(
        _("申请延期时长"), null=True, blank=True
    )
    pending_extension_unit = models.CharField(
        _("申请延期单位"), max_length=16, choices=LimitUnit.choices, blank=True
    )
    on_time = models.BooleanField(_("按期处置"), null=True, blank=True)
    handling_seconds = models.PositiveIntegerField(_("处置用时(秒)"), null=True, blank=True)
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True)
    resolution = models.CharField(
        _("解决情况"), max_length=16, choices=Resolution.choices, blank=True
    )
    return_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重启次数"), default=0)
    # Moments
    reported_at = models.DateTimeField(_("上报时间"), default=timezone.now, db_index=True)
    opened_at = models.DateTimeField(_("立案时间"), null=True, blank=True, db_index=True)
    first_dispatched_at = models.DateTimeField(_("首次派遣时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置完毕时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path", own="reporter_id", department="department_id")

    # What the audit trail keeps of an event (the tokens and the fingerprint are derived).
    AUDIT_FIELDS = [
        "description",
        "place",
        "lng",
        "lat",
        "area",
        "area_path",
        "event_class",
        "class_source",
        "state",
        "dispatch_area",
        "department",
        "anonymous",
        "reporter_phone",
        "limit_value",
        "limit_unit",
        "deadline",
        "overdue_at",
        "pending_extension_value",
        "pending_extension_unit",
        "on_time",
        "rating",
        "resolution",
        "closed_at",
    ]

    class Meta:
        verbose_name = _("网格事件")
        verbose_name_plural = _("网格事件")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["area_path", "id"], name="event_area_path_id"),
            models.Index(fields=["department", "id"], name="event_department_id"),
            models.Index(fields=["reporter", "reported_at"], name="event_reporter_time"),
            models.Index(
                fields=["grid", "event_class", "state", "reported_at"], name="event_duplicates"
            ),
            models.Index(fields=["state", "deadline"], name="event_state_deadline"),
            # Covers every column the metrics read (selectors.event_metrics): the figures for a
            # node come from the index alone, without a lookup per event (city over a year on
            # SQLite: 0.26 s instead of 1.0 s; a street: 4 ms instead of 11 ms).
            models.Index(
                fields=[
                    "area_path",
                    "opened_at",
                    "reported_at",
                    "event_class",
                    "department",
                    "first_dispatched_at",
                    "accepted_at",
                    "closed_at",
                    "on_time",
                    "rating",
                    "overdue_at",
                    "handling_seconds",
                    "resolution",
                    "source",
                ],
                name="event_metrics_cover",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(suggestion_confidence__gte=0, suggestion_confidence__lte=1),
                name="event_confidence_range",
            ),
        ]

    def __str__(self) -> str:
        text = self.description.replace("\n", " ")
        return f"事件{self.pk}：{text[:30]}"


class EventStep(models.Model):
    """The history: one row per move (and one for the report itself), never changed. The SLA
    status is the clock's state at that moment, before the move; ``deadline`` is the one in
    force after it."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="steps", verbose_name=_("事件")
    )
    action = models.CharField(_("操作"), max_length=24)
    from_state = models.CharField(_("原状态"), max_length=24, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    sla_status = models.CharField(_("时限状态"), max_length=16, choices=SlaStatus.choices)
    deadline = models.DateTimeField(_("处置期限"), null=True, blank=True)
    department_name = models.CharField(_("承办部门"), max_length=100, blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事件处理记录")
        verbose_name_plural = _("事件处理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.from_state}→{self.to_state}"


class EventLink(models.Model):
    """A two-way duplicate link between two events (the lower id first), instead of merging."""

    low = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(_("相似度"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="event_link_unique"),
            models.CheckConstraint(
                condition=models.Q(low__lt=models.F("high")), name="event_link_order"
            ),
        ]
        indexes = [models.Index(fields=["high", "low"], name="event_link_reverse")]

    def __str__(self) -> str:
        return f"{self.low_id}~{self.high_id}"


class EventMeToo(models.Model):
    """ "Me too" (我也遇到): another resident or worker met the same problem; counted on the
    event instead of a second report."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="me_toos", verbose_name=_("事件")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户")
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("附议")
        verbose_name_plural = _("附议")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="event_me_too_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id}+{self.user_id}"


class EventNotice(models.Model):
    """A chase before the deadline or an overdue notice after it (from the sweep), or a
    supervisor's manual chase. The sweep writes each automatic notice once per deadline."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="notices", verbose_name=_("事件")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=NoticeKind.choices)
    deadline = models.DateTimeField(_("处置期限"))
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("承办部门"),
    )
    note = models.CharField(_("说明"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("催办通报")
        verbose_name_plural = _("催办通报")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind", "deadline"],
                condition=models.Q(kind__in=["chase", "overdue"]),
                name="event_notice_once_per_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_id}"


# --- attachments (photos) ------------------------------------------------------------------------


class AttachmentStage(models.TextChoices):
    REPORT = "report", _("上报照片")
    HANDLING = "handling", _("处置照片")
    OTHER = "other", _("其他")


class EventAttachment(models.Model):
    """A photo on an event: the reporter's at intake, the department's when it reports the
    result (linked to that step), or staff's. The file is a ``core.StoredFile`` served only
    after the event is checked visible to the user."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("事件")
    )
    step = models.ForeignKey(
        EventStep,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
        verbose_name=_("处理记录"),
    )
    file = models.ForeignKey(
        "core.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("文件")
    )
    stage = models.CharField(_("类型"), max_length=16, choices=AttachmentStage.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事件附件")
        verbose_name_plural = _("事件附件")
        ordering = ["id"]
        indexes = [models.Index(fields=["event", "id"], name="event_attachment_event")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.file_id}"


# --- household visits (驻点直联) --------------------------------------------------------------


class VisitTeam(models.Model):
    """A visit team of a village or community (驻点直联小组): party members and staff who visit
    the households on a fixed weekday. Scoped by the village's path."""

    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="visit_teams", verbose_name=_("村(社区)")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    name = models.CharField(_("小组名称"), max_length=100)
    weekday = models.PositiveSmallIntegerField(_("固定走访日"), null=True, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="visit_teams", verbose_name=_("党员")
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="visit_teams_as_staff",
        verbose_name=_("工作人员"),
    )
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()
    # The village's path, and the team's own people (a grid worker on a community's team
    # records visits for it without reaching the whole community).
    scope_fields = ScopeFields(area="area_path", kinds=(Team("members"), Team("staff")))

    class Meta:
        verbose_name = _("走访小组")
        verbose_name_plural = _("走访小组")
        ordering = ["area_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="visit_team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class VisitRecord(models.Model):
    """One visit to one household: who, when, what was said, and the requests raised (each
    became an event through ``services.event_create``). ``household_key`` names the household
    for coverage (a listed ``Household`` or the unit and door), ``week`` is the Monday of the
    visit's week. Scoped by the household's unit path."""

    team = models.ForeignKey(
        VisitTeam, on_delete=models.PROTECT, related_name="records", verbose_name=_("走访小组")
    )
    village = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("村(社区)")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="visit_records", verbose_name=_("网格/单元")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    household = models.ForeignKey(
        "territory.Household",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("住户"),
    )
    # The door label: encrypted at rest like ``Household.door``; ``household_key`` holds its
    # blind index, never the label.
    household_label = EncryptedField(_("门牌"), pii_kind="address")
    household_key = models.CharField(max_length=160, editable=False)
    visited_on = models.DateField(_("走访日期"))
    week = models.DateField(_("所在周"), editable=False)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("走访人"),
    )
    visitor_name = models.CharField(_("走访人姓名"), max_length=150, blank=True)
    # Everyone who went (the team's members or staff); ``visitor`` is the first of them.
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("走访人员")
    )
    notes = models.TextField(_("走访情况"), blank=True)
    events = models.ManyToManyField(
        Event, blank=True, related_name="visit_records", verbose_name=_("诉求转事件")
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["village", "week", "household_key"], name="visit_coverage"),
            models.Index(fields=["area_path", "visited_on"], name="visit_area_date"),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {mask('address', self.household_label)}"


# --- the trained classifier ---------------------------------------------------------------------


class ClassifierModel(models.Model):
    """One trained version of the dispatch classifier (multinomial naive Bayes over jieba
    tokens, trained on the deployment's closed events with their final class). The newest
    active version answers suggestions; older ones stay for the record."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    method = models.CharField(_("方法"), max_length=32, default="naive_bayes")
    samples = models.PositiveIntegerField(_("训练样本数"))
    classes = models.PositiveSmallIntegerField(_("类别数"))
    vocabulary = models.PositiveIntegerField(_("词表大小"))
    # class code → {"docs": n, "total": tokens, "counts": {token: n}, "department": [...]}
    params = models.JSONField(_("参数"))
    # Held-out accuracy measured at training time: {"holdout": n, "model": a, "keywords": a}
    evaluation = models.JSONField(_("留出集评估"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    trained_at = models.DateTimeField(_("训练时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事件分类模型")
        verbose_name_plural = _("事件分类模型")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"分类模型v{self.version}"
