"""Boundaries of areas (grids, and the communities around them) from a GeoJSON
FeatureCollection or a workbook (区划代码 or 区域, 边界 as GeoJSON text).

Each feature names its area by ``code`` (区划代码) or ``name``/``path`` (区域: a name, or
"社区/网格" when the name repeats), within the actor's reach (``territory.manage``; out of reach
reads as absent). Its geometry is checked by ``geometry.check_boundary``: a closed polygon in
China without crossings, inside the parent's boundary — the parent's new one when the same
file carries it, else the stored one. The report numbers features from 1 (a workbook: its rows).
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import tree
from dangjian.territory import geometry
from dangjian.territory.imports.areas import _is_subsequence
from dangjian.territory.imports.common import (
    MAX_IMPORT_BYTES,
    Column,
    Outcome,
    Problems,
    Row,
    Sheet,
    Table,
    audit_rows,
    check_mode,
    chunks,
    file_error,
    parse_sheet,
    report,
    require_reach,
    segments,
    template_bytes,
    text_of,
)
from dangjian.territory.models import Area

COLUMNS: tuple[Column, ...] = (
    Column("code", "区划代码", False, ("code", "统计用区划代码"), "有区划代码的区域填写"),
    Column(
        "area",
        "区域",
        False,
        ("name", "path", "名称", "区域名称", "网格"),
        "没有区划代码的区域（网格）填写名称；重名时写成“社区/网格”",
    ),
    Column(
        "boundary",
        "边界",
        True,
        ("geometry", "GeoJSON", "边界GeoJSON"),
        '必填，GeoJSON多边形，如{"type":"Polygon","coordinates":[[[经度,纬度],...]]}',
    ),
)
MAX_FEATURES = 20_000


def template() -> bytes:
    return template_bytes(
        COLUMNS,
        sheet_name="边界",
        notes=[
            "1. 也可以直接上传GeoJSON文件（FeatureCollection），每个要素的properties中写"
            "code（区划代码）或name（区域名称，重名时写成“社区/网格”）。",
            "2. 边界须为闭合的多边形（首尾两点相同，至少4个点），坐标为[经度, 纬度]，"
            "在中国境内，边不能自相交。",
            "3. 上级有边界时，网格的边界须在上级边界之内。",
        ],
        examples=[
            [
                "",
                "龙桥社区/龙桥社区第一网格",
                '{"type":"Polygon","coordinates":[[[119.0,25.4],[119.01,25.4],'
                "[119.01,25.41],[119.0,25.41],[119.0,25.4]]]}",
            ]
        ],
    )


def _is_json(content: bytes) -> bool:
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def _geojson_sheet(content: bytes) -> Sheet:
    """A FeatureCollection read as a sheet: one row per feature, numbered from 1."""
    if len(content) > MAX_IMPORT_BYTES:
        raise file_error("文件不能超过20MB，请拆分后分批导入")
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise file_error("无法读取GeoJSON文件：不是有效的JSON（UTF-8编码）") from exc
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise file_error("GeoJSON文件应为FeatureCollection（要素集合）")
    features = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    if not isinstance(features, list) or not features:
        raise file_error("GeoJSON文件中没有要素（features）")
    if len(features) > MAX_FEATURES:
        raise file_error(f"一次最多导入{MAX_FEATURES}个要素，请拆分后分批导入")
    rows = []
    for i, f in enumerate(features, start=1):
        props = (f.get("properties") if isinstance(f, dict) else None) or {}
        if not isinstance(props, dict):
            props = {}
        code = next((props[k] for k in ("code", "区划代码") if props.get(k)), "")
        area = next((props[k] for k in ("path", "name", "区域", "名称") if props.get(k)), "")
        rows.append(
            Row(
                i,
                {
                    "code": code,
                    "area": area,
                    "boundary": f.get("geometry") if isinstance(f, dict) else None,
                },
            )
        )
    headers = {"code": "properties.code", "area": "properties.name", "boundary": "geometry"}
    return Sheet(rows, headers, [], Table(COLUMNS))


def boundaries_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    check_mode(mode)
    reach = require_reach(actor, "导入边界")
    if content and _is_json(content):
        sheet = _geojson_sheet(content)
    else:
        sheet = parse_sheet(
            content,
            COLUMNS,
            hint="“区划代码”或“区域”，以及“边界”",
            required_any=(("code", "area"),),
        )
    problems = Problems(sheet)
    codes = {text_of(r.values.get("code")) for r in sheet.rows} - {""}
    texts = {text_of(r.values.get("area")) for r in sheet.rows if not text_of(r.values.get("code"))}
    by_code, by_text = _areas(codes, texts - {""}, reach)
    pending: list[tuple[int, Area, list, dict]] = []
    seen: dict[int, int] = {}
    for row in sheet.rows:
        n, v = row.number, row.values
        code, text = text_of(v.get("code")), text_of(v.get("area"))
        key, shown = ("code", code) if code else ("area", text)
        found = by_code.get(code, []) if code else by_text.get(text, [])
        area = None
        if not shown:
            problems.add(n, "code", "请填写区划代码或区域名称")
        elif not found:
            problems.add(n, key, f"未找到区域“{shown}”，或不在您的管理范围内")
        elif len(found) > 1:
            problems.add(n, key, f"区域“{shown}”有重名，请写成“社区/网格”的形式或填写区划代码")
        else:
            area = found[0]
            if area.pk in seen:
                problems.add(n, key, f"与第{seen[area.pk]}行是同一区域“{area.name}”")
                area = None
            else:
                seen[area.pk] = n
        raw = v.get("boundary")
        boundary = None
        if isinstance(raw, str):
            text_raw = raw.strip()
            if not text_raw:
                problems.add(n, "boundary", "请填写边界（GeoJSON多边形）")
            else:
                try:
                    boundary = json.loads(text_raw)
                except ValueError:
                    problems.add(n, "boundary", "边界不是有效的GeoJSON（JSON格式错误）")
        elif isinstance(raw, dict):
            boundary = raw
        else:
            problems.add(n, "boundary", "请填写边界（GeoJSON多边形）")
        polygons = None
        if boundary is not None:
            try:
                polygons = geometry.polygons_of(boundary)
            except ValidationError as exc:
                problems.add(n, "boundary", exc.message_dict["boundary"][0])
        if area is not None and polygons is not None:
            pending.append((n, area, polygons, geometry.normalized(boundary)))
    # Inside the parent: the parent's new boundary when this file carries it.
    new_of = {area.pk: polygons for _n, area, polygons, _b in pending}
    parents = _parents({a.parent_id for _n, a, _p, _b in pending if a.parent_id not in new_of})
    good = []
    for n, area, polygons, boundary in pending:
        parent_name, parent_polygons, parent_boundary = "", None, None
        if area.parent_id in new_of:
            parent_polygons = new_of[area.parent_id]
            parent_name = next(a.name for _m, a, _p, _b in pending if a.pk == area.parent_id)
        elif area.parent_id in parents:
            parent_name, parent_boundary = parents[area.parent_id]
        try:
            geometry.check_inside(
                polygons,
                parent_boundary,
                parent_name=parent_name,
                parent_polygons=parent_polygons,
            )
        except ValidationError as exc:
            problems.add(n, "boundary", exc.message_dict["boundary"][0])
            continue
        good.append((n, area, polygons, boundary))
    good = [g for g in good if g[0] not in problems.rows]
    with transaction.atomic():
        outcome = Outcome()
        if good and not (problems.rows and mode == "all_or_nothing"):
            outcome.updated = _write(actor, good)
        return report(
            actor=actor,
            action="boundaries.import",
            object_type="territory.area",
            what="边界",
            sheet=sheet,
            mode=mode,
            problems=problems,
            outcome=outcome,
        )


def _areas(codes: set[str], texts: set[str], reach):
    fields = ("pk", "path", "name", "kind", "code", "parent_id")
    by_code: dict[str, list[Area]] = {}
    for chunk in chunks(codes):
        for a in Area.objects.filter(code__in=chunk).only(*fields):
            if reach.covers(a.path):
                by_code.setdefault(a.code, []).append(a)
    parts = {t: segments(t) for t in texts}
    leaves = {s[-1] for s in parts.values() if s}
    by_leaf: dict[str, list[Area]] = {}
    for chunk in chunks(leaves):
        for a in Area.objects.filter(name__in=chunk).only(*fields):
            if reach.covers(a.path):
                by_leaf.setdefault(a.name, []).append(a)
    ancestor_paths = {
        p for areas in by_leaf.values() for a in areas for p in tree.ancestors_of(a.path)
    }
    names: dict[str, str] = {}
    for chunk in chunks(ancestor_paths):
        names.update(Area.objects.filter(path__in=chunk).values_list("path", "name"))
    by_text = {
        text: [
            a
            for a in by_leaf.get(segs[-1], [])
            if _is_subsequence(segs[:-1], [names.get(p, "") for p in tree.ancestors_of(a.path)])
        ]
        for text, segs in parts.items()
        if segs
    }
    return by_code, by_text


def _parents(ids: set) -> dict[int, tuple[str, dict | None]]:
    out = {}
    for chunk in chunks(i for i in ids if i is not None):
        for pk, name, boundary in Area.objects.filter(pk__in=chunk).values_list(
            "pk", "name", "boundary"
        ):
            out[pk] = (name, boundary)
    return out


def _write(actor, good: list[tuple]) -> int:
    areas = []
    now = timezone.now()
    for _n, area, polygons, boundary in good:
        area.boundary = boundary
        area.updated_at = now
        for k, v in geometry.bbox(polygons).items():
            setattr(area, k, v)
        areas.append(area)
    Area.objects.bulk_update(
        areas,
        ["boundary", "min_lng", "min_lat", "max_lng", "max_lat", "updated_at"],
        batch_size=500,
    )
    audit_rows(
        actor,
        "area.update",
        "territory.area",
        (
            (
                area.pk,
                area.name,
                {
                    "boundary": "已导入",
                    **{k: getattr(area, k) for k in ("min_lng", "min_lat", "max_lng", "max_lat")},
                },
                f"导入边界第{n}行",
                area.path,
            )
            for n, area, _p, _b in good
        ),
    )
    return len(areas)
