"""The areas' console list, declared once (``web.listing``): the area tree's list page (its
topmost areas sorted, every visible area exported)."""

from __future__ import annotations

from dangjian.web.listing import Column, Table

AREAS = Table(
    title="区域",
    object_type="territory.area",
    columns=(
        Column("name", "名称", "name", ("pinyin", "name")),
        Column("kind", "类型", "get_kind_display", ("level", "kind")),
        Column("code", "区划代码", "code", ("code",)),
        Column("households", "户数", "households", ("households",)),
        Column("population", "人口", "population", ("population",)),
        Column("children", "下级数", "child_count", ("child_count",)),
        Column("closed", "撤销日期", "closed_on"),
    ),
)
