"""The members' console lists, each declared once (``web.listing``): the columns shown, their
``?sort=`` keys and the Excel export (masked as on the page)."""

from __future__ import annotations

from dangjian.web.listing import Column, Table

# The member list sorts here; its export is the members' own (``member_export``: the
# registry's columns, with the reveal variant).
MEMBERS = Table(
    title="党员名册",
    object_type="members.member",
    columns=(
        Column("name", "姓名", "name", ("name_pinyin", "name")),
        Column("gender", "性别", "get_gender_display", ("gender",)),
        Column("age", "年龄", "age_today", ("-birth_date",)),
        Column("org", "所在党组织", "org.name", ("org_path",)),
        Column("status", "党员状态", "get_status_display", ("status",)),
        Column("joined", "入党日期", "joined_on", ("joined_on",)),
    ),
)

TRANSFERS = Table(
    title="组织关系转接",
    object_type="members.transfer",
    columns=(
        Column("member", "党员", "member_name", ("member_name",)),
        Column("kind", "类型", "get_kind_display", ("kind",)),
        Column("from", "转出党组织", lambda t: t.from_org_name or "系统外", ("from_org_name",)),
        Column("to", "转入党组织", lambda t: t.to_org_name or "系统外", ("to_org_name",)),
        Column("state", "状态", "get_state_display", ("state",)),
        Column("created", "申请时间", "created_at", ("created_at",)),
        Column("letter", "介绍信编号", "letter_number", ("letter_number",)),
    ),
)

CHECKINS = Table(
    title="报到党员和党组织",
    object_type="members.checkin",
    columns=(
        Column("name", "姓名/名称", "name", ("name",)),
        Column("unit", "工作单位", "work_unit", ("work_unit",)),
        Column("hours", "服务时长（小时）", "service_hours", ("service_hours",)),
    ),
)


def _term(c) -> str:
    return f"{c.term_start:%Y-%m-%d} 至 {c.term_end:%Y-%m-%d}"


def _postponed(c) -> str:
    if not c.postponed_to:
        return ""
    return f"延期至{c.postponed_to:%Y-%m-%d}（{c.postpone_document_no}）"


def _secretary(c) -> str:
    v = c.vacancy
    if not v.vacant:
        return c.secretary_name or ""
    if v.days is None:
        return "空缺"
    return f"空缺{v.days}天（自{v.since:%Y-%m-%d}）"


# The elections-due list (换届提醒): each row prepared as the page prepares it (``due`` the
# committee's standing, ``vacancy`` its secretary's post); the days left as a number.
ELECTIONS = Table(
    title="换届提醒",
    object_type="members.committee",
    columns=(
        Column("org", "党组织", "org.name", ("org_path",)),
        Column("term", "本届任期", _term, ("term_start",)),
        Column("due", "应换届日期", "due.due_on", ("due", "org_path")),
        Column("days", "剩余天数", "due.days_left"),
        Column("status", "状态", "due.label"),
        Column("postponed", "延期批准", _postponed, ("postponed_to",)),
        Column("secretary", "书记", _secretary, ("secretary_name",)),
    ),
)


def _progress(job) -> str:
    return f"{job.stage_text} {job.rows_done}/{job.rows_total}".strip()


# The user's own background jobs (后台任务): each row prepared as the page prepares it
# (``stage_text`` its stage); the rows done and in all as numbers.
JOBS = Table(
    title="后台任务",
    object_type="members.job",
    columns=(
        Column("kind", "类型", "get_kind_display", ("kind",)),
        Column("state", "状态", "get_state_display", ("state",)),
        Column("progress", "进度", _progress, ("rows_done",)),
        Column("detail", "说明", "detail", ("detail",)),
        Column("created", "创建时间", "created_at", ("created_at",)),
    ),
)
