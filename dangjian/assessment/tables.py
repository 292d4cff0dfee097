"""The assessment's console lists, declared once (``web.listing``): the weak-organization
situations (软弱涣散情形) and the members' warnings (党员预警)."""

from __future__ import annotations

from dangjian.core.textmask import mask_text
from dangjian.web.listing import Column, Table


def _basis(f) -> str:
    if f.manual and isinstance(f.evidence, dict) and f.evidence.get("text"):
        return f"{f.summary}（证据：{mask_text(str(f.evidence['text']))}）"
    return f.summary


FLAGS = Table(
    title="软弱涣散情形",
    object_type="assessment.flag",
    columns=(
        Column("year", "年度", "year", ("year",)),
        Column("org", "党组织", "org.name", ("org_path",)),
        Column("rule", "情形", "get_rule_display", ("rule",)),
        Column("figure", "数据", "figure"),
        Column("threshold", "标准", "threshold"),
        Column("basis", "依据", _basis),
    ),
)


def _warning_state(w) -> str:
    return "生效中" if w.active else f"{w.cleared_on:%Y-%m-%d} 解除" if w.cleared_on else "已解除"


WARNINGS = Table(
    title="党员预警",
    object_type="assessment.memberwarning",
    columns=(
        Column("member", "党员", "member_name", ("member_name",)),
        Column("org", "党组织", "org.name", ("org_path",)),
        Column(
            "colour",
            "预警",
            lambda w: f"{w.get_colour_display()} {w.get_rule_display()}",
            ("colour", "rule"),
        ),
        Column("reason", "原因", "reason"),
        Column("clears", "解除条件", "clears_when"),
        Column("raised", "预警日期", "raised_on", ("raised_on",)),
        Column("state", "状态", _warning_state, ("active",)),
    ),
)


def _stars(r) -> str:
    text = f"{r.stars}星" if r.stars else "未定星"
    return text + ("（受比例限制）" if r.capped else "")


def _rating_state(r) -> str:
    text = r.get_state_display()
    if r.window_ends_on and r.state == "published":
        text += f"（至{r.window_ends_on:%Y-%m-%d}）"
    return text


RATINGS = Table(
    title="星级评定",
    object_type="assessment.rating",
    columns=(
        Column("rank", "县内排名", "rank", ("county_path", "rank")),
        Column("org", "党组织", "org_name", ("org_name",)),
        Column("sector", "领域", "scheme.get_sector_display", ("scheme__sector",)),
        Column("score", "得分", "score", ("score",)),
        Column("stars", "星级", _stars, ("stars",)),
        Column("state", "状态", _rating_state, ("state",)),
    ),
)


PROJECTS = Table(
    title="书记项目",
    object_type="assessment.secretaryproject",
    columns=(
        Column("org", "党组织", "org.name", ("org_path",)),
        Column("secretary", "书记", "secretary_name", ("secretary_name",)),
        Column("title", "项目", "title", ("title",)),
        Column("team", "团队", lambda p: "、".join(str(t) for t in (p.team or []))),
        Column("state", "状态", "get_state_display", ("state",)),
        Column("evaluation", "上级评价", "evaluation_score", ("evaluation_score",)),
    ),
)


def _who(s) -> str:
    u = s.scored_by
    return (u.real_name or u.username) if u is not None else ""


SCORES = Table(
    title="人工评分",
    object_type="assessment.manualscore",
    columns=(
        Column("org", "党组织", "org.name", ("org_path",)),
        Column("indicator", "指标", "indicator.name", ("indicator__name",)),
        Column("points", "得分", "points", ("points",)),
        Column("evidence", "佐证材料", lambda s: mask_text(s.evidence)),
        Column("files", "佐证附件数", lambda s: len(s.evidence_files.all())),
        Column("scorer", "评分人", _who),
        Column("updated", "时间", "updated_at", ("updated_at",)),
    ),
)


RANKINGS = Table(
    title="软弱涣散排名",
    object_type="assessment.ranking",
    columns=(
        Column("year", "年度", "year", ("year",)),
        Column("county", "县(区)", "county.name", ("area_path",)),
        Column("assessed", "参评组织", "assessed", ("assessed",)),
        Column("flagged", "有情形", "flagged", ("flagged",)),
        # A rate is written as a number (percent), not as text.
        Column("share", "末位比例（%）", lambda r: round(float(r.share) * 100, 2), ("share",)),
        Column("entries", "名单（个）", "entry_count", ("entry_count",)),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
)


RECTIFICATIONS = Table(
    title="整顿项目",
    object_type="assessment.rectification",
    columns=(
        Column("year", "年度", "year", ("year",)),
        Column("org", "党组织", "org_name", ("org_path",)),
        Column("problems", "存在问题", lambda r: mask_text(r.problems)),
        Column("leader", "责任领导", "leader", ("leader",)),
        Column("deadline", "整顿期限", "deadline", ("deadline",)),
        Column("reports", "进展报告（次）", "reports", ("reports",)),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
)
