"""The points console lists, declared once (``web.listing``): the committee's review queue."""

from __future__ import annotations

from dangjian.core.textmask import mask_text
from dangjian.web.listing import Column, Table

REVIEW = Table(
    title="积分评议",
    object_type="points.award",
    columns=(
        Column("scheme", "方案", "scheme.name", ("scheme__name",)),
        Column("rule", "规则", "rule.name", ("rule__name",)),
        Column("subject", "对象", "subject_name", ("subject_name",)),
        Column("points", "积分", "points", ("points",)),
        Column("occurred", "发生日期", "occurred_on", ("occurred_on",)),
        Column(
            "evidence",
            "佐证",
            lambda a: mask_text(a.evidence) + ("（附照片）" if a.evidence_file_id else ""),
        ),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
)


SCHEMES = Table(
    title="积分方案",
    object_type="points.scheme",
    columns=(
        Column("name", "方案", "name", ("name",)),
        Column("audience", "对象", "get_audience_display", ("audience",)),
        Column(
            "place",
            "村(社区)/党组织",
            lambda s: s.area.name if s.area_id else (s.org.name if s.org_id else ""),
            ("area__path", "org__path"),
        ),
        Column("name_display", "榜单姓名", "get_name_display_display", ("name_display",)),
        Column("state", "状态", lambda s: "启用" if s.active else "停用", ("active",)),
    ),
)


# The lists behind the dashboard's points figures (当月记分, 当月兑换积分): names only, never
# an ID number or a phone.
AWARDS = Table(
    title="积分记录",
    object_type="points.award",
    columns=(
        Column("scheme", "方案", "scheme.name", ("scheme__name",)),
        Column("rule", "规则", "rule.name", ("rule__name",)),
        Column("subject", "对象", "subject_name", ("subject_name",)),
        Column("points", "积分", "points", ("points",)),
        Column("occurred", "发生日期", "occurred_on", ("occurred_on",)),
        Column("source", "来源", "get_source_display", ("source",)),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
)


REDEMPTIONS = Table(
    title="积分兑换",
    object_type="points.redemption",
    columns=(
        Column("scheme", "方案", "scheme.name", ("scheme__name",)),
        Column("item", "物品", "item_name", ("item_name",)),
        Column("subject", "对象", "subject_name", ("subject_name",)),
        Column("quantity", "数量", "quantity", ("quantity",)),
        Column("points", "积分", "points", ("points",)),
        Column("created", "兑换时间", "created_at", ("created_at",)),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
)
