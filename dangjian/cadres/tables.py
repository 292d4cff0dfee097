"""The cadres' console lists, declared once (``web.listing``): the village and community
cadres (两委)."""

from __future__ import annotations

from dangjian.web.listing import Column, Table


def _term(c) -> str:
    text = f"{c.term_start:%Y-%m-%d} 至 {c.term_end:%Y-%m-%d}"
    return text + (f"（{c.ended_on:%Y-%m-%d}卸任）" if c.ended_on else "")


CADRES = Table(
    title="两委干部",
    object_type="cadres.cadre",
    columns=(
        Column("name", "姓名", "name", ("name_pinyin", "name")),
        Column("area", "村(社区)", "area.name", ("area_path",)),
        Column("committee", "委员会", "get_committee_display", ("committee",)),
        Column("position", "职务", "get_position_display", ("position",)),
        Column("one_shoulder", "一肩挑", "one_shoulder"),
        Column("cross", "交叉任职", "cross_holding"),
        Column("education", "学历", "get_education_display", ("education",)),
        Column("term", "任期", _term, ("term_start",)),
    ),
)


RESERVES = Table(
    title="后备干部",
    object_type="cadres.reservecadre",
    columns=(
        Column("name", "姓名", "name", ("name",)),
        Column("area", "村(社区)", "area.name", ("area_path",)),
        Column("gender", "性别", "get_gender_display", ("gender",)),
        Column("education", "学历", "get_education_display", ("education",)),
        Column("intended", "培养方向", "get_intended_position_display", ("intended_position",)),
        Column("added", "纳入日期", "added_on", ("added_on",)),
    ),
)


MENTORSHIPS = Table(
    title="导师帮带",
    object_type="cadres.mentorpair",
    columns=(
        Column("mentor", "导师", "mentor.name", ("mentor__name",)),
        Column("mentee", "帮带对象", "mentee.name", ("mentee__name",)),
        Column("started", "开始日期", "started_on", ("started_on",)),
        Column("goal", "帮带目标", "goal"),
    ),
)
