"""Households and units per grid from one workbook: 网格, 单元, 门牌, 户主, 人数.

A grid is named by its name or its path ("社区/网格"), within the actor's reach
(``territory.manage``; out of reach reads as absent). A unit not yet stored under its grid is
created (in bulk, as the area tree import creates areas). A household's door is unique within
its unit (in the file and against the stored ones). The head of household is personal data:
written encrypted (``EncryptedField``), never echoed in the report or the audit trail.

The counts of each unit and every area above it grow by the imported households and their
people.
"""

from __future__ import annotations

from django.db import models, transaction

from dangjian.core import crypto, tree
from dangjian.core.gcpause import collection_paused
from dangjian.territory.imports.areas import Node, _is_subsequence, _write
from dangjian.territory.imports.common import (
    Column,
    Outcome,
    Problems,
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
from dangjian.territory.models import Area, AreaKind, Household
from dangjian.territory.services import ALLOWED_CHILDREN

COLUMNS: tuple[Column, ...] = (
    Column("grid", "网格", True, ("所属网格", "网格名称"), "必填，网格名称；重名时写成“社区/网格”"),
    Column(
        "unit",
        "单元",
        True,
        ("楼栋", "楼栋单元", "单元名称"),
        "必填，网格下的单元（楼栋、自然村等）；系统中没有的单元导入时新建",
    ),
    Column(
        "door", "门牌", True, ("门牌号", "房号", "户号"), "必填，如“1号楼101室”，同一单元内不能重复"
    ),
    Column("head_name", "户主", False, ("户主姓名",), "选填；个人信息，加密保存"),
    Column("members", "人数", False, ("人口", "家庭人数", "户人数"), "选填，1至99，不填按1人"),
)
MAX_MEMBERS = 99
UNIT_PARENT_KINDS = {k for k, kids in ALLOWED_CHILDREN.items() if k and AreaKind.UNIT in kids}


def template() -> bytes:
    return template_bytes(
        COLUMNS,
        sheet_name="住户",
        notes=[
            "1. 第一行为列名，请勿修改；可增加其他列，导入时忽略。",
            "2. 网格须已在系统中且在您的管理范围内；单元不存在时在该网格下新建。",
            "3. 同一单元内门牌不能重复，也不能与系统中已有住户重复。",
            "4. 户主姓名属于个人信息，加密保存，页面上脱敏显示。",
        ],
        examples=[
            ["龙桥社区第一网格", "1号楼", "1号楼101室", "张三", 3],
            ["龙桥社区第一网格", "1号楼", "1号楼102室", "李四", 2],
        ],
    )


def households_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    check_mode(mode)
    reach = require_reach(actor, "导入住户")
    with collection_paused():
        sheet = parse_sheet(content, COLUMNS, hint="“网格”“单元”“门牌”")
        problems = Problems(sheet)
        texts = {text_of(r.values.get("grid")) for r in sheet.rows} - {""}
        grids = _grids(texts, reach)
        pending = []
        for row in sheet.rows:
            v, n = row.values, row.number
            grid_text = text_of(v.get("grid"))
            unit_name = text_of(v.get("unit"))
            door = text_of(v.get("door"))
            head = text_of(v.get("head_name"))
            members, m_err = count_of(v.get("members"), sheet.column_name("members"))
            grid = None
            if not grid_text:
                problems.add(n, "grid", "请填写网格")
            else:
                found = grids.get(grid_text, [])
                if not found:
                    problems.add(n, "grid", f"未找到网格“{grid_text}”，或不在您的管理范围内")
                elif len(found) > 1:
                    problems.add(n, "grid", f"网格“{grid_text}”有重名，请写成“社区/网格”的形式")
                else:
                    grid = found[0]
            if not unit_name:
                problems.add(n, "unit", "请填写单元")
            elif len(unit_name) > 100:
                problems.add(n, "unit", "单元名称不能超过100个字")
            if not door:
                problems.add(n, "door", "请填写门牌")
            elif len(door) > 100:
                problems.add(n, "door", "门牌不能超过100个字")
            if len(head) > 50:
                problems.add(n, "head_name", "户主姓名不能超过50个字")
            if m_err:
                problems.add(n, "members", m_err)
            elif core_blank(v.get("members")):
                members = 1
            elif not 1 <= members <= MAX_MEMBERS:
                problems.add(n, "members", f"人数应在1至{MAX_MEMBERS}之间")
            pending.append((n, grid, unit_name, door, head, members))
        units, doors = _stored_units(
            {(g.pk, u) for _n, g, u, *_rest in pending if g is not None and u}
        )
        seen: dict[tuple, int] = {}
        good = []
        for n, grid, unit_name, door, head, members in pending:
            if grid is not None and unit_name and door:
                key = (grid.pk, unit_name, door)
                if key in seen:
                    problems.add(n, "door", f"与第{seen[key]}行的门牌重复（同一单元）")
                elif crypto.blind_index("address", door) in doors.get((grid.pk, unit_name), ()):
                    problems.add(n, "door", f"单元“{unit_name}”已有门牌为“{door}”的住户")
                else:
                    seen[key] = n
            if n not in problems.rows:
                good.append((n, grid, unit_name, door, head, members))
        with transaction.atomic():
            outcome = Outcome()
            if good and not (problems.rows and mode == "all_or_nothing"):
                outcome.created, new_units = _write_households(actor, good, units)
                outcome.extra = {"units_created": new_units}
            return report(
                actor=actor,
                action="households.import",
                object_type="territory.household",
                what="住户",
                sheet=sheet,
                mode=mode,
                problems=problems,
                outcome=outcome,
            )


def core_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _grids(texts: set[str], reach) -> dict[str, list[Area]]:
    """The areas units may sit under, named in the file, within reach."""
    parts = {t: segments(t) for t in texts}
    leaves = {s[-1] for s in parts.values() if s}
    found: dict[str, list[Area]] = {}
    for chunk in chunks(leaves):
        for a in Area.objects.filter(name__in=chunk, kind__in=UNIT_PARENT_KINDS).only(
            "pk", "path", "name", "kind", "parent_id"
        ):
            if reach.covers(a.path):
                found.setdefault(a.name, []).append(a)
    ancestor_paths = {
        p for areas in found.values() for a in areas for p in tree.ancestors_of(a.path)
    }
    names = {}
    for chunk in chunks(ancestor_paths):
        names.update(Area.objects.filter(path__in=chunk).values_list("path", "name"))
    out = {}
    for text, segs in parts.items():
        if not segs:
            continue
        out[text] = [
            a
            for a in found.get(segs[-1], [])
            if _is_subsequence(segs[:-1], [names.get(p, "") for p in tree.ancestors_of(a.path)])
        ]
    return out


def _stored_units(pairs: set[tuple[int, str]]):
    """The units already under the named grids (by (grid pk, name)) and their doors."""
    grid_ids = {g for g, _u in pairs}
    units: dict[tuple[int, str], Area] = {}
    for chunk in chunks(grid_ids):
        for a in Area.objects.filter(parent_id__in=chunk, kind=AreaKind.UNIT).only(
            "pk", "path", "name", "parent_id"
        ):
            if (a.parent_id, a.name) in pairs:
                units.setdefault((a.parent_id, a.name), a)
    by_pk = {a.pk: key for key, a in units.items()}
    # The doors are encrypted: compared by their blind index (``door_index``).
    doors: dict[tuple[int, str], set[str]] = {}
    for chunk in chunks(by_pk):
        for unit_id, door_index in Household.objects.filter(unit_id__in=chunk).values_list(
            "unit_id", "door_index"
        ):
            doors.setdefault(by_pk[unit_id], set()).add(door_index)
    return units, doors


def _write_households(actor, good: list[tuple], units: dict) -> tuple[int, int]:
    new_nodes: dict[tuple[int, str], Node] = {}
    for n, grid, unit_name, _door, _head, _members in good:
        key = (grid.pk, unit_name)
        if key not in units and key not in new_nodes:
            new_nodes[key] = Node(n, unit_name, AreaKind.UNIT, "", 0, 0, stored_parent=grid)
    if new_nodes:
        _write(actor, list(new_nodes.values()))
    unit_of = {key: (a.pk, a.path) for key, a in units.items()}
    unit_of.update({key: (node.pk, node.path) for key, node in new_nodes.items()})
    rows = []
    delta: dict[str, list[int]] = {}
    for _n, grid, unit_name, door, head, members in good:
        pk, path = unit_of[(grid.pk, unit_name)]
        rows.append(
            Household(
                unit_id=pk,
                area_path=path,
                door=door,
                door_index=crypto.blind_index("address", door),
                head_name=head,
                members=members,
            )
        )
        for p in (*tree.ancestors_of(path), path):
            d = delta.setdefault(p, [0, 0])
            d[0] += 1
            d[1] += members
    Household.objects.bulk_create(rows, batch_size=1000)
    for path, (households, people) in delta.items():
        Area.objects.filter(path=path).update(
            households=models.F("households") + households,
            population=models.F("population") + people,
        )
    return len(rows), len(new_nodes)
