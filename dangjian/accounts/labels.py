"""The one label of a department wherever users pick or read it: its name with the areas it
serves, e.g. "环卫所（城厢区·龙桥街道）", so that departments of the same name in different
townships (环卫所, 市政所, 应急办 …) are told apart in lists, dispatch choices, metrics and
exports.

The areas are the department's area and its ancestors below the root (the city is left out:
every department is in it); a department of the root itself is labelled with the root
("城市管理局（莆田市）"). One query reads the names of all the areas of a batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from dangjian.core import tree
from dangjian.territory.models import Area


def label_paths(area_path: str) -> list[str]:
    """The paths of the areas named in the label of a department serving ``area_path``."""
    chain = [*tree.ancestors_of(area_path), area_path] if area_path else []
    return chain[1:] or chain


def format_label(name: str, area_path: str, area_names: dict[str, str]) -> str:
    areas = [area_names[p] for p in label_paths(area_path) if p in area_names]
    return f"{name}（{'·'.join(areas)}）" if areas else name


def area_names(paths: Iterable[str]) -> dict[str, str]:
    """path → name of the areas at ``paths`` (one query; none for no paths)."""
    wanted = set(paths)
    if not wanted:
        return {}
    return dict(Area.objects.filter(path__in=wanted).values_list("path", "name"))


def department_labels(rows: Iterable[tuple[int, str, str]]) -> dict[int, str]:
    """pk → label for ``(pk, name, area_path)`` rows, in one query."""
    rows = list(rows)
    names = area_names(p for _pk, _name, path in rows for p in label_paths(path))
    return {pk: format_label(name, path, names) for pk, name, path in rows}


def department_label(department) -> str:
    """The label of one department (one query)."""
    if department is None:
        return ""
    pk, name, path = department.pk, department.name, department.area_path
    return department_labels([(pk, name, path)])[pk]


def label_departments(objects: Iterable, attr: str = "department") -> list:
    """Set ``<attr>_label`` on each of ``objects`` (events, notices …) from its ``<attr>``
    (loaded, e.g. with ``select_related``), in one query for the batch."""
    objects = list(objects)
    depts = {d.pk: d for d in (getattr(o, attr, None) for o in objects if getattr(o, f"{attr}_id"))}
    labels = department_labels((d.pk, d.name, d.area_path) for d in depts.values())
    for o in objects:
        setattr(o, f"{attr}_label", labels.get(getattr(o, f"{attr}_id"), ""))
    return objects
