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
