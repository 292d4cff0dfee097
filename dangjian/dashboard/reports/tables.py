"""The statistical reports: 党内统计 tables (members by sex and ethnicity, age, education,
occupation and party age; organizations by kind and sector; development and losses over a
year) and the governance tables (events by class and by department, the rates by node), for
any area node and year.

Every table has the shape of the official forms: one row per child of the node (those anchored
on the node itself as 本级) and a 合计 row, or one row per class or department; columns under
merged group headers. ``Table.header`` holds the header rows as cells with their spans, which
the screen draws as ``<th colspan rowspan>`` and the .xlsx export as merged ranges
(``core.excel.write_table``).

Which rows count: the party tables count the members and organizations visible to the user
(``members.view``, ``organizations.view``) whose organization is anchored in the node's
subtree (``PartyOrg.area_path``): the party's statistics follow the organization, not the
residence. The registry tables are a snapshot of today; the development and governance tables
cover the year asked for. Each grouped table reads its rows in one or two GROUP BY statements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.cases.selectors import event_metrics
from dangjian.core import tree
from dangjian.core.errors import field_error
from dangjian.core.months import add_years
from dangjian.members.models import Education, Gender, Member, Occupation, Status
from dangjian.members.selectors import AGE_BANDS, age_band_q
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.territory.models import Area

HAN = "01"  # 汉族 (GB 3304)
MIN_YEAR = 1921


@dataclass
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1

    def as_dict(self) -> dict:
        return {"text": self.text, "colspan": self.colspan, "rowspan": self.rowspan}


@dataclass
class Table:
    code: str
    title: str
    group: str
    node: Area
    year: int | None
    header: list[list[Cell]]
    rows: list[tuple[str, list]] = field(default_factory=list)  # (label, values)
    notes: list[str] = field(default_factory=list)

    @property
    def width(self) -> int:
        return sum(c.colspan for c in self.header[0])

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "title": self.title,
            "group": self.group,
            "node": {"id": self.node.pk, "name": self.node.name},
            "year": self.year,
            "header": [[c.as_dict() for c in row] for row in self.header],
            "rows": [{"label": label, "values": values} for label, values in self.rows],
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Spec:
    code: str
    title: str
    group: str
    build: Callable
    uses_year: bool = False


PARTY = "党内统计"
GOVERNANCE = "基层治理"


def _bad(field_name: str, message: str) -> ValidationError:
    return field_error(field_name, message)


def check_year(year: int | None) -> int:
    today = timezone.localdate()
    if year is None:
        return today.year
    if not MIN_YEAR <= year <= today.year + 1:
        raise _bad("year", f"年份应在{MIN_YEAR}年至{today.year + 1}年之间")
    return year


# --- grouping by child node ---------------------------------------------------------------------


def _children(node: Area) -> list[tuple[str, str]]:
    """(path, name) of the node's children, in path order (closed ones too: past reports)."""
    return list(Area.objects.filter(parent_id=node.pk).order_by("path").values_list("path", "name"))


def _by_child(node: Area, tallies: dict[str, list], width: int) -> list[tuple[str, list]]:
    """Rows per child (and 本级 for what sits on the node itself), then 合计."""
    rows = []
    own = tallies.get(node.path)
    if own and any(own):
        rows.append(("本级", own))
    for path, name in _children(node):
        rows.append((name, tallies.get(path, [0] * width)))
    total = [sum(r[i] for _label, r in rows) for i in range(width)]
    rows.append(("合计", total))
    return rows


def _child_key(node: Area, field_name: str):
    return Case(
        When(**{field_name: node.path}, then=Value(node.path)),
        default=Substr(field_name, 1, len(node.path) + tree.STEP_WIDTH),
        output_field=models.CharField(),
    )


def _members(user, node: Area):
    return (
        Member.objects.visible_to(user, "members.view")
        .filter(tree.subtree_q("org__area_path", node.path), left_on__isnull=True)
        .filter(status__in=(Status.FULL, Status.PROBATIONARY))
        .annotate(child=_child_key(node, "org__area_path"))
        .order_by()
    )


def _tally(rows, width: int, place: Callable[[tuple], list[int]]) -> dict[str, list]:
    """Sum ``n`` of grouped ``(child, ..., n)`` rows into per-child vectors; ``place(row)``
    names the columns a row counts in (the total column 0 always)."""
    out: dict[str, list] = {}
    for row in rows:
        vec = out.setdefault(row[0], [0] * width)
        n = row[-1]
        vec[0] += n
        for col in place(row):
            vec[col] += n
    return out


# --- 党内统计 -------------------------------------------------------------------------------------


def members_basic(user, node: Area, year: int | None) -> Table:
    header = [
        [
            Cell("单位", rowspan=2),
            Cell("党员总数", rowspan=2),
            Cell("党员类别", colspan=2),
            Cell("性别", colspan=2),
            Cell("民族", colspan=2),
        ],
        [
            Cell("正式党员"),
            Cell("预备党员"),
            Cell("男"),
            Cell("女"),
            Cell("汉族"),
            Cell("少数民族"),
        ],
    ]
    rows = (
        _members(user, node)
        .values_list("child", "status", "gender", "ethnicity")
        .annotate(n=Count("pk"))
    )

    def place(r):
        _c, status, gender, ethnicity, _n = r
        cols = [1 if status == Status.FULL else 2]
        if gender in (Gender.MALE, Gender.FEMALE):
            cols.append(3 if gender == Gender.MALE else 4)
        if ethnicity:
            cols.append(5 if ethnicity == HAN else 6)
        return cols

    t = Table("members_basic", "党员基本情况（类别、性别、民族）", PARTY, node, None, header)
    t.rows = _by_child(node, _tally(rows, 7, place), 7)
    t.notes.append("截至统计时的正式党员和预备党员，按所在党组织的区域统计。")
    return t


def _banded(code, title, node, user, bands, band_q, note) -> Table:
    labels = [b.label for b in bands]
    header = [
        [Cell("单位", rowspan=2), Cell("党员总数", rowspan=2), Cell(title, colspan=len(bands))],
        [Cell(label) for label in labels],
    ]
    case = Case(
        *[When(band_q(b), then=Value(i + 1)) for i, b in enumerate(bands)],
        default=Value(0),
        output_field=models.IntegerField(),
    )
    rows = (
        _members(user, node)
        .annotate(band=case)
        .values_list("child", "band")
        .annotate(n=Count("pk"))
    )
    width = len(bands) + 1
    t = Table(code, f"党员{title}情况", PARTY, node, None, header)
    t.rows = _by_child(node, _tally(rows, width, lambda r: [r[1]] if r[1] else []), width)
    t.notes.append(note)
    return t


def members_age(user, node: Area, year: int | None) -> Table:
    today = timezone.localdate()
    return _banded(
        "members_age",
        "年龄",
        node,
        user,
        AGE_BANDS,
        lambda b: age_band_q(b, today),
        "年龄按统计当日计算。",
    )


@dataclass(frozen=True)
class _Years:
    label: str
    low: int
    high: int | None


PARTY_AGE_BANDS = (
    _Years("5年及以下", 0, 5),
    _Years("6至10年", 6, 10),
    _Years("11至20年", 11, 20),
    _Years("21至30年", 21, 30),
    _Years("31至40年", 31, 40),
    _Years("41至50年", 41, 50),
    _Years("51年及以上", 51, None),
)


def members_party_age(user, node: Area, year: int | None) -> Table:
    today = timezone.localdate()

    def band_q(b: _Years) -> Q:
        q = Q(status=Status.FULL, confirmed_on__lte=add_years(today, -b.low))
        if b.high is not None:
            q &= Q(confirmed_on__gt=add_years(today, -(b.high + 1)))
        return q

    t = _banded(
        "members_party_age",
        "党龄",
        node,
        user,
        PARTY_AGE_BANDS,
        band_q,
        "党龄自转为正式党员之日起算；预备党员不计党龄，只计入党员总数。",
    )
    return t


def _coded(code, title, node, user, choices, field_name) -> Table:
    values = list(choices)
    header = [
        [
            Cell("单位", rowspan=2),
            Cell("党员总数", rowspan=2),
            Cell(title, colspan=len(values) + 1),
        ],
        [Cell(str(c.label)) for c in values] + [Cell("未填写")],
    ]
    index = {c.value: i + 1 for i, c in enumerate(values)}
    rows = _members(user, node).values_list("child", field_name).annotate(n=Count("pk"))
    width = len(values) + 2
    t = Table(code, f"党员{title}情况", PARTY, node, None, header)
    t.rows = _by_child(node, _tally(rows, width, lambda r: [index.get(r[1], width - 1)]), width)
    return t


def members_education(user, node: Area, year: int | None) -> Table:
    return _coded("members_education", "学历", node, user, Education, "education")


def members_occupation(user, node: Area, year: int | None) -> Table:
    return _coded("members_occupation", "职业", node, user, Occupation, "occupation")


def orgs_kind_sector(user, node: Area, year: int | None) -> Table:
    kinds, domains = list(OrgKind), list(OrgDomain)
    header = [
        [
            Cell("单位", rowspan=2),
            Cell("党组织总数", rowspan=2),
            Cell("按组织类别", colspan=len(kinds)),
            Cell("按所在领域", colspan=len(domains)),
        ],
        [Cell(str(k.label)) for k in kinds] + [Cell(str(d.label)) for d in domains],
    ]
    kind_col = {k.value: 1 + i for i, k in enumerate(kinds)}
    domain_col = {d.value: 1 + len(kinds) + i for i, d in enumerate(domains)}
    rows = (
        PartyOrg.objects.visible_to(user, "organizations.view")
        .filter(tree.subtree_q("area_path", node.path), dissolved_on__isnull=True)
        .annotate(child=_child_key(node, "area_path"))
        .order_by()
        .values_list("child", "kind", "domain")
        .annotate(n=Count("pk"))
    )
    width = 1 + len(kinds) + len(domains)

    def place(r):
        return [c for c in (kind_col.get(r[1]), domain_col.get(r[2])) if c is not None]

    t = Table("orgs_kind_sector", "党组织按类别和领域分布情况", PARTY, node, None, header)
    t.rows = _by_child(node, _tally(rows, width, place), width)
    return t


def development_losses(user, node: Area, year: int | None) -> Table:
    year = check_year(year)
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    header = [
        [Cell("单位", rowspan=2), Cell("党员增加", colspan=2), Cell("党员减少", colspan=2)],
        [Cell("发展党员"), Cell("预备党员转正"), Cell("停止党籍"), Cell("转出系统外")],
    ]
    base = (
        Member.objects.visible_to(user, "members.view")
        .filter(tree.subtree_q("org__area_path", node.path))
        .annotate(child=_child_key(node, "org__area_path"))
        .order_by()
    )
    in_year = {
        "joined": Q(joined_on__gte=start, joined_on__lt=end),
        "confirmed": Q(confirmed_on__gte=start, confirmed_on__lt=end),
        "suspended": Q(suspended_on__gte=start, suspended_on__lt=end),
        "left": Q(left_on__gte=start, left_on__lt=end),
    }
    rows = (
        base.filter(Q(*in_year.values(), _connector=Q.OR))
        .values("child")
        .annotate(**{k: Count("pk", filter=q) for k, q in in_year.items()})
    )
    tallies = {r["child"]: [r["joined"], r["confirmed"], r["suspended"], r["left"]] for r in rows}
    t = Table("development_losses", "党员发展和减少情况", PARTY, node, year, header)
    t.rows = _by_child(node, tallies, 4)
    t.notes.append(f"{year}年内：发展党员按入党日期，转正按转正日期，停止党籍和转出按其日期统计。")
    return t


# --- 基层治理 -------------------------------------------------------------------------------------

RATE_HEADER = [
    Cell("立案数", rowspan=2),
    Cell("办结数", rowspan=2),
    Cell("超期数", rowspan=2),
    Cell("“三率”（%）", colspan=3),
    Cell("其他指标（%）", colspan=2),
]
RATE_SUB = [Cell("办结率"), Cell("按期办结率"), Cell("满意率"), Cell("响应率"), Cell("解决率")]


def _pct(rate) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _rate_values(m: dict) -> list:
    return [
        m["opened"],
        m["closed"],
        m["overdue"],
        _pct(m["closure_rate"]),
        _pct(m["on_time_rate"]),
        _pct(m["satisfaction_rate"]),
        _pct(m["response_rate"]),
        _pct(m["resolution_rate"]),
    ]


def _metrics(user, node: Area, year: int | None, group_by: str) -> tuple[int, dict]:
    year = check_year(year)
    return year, event_metrics(
        user,
        area=node.pk,
        date_from=dt.date(year, 1, 1),
        date_to=dt.date(year, 12, 31),
        group_by=group_by,
    )


def _governance(code, title, first, node, year, rows, totals) -> Table:
    header = [[Cell(first, rowspan=2), *RATE_HEADER], RATE_SUB]
    t = Table(code, title, GOVERNANCE, node, year, header)
    t.rows = [(label, _rate_values(m)) for label, m in rows] + [("合计", _rate_values(totals))]
    t.notes.append(
        f"{year}年立案的事件：办结率=办结/立案，按期办结率=按期办结/办结，满意率=满意和基本满意/参评。"
    )
    return t


def events_by_class(user, node: Area, year: int | None) -> Table:
    year, m = _metrics(user, node, year, "class")
    rows = [(r["name"], r) for r in m["by_class"]]
    return _governance(
        "events_by_class", "网格事件分类统计", "事件类别", node, year, rows, m["totals"]
    )


def events_by_department(user, node: Area, year: int | None) -> Table:
    year, m = _metrics(user, node, year, "department")
    rows = [(r["label"], r) for r in m["by_department"]]
    return _governance(
        "events_by_department", "网格事件承办部门统计", "承办部门", node, year, rows, m["totals"]
    )


def event_rates_by_node(user, node: Area, year: int | None) -> Table:
    year, m = _metrics(user, node, year, "child")
    by_id = {r["id"]: r for r in m["by_child"]}
    empty = {k: 0 for k in ("opened", "closed", "overdue")} | {
        k: None
        for k in (
            "closure_rate",
            "on_time_rate",
            "satisfaction_rate",
            "response_rate",
            "resolution_rate",
        )
    }
    rows = [(r["name"], r) for r in m["by_child"] if r["id"] is None]  # 本级
    rows += [
        (name, by_id.get(pk, empty))
        for pk, name in Area.objects.filter(parent_id=node.pk)
        .order_by("path")
        .values_list("pk", "name")
    ]
    return _governance(
        "event_rates_by_node", "网格事件“三率”分区域统计", "单位", node, year, rows, m["totals"]
    )


SPECS = (
    Spec("members_basic", "党员基本情况（类别、性别、民族）", PARTY, members_basic),
    Spec("members_age", "党员年龄情况", PARTY, members_age),
    Spec("members_education", "党员学历情况", PARTY, members_education),
    Spec("members_occupation", "党员职业情况", PARTY, members_occupation),
    Spec("members_party_age", "党员党龄情况", PARTY, members_party_age),
    Spec("orgs_kind_sector", "党组织按类别和领域分布情况", PARTY, orgs_kind_sector),
    Spec("development_losses", "党员发展和减少情况", PARTY, development_losses, True),
    Spec("events_by_class", "网格事件分类统计", GOVERNANCE, events_by_class, True),
    Spec("events_by_department", "网格事件承办部门统计", GOVERNANCE, events_by_department, True),
    Spec("event_rates_by_node", "网格事件“三率”分区域统计", GOVERNANCE, event_rates_by_node, True),
)
SPEC_BY_CODE = {s.code: s for s in SPECS}
