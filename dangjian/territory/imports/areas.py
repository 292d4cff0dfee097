"""The area tree from one workbook: 区划代码, 名称, 类型, 上级区划代码 or 上级名称, 户数, 人口.

Every row is checked first (reads only): its kind under its parent's (``services.
ALLOWED_CHILDREN``), its code against its kind and every coded ancestor
(``codes.check_area_code``), duplicates in the file and in the database, a sibling of the same
name, and the parent within the actor's reach (``territory.manage``; a parent out of reach
reads as absent). A parent is an earlier row of the file or an area already stored.

Then the good rows are written in one transaction, in bulk: paths handed out in memory as
``core.treemodel.node_insert`` hands them (``core.tree.child_path``, the parents already
stored locked and their ``next_child`` advanced), one ``bulk_create`` per depth, and one audit
row per new area beside the import's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction

from dangjian.core import tree
from dangjian.core.gcpause import collection_paused
from dangjian.core.pinyin import initials
from dangjian.territory.codes import check_area_code
from dangjian.territory.imports.common import (
    Column,
    Outcome,
    Problems,
    Reach,
    audit_rows,
    bulk_insert,
    check_mode,
    chunks,
    count_of,
    parse_sheet,
    report,
    require_reach,
    segments,
    template_bytes,
    text_of,
)
from dangjian.territory.models import LEVEL_OF, Area, AreaKind
from dangjian.territory.services import ALLOWED_CHILDREN

COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "区划代码",
        False,
        ("统计用区划代码", "行政区划代码", "代码"),
        "县(区)6位；乡镇、街道、村、社区12位统计用区划代码；网格和单元不填。请设为文本格式",
    ),
    Column("name", "名称", True, ("区域名称", "区划名称"), "必填，不超过100字"),
    Column(
        "kind",
        "类型",
        True,
        ("区域类型", "层级"),
        "必填：市、县(区)、乡镇、街道、村、社区、网格、单元",
    ),
    Column(
        "parent_code",
        "上级区划代码",
        False,
        ("上级代码",),
        "上级有区划代码时填写；上级可以是本表中前面的行，也可以是系统中已有的区域",
    ),
    Column(
        "parent",
        "上级名称",
        False,
        ("上级区域", "上级"),
        "上级没有区划代码（网格）时填写其名称；重名时写成“社区/网格”",
    ),
    Column("households", "户数", False, ("总户数",), "选填，不小于0的整数"),
    Column("population", "人口", False, ("人口数", "总人口", "人数"), "选填，不小于0的整数"),
)

KIND_WORDS = {
    **{str(k.label): k.value for k in AreaKind},
    **{k.value: k.value for k in AreaKind},
    "地级市": AreaKind.CITY,
    "县级市": AreaKind.CITY,
    "县": AreaKind.COUNTY,
    "区": AreaKind.COUNTY,
    "县区": AreaKind.COUNTY,
    "县（区）": AreaKind.COUNTY,
    "乡": AreaKind.TOWNSHIP,
    "镇": AreaKind.TOWNSHIP,
    "村委会": AreaKind.VILLAGE,
    "行政村": AreaKind.VILLAGE,
    "居委会": AreaKind.COMMUNITY,
    "微网格": AreaKind.UNIT,
}
KIND_HELP = "市、县(区)、乡镇、街道、村、社区、网格、单元"


@dataclass
class Node:
    """A row of the file as an area to be: its parent (a Node or a stored Area), the
    ``(kind, code)`` and names of its ancestry, root first, itself last."""

    number: int
    name: str
    kind: str | None
    code: str
    households: int
    population: int
    parent: Node | None = None
    stored_parent: Area | None = None
    chain: list = field(default_factory=list)
    names: list = field(default_factory=list)
    ok: bool = True
    path: str = ""
    pk: int | None = None
    children: int = 0


def template() -> bytes:
    return template_bytes(
        COLUMNS,
        sheet_name="区域",
        notes=[
            "1. 第一行为列名，请勿修改；可增加其他列，导入时忽略。",
            "2. 每行一个区域；上级须写在本行之前，或已在系统中（且在您的管理范围内）。",
            "3. 区划代码按国家统计局统计用区划代码：第7至9位街道001–099、镇100–199、乡200–399；"
            "末三位社区001–199、村200–399；须以上级的代码开头。",
            "4. 同一区划代码只能出现一次，且不能与系统中已有区域重复；同一上级下不能重名。",
            "5. 导入方式：“全部成功才导入”时有任何错误都不导入；“跳过错误行”时导入正确的行"
            "（上级有误的行一并跳过）。",
        ],
        examples=[
            ["350302", "城厢区", "县(区)", "350300", "", "", ""],
            ["350302001000", "龙桥街道", "街道", "350302", "", "", ""],
            ["350302001001", "龙桥社区", "社区", "350302001000", "", 3200, 9100],
            ["", "龙桥社区第一网格", "网格", "350302001001", "", 300, 820],
            ["", "1号楼", "单元", "", "龙桥社区/龙桥社区第一网格", 96, 280],
        ],
    )


def areas_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    """Import the area tree of a workbook; answers the row report (``common.report``)."""
    check_mode(mode)
    reach = require_reach(actor, "导入区域")
    with collection_paused():
        sheet = parse_sheet(content, COLUMNS, hint="“区划代码”“名称”“类型”“上级区划代码”")
        problems = Problems(sheet)
        nodes = _check(sheet, problems, reach, Reach(actor, "territory.view"))
        good = [n for n in nodes if n.ok]
        with transaction.atomic():
            outcome = Outcome()
            if good and not (problems.rows and mode == "all_or_nothing"):
                outcome.created = _write(actor, good)
            return report(
                actor=actor,
                action="areas.import",
                object_type="territory.area",
                what="区域",
                sheet=sheet,
                mode=mode,
                problems=problems,
                outcome=outcome,
            )


# --- checking ---------------------------------------------------------------------------------


def _check(sheet, problems: Problems, reach: Reach, view: Reach) -> list[Node]:
    rows = sheet.rows
    codes_named = set()
    parent_texts = set()
    pending: list[tuple[Node, str, str]] = []
    for row in rows:
        v = row.values
        name = text_of(v.get("name"))
        kind_text = text_of(v.get("kind"))
        kind = KIND_WORDS.get(kind_text.replace("(", "（").replace(")", "）")) or KIND_WORDS.get(
            kind_text
        )
        code = text_of(v.get("code"))
        households, h_err = count_of(v.get("households"), sheet.column_name("households"))
        population, p_err = count_of(v.get("population"), sheet.column_name("population"))
        node = Node(row.number, name, kind, code, households, population)
        if not name:
            problems.add(row.number, "name", "名称不能为空")
        elif len(name) > 100:
            problems.add(row.number, "name", "名称不能超过100个字")
        if not kind_text:
            problems.add(row.number, "kind", f"请填写类型：{KIND_HELP}")
        elif kind is None:
            problems.add(row.number, "kind", f"类型“{kind_text}”无效，可填：{KIND_HELP}")
        for key, err in (("households", h_err), ("population", p_err)):
            if err:
                problems.add(row.number, key, err)
        if code:
            codes_named.add(code)
        parent_code = text_of(v.get("parent_code"))
        if parent_code:
            codes_named.add(parent_code)
        parent_text = text_of(v.get("parent"))
        if parent_text and not parent_code:
            parent_texts.add(parent_text)
        pending.append((node, parent_code, parent_text))

    stored = _Stored(codes_named, parent_texts)
    by_code: dict[str, Node] = {}
    by_name: dict[str, list[Node]] = {}
    siblings: dict[tuple, int] = {}
    out = []
    for node, parent_code, parent_text in pending:
        number = node.number
        _resolve_parent(node, parent_code, parent_text, by_code, by_name, stored, reach, problems)
        parent_kind = None
        ancestors: list = []
        if node.parent is not None:
            parent_kind, ancestors = node.parent.kind, node.parent.chain
        elif node.stored_parent is not None:
            parent_kind = node.stored_parent.kind
            ancestors = stored.ancestry(node.stored_parent)
        if node.kind is not None and parent_kind is not None:
            allowed = ALLOWED_CHILDREN.get(parent_kind, set())
            if node.kind not in allowed:
                problems.add(
                    number,
                    "kind",
                    f"{AreaKind(parent_kind).label}下不能设立{AreaKind(node.kind).label}",
                )
        if node.kind is not None and node.code:
            try:
                check_area_code(kind=node.kind, code=node.code, name=node.name, ancestors=ancestors)
            except ValidationError as exc:
                problems.add(number, "code", exc.message_dict["code"][0])
        if node.code:
            first = by_code.get(node.code)
            if first is not None:
                problems.add(number, "code", f"与第{first.number}行的区划代码{node.code}重复")
            else:
                taken = stored.by_code.get(node.code)
                if taken:
                    area = taken[0]
                    problems.add(
                        number,
                        "code",
                        f"区划代码{node.code}已被“{area.name}”使用"
                        if view.covers(area.path)
                        else f"区划代码{node.code}已在系统中使用，该区域不在您的查看范围内",
                    )
                by_code[node.code] = node
        if node.name:
            key = (
                id(node.parent) if node.parent else None,
                node.stored_parent.pk if node.stored_parent else None,
                node.name,
            )
            if key in siblings:
                problems.add(number, "name", f"与第{siblings[key]}行同属一个上级且名称相同")
            elif node.stored_parent is not None and node.name in stored.child_names.get(
                node.stored_parent.pk, ()
            ):
                problems.add(
                    number, "name", f"上级“{node.stored_parent.name}”下已有名为“{node.name}”的区域"
                )
            else:
                siblings[key] = number
            by_name.setdefault(node.name, []).append(node)
        node.ok = number not in problems.rows
        node.chain = [*ancestors, (node.kind or "", node.code)]
        parent_names = (
            node.parent.names
            if node.parent is not None
            else stored.names_of(node.stored_parent)
            if node.stored_parent is not None
            else []
        )
        node.names = [*parent_names, node.name]
        out.append(node)
    return out


def _resolve_parent(node, parent_code, parent_text, by_code, by_name, stored, reach, problems):
    number = node.number
    if parent_code:
        found = by_code.get(parent_code)
        if found is not None:
            _attach(node, found, problems)
            return
        candidates = stored.by_code.get(parent_code, [])
        shown = parent_code
        key = "parent_code"
    elif parent_text:
        segs = segments(parent_text)
        in_file = (
            [n for n in by_name.get(segs[-1], []) if _is_subsequence(segs[:-1], n.names[:-1])]
            if segs
            else []
        )
        if len(in_file) == 1:
            _attach(node, in_file[0], problems)
            return
        if len(in_file) > 1:
            problems.add(
                number,
                "parent",
                f"上级“{parent_text}”在本表中有重名（第{in_file[0].number}、{in_file[1].number}行），"
                "请写成“社区/网格”的形式或填写上级区划代码",
            )
            return
        candidates = stored.by_text.get(parent_text, [])
        shown = parent_text
        key = "parent"
    else:
        problems.add(
            number,
            "parent_code",
            "请填写上级区划代码或上级名称（顶层区域不能通过导入新建）",
        )
        return
    candidates = [a for a in candidates if reach.covers(a.path)]
    if not candidates:
        problems.add(
            number,
            key,
            f"未找到上级区域“{shown}”，或不在您的管理范围内（上级须写在本行之前，或已在系统中）",
        )
    elif len(candidates) > 1:
        problems.add(
            number, key, f"上级“{shown}”有重名，请写成“街道/社区/网格”的形式或填写上级区划代码"
        )
    else:
        node.stored_parent = candidates[0]


def _attach(node: Node, parent: Node, problems: Problems) -> None:
    node.parent = parent
    if not parent.ok:
        problems.add(
            node.number,
            "parent_code" if parent.code else "parent",
            f"上级区域（第{parent.number}行）有误，本行不能导入",
        )


def _is_subsequence(needles: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(n == h for h in it) for n in needles)


class _Stored:
    """The areas already stored that the file names: by code, by parent text, with their
    ancestry and the names of their children, read in a few queries."""

    FIELDS = ("pk", "path", "name", "kind", "code", "parent_id")

    def __init__(self, codes: set[str], texts: set[str]):
        self.by_code: dict[str, list[Area]] = {}
        for chunk in chunks(codes):
            for a in Area.objects.filter(code__in=chunk).only(*self.FIELDS).order_by("path"):
                self.by_code.setdefault(a.code, []).append(a)
        parts = {t: segments(t) for t in texts}
        leaves = {segs[-1] for segs in parts.values() if segs}
        by_leaf: dict[str, list[Area]] = {}
        for chunk in chunks(leaves):
            for a in Area.objects.filter(name__in=chunk).only(*self.FIELDS).order_by("path"):
                by_leaf.setdefault(a.name, []).append(a)
        found = [a for areas in self.by_code.values() for a in areas]
        found += [a for areas in by_leaf.values() for a in areas]
        ancestor_paths = {p for a in found for p in tree.ancestors_of(a.path)}
        self.above: dict[str, tuple[str, str, str]] = {}
        for chunk in chunks(ancestor_paths):
            for path, kind, code, name in Area.objects.filter(path__in=chunk).values_list(
                "path", "kind", "code", "name"
            ):
                self.above[path] = (kind, code, name)
        self.by_text: dict[str, list[Area]] = {}
        for text, segs in parts.items():
            if not segs:
                continue
            self.by_text[text] = [
                a
                for a in by_leaf.get(segs[-1], [])
                if _is_subsequence(segs[:-1], self.names_of(a)[:-1])
            ]
        parent_ids = {a.pk for a in found}
        self.child_names: dict[int, set[str]] = {}
        for chunk in chunks(parent_ids):
            for parent_id, name in Area.objects.filter(parent_id__in=chunk).values_list(
                "parent_id", "name"
            ):
                self.child_names.setdefault(parent_id, set()).add(name)

    def ancestry(self, area: Area) -> list[tuple[str, str]]:
        chain = [self.above[p][:2] for p in tree.ancestors_of(area.path) if p in self.above]
        return [*chain, (area.kind, area.code)]

    def names_of(self, area: Area) -> list[str]:
        chain = [self.above[p][2] for p in tree.ancestors_of(area.path) if p in self.above]
        return [*chain, area.name]


# --- writing ----------------------------------------------------------------------------------


_AREA_COLUMNS = [
    "parent_id",
    "path",
    "depth",
    "name",
    "pinyin",
    "child_count",
    "next_child",
    "kind",
    "level",
    "code",
    "households",
    "population",
]


def _write(actor, good: list[Node]) -> int:
    """The good rows in bulk (inside the caller's transaction); answers how many."""
    stored_ids = {n.stored_parent.pk for n in good if n.stored_parent is not None}
    locked = {
        a.pk: a
        for chunk in chunks(stored_ids)
        for a in Area.objects.select_for_update()
        .filter(pk__in=chunk)
        .only("pk", "path", "next_child", "child_count")
    }
    if len(locked) != len(stored_ids):
        raise ValidationError({"file": ["导入期间有上级区域被删除，请重新导入"]})
    next_step = {pk: a.next_child for pk, a in locked.items()}
    added: dict[int, int] = {}
    pinyin: dict[str, str] = {}
    by_depth: dict[int, list[Node]] = {}
    for node in good:
        if node.parent is not None:
            parent_path = node.parent.path
            index = node.parent.children
            node.parent.children += 1
        else:
            pk = node.stored_parent.pk
            parent_path = locked[pk].path
            index = next_step[pk]
            next_step[pk] += 1
            added[pk] = added.get(pk, 0) + 1
        try:
            node.path = tree.child_path(parent_path, index)
        except tree.TreeError as exc:
            raise ValidationError({"file": [f"第{node.number}行：{exc}"]}) from exc
        if node.name not in pinyin:
            pinyin[node.name] = initials(node.name)
        by_depth.setdefault(tree.depth_of(node.path), []).append(node)
    # Depth by depth, so that each row's parent has its key; the keys are read back by path
    # (unique), a few hundred look-ups by index for a whole city.
    for depth in sorted(by_depth):
        nodes = by_depth[depth]
        bulk_insert(
            Area,
            _AREA_COLUMNS,
            [
                [
                    node.parent.pk if node.parent is not None else node.stored_parent.pk,
                    node.path,
                    depth,
                    node.name,
                    pinyin[node.name],
                    node.children,
                    node.children,
                    node.kind,
                    LEVEL_OF[AreaKind(node.kind)],
                    node.code,
                    node.households,
                    node.population,
                ]
                for node in nodes
            ],
        )
        keys: dict[str, int] = {}
        for chunk in chunks([n.path for n in nodes]):
            keys.update(Area.objects.filter(path__in=chunk).values_list("path", "pk"))
        for node in nodes:
            node.pk = keys[node.path]
    for pk, n in added.items():
        Area.objects.filter(pk=pk).update(
            next_child=models.F("next_child") + n, child_count=models.F("child_count") + n
        )
    _audit_rows(actor, good)
    return len(good)


def _audit_rows(actor, good: list[Node]) -> None:
    """One ``area.create`` audit row per new area, as ``audit.record`` writes it."""
    audit_rows(
        actor,
        "area.create",
        "territory.area",
        (
            (
                n.pk,
                n.name,
                {"name": n.name, "kind": n.kind, "code": n.code, "path": n.path},
                f"Excel导入第{n.number}行",
                n.path,
            )
            for n in good
        ),
    )
