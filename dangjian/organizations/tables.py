"""The party organizations' console list, declared once (``web.listing``): the organization
tree's list page (its topmost organizations sorted, every visible organization exported)."""

from __future__ import annotations

from dangjian.web.listing import Column, Table

ORGS = Table(
    title="党组织",
    object_type="organizations.partyorg",
    columns=(
        Column("name", "名称", "name", ("pinyin", "name")),
        Column("kind", "类别", "get_kind_display", ("kind",)),
        Column("area", "所在区域", "area.name", ("area__path",)),
        Column("code", "组织代码", "code", ("code",)),
        Column("established", "成立日期", "established_on", ("established_on",)),
        Column("children", "下级数", "child_count", ("child_count",)),
        Column("dissolved", "撤销日期", "dissolved_on"),
    ),
)
