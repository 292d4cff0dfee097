"""Handling departments (职能部门) under /api/v1/departments/: list, create, read, change;
each with the areas it serves (events there may be dispatched to it)."""

from __future__ import annotations

from ninja import Query, Router

from dangjian.accounts import labels, selectors, services
from dangjian.accounts.departments import served_paths
from dangjian.accounts.models import Department
from dangjian.core import crypto
from dangjian.core.api import ERRORS, Schema, paginate, ref
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.treeapi import page_schema
from dangjian.territory.models import Area

router = Router(tags=["职能部门"])


class ServedAreaOut(Schema):
    id: int
    name: str


class DepartmentOut(Schema):
    id: int
    name: str
    label: str
    area_id: int
    area_name: str
    served_areas: list[ServedAreaOut]
    phone: str
    active: bool


class _Page:
    """A page whose departments get their labels and served areas in two queries."""

    def __init__(self, qs):
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __getitem__(self, key):
        rows = list(self.qs[key])
        names = labels.department_labels((d.pk, d.name, d.area_path) for d in rows)
        paths = served_paths(rows)
        areas = dict(
            Area.objects.filter(path__in={p for ps in paths.values() for p in ps})
            .values_list("path", "pk")
            .order_by()
        )
        area_names = labels.area_names(
            {p for ps in paths.values() for p in ps} | {d.area_path for d in rows}
        )
        for d in rows:
            d.label_text = names[d.pk]
            d.area_name = area_names.get(d.area_path, "")
            d.served = [
                {"id": areas[p], "name": area_names.get(p, "")}
                for p in sorted(paths[d.pk])
                if p in areas
            ]
        return rows


def department_out(d: Department) -> dict:
    return {
        "id": d.pk,
        "name": d.name,
        "label": d.label_text,
        "area_id": d.area_id,
        "area_name": d.area_name,
        "served_areas": d.served,
        "phone": crypto.mask("phone", d.phone),
        "active": d.active,
    }


def _one(actor, pk: int) -> dict:
    dept = selectors.department_get(actor, pk)
    return department_out(_Page(Department.objects.filter(pk=dept.pk))[0:1][0])


class DepartmentFilters(Schema):
    q: str = ""
    area: int | None = None


@router.get("/", response={200: page_schema(DepartmentOut), **ERRORS})
def list_departments(request, filters: Query[DepartmentFilters]):
    qs = selectors.department_list(request.auth, q=filters.q, area=_pk(filters.area))
    return paginate(request, _Page(qs), department_out)


class DepartmentIn(Schema):
    name: str
    area_id: int
    served_area_ids: list[int] = []
    phone: str = ""


@router.post("/", response={200: DepartmentOut, **ERRORS})
def create_department(request, data: DepartmentIn):
    dept = services.department_create(
        actor=request.auth,
        name=data.name[:100],
        area=ref(Area, data.area_id),
        phone=data.phone[:30],
        served_areas=[ref(Area, pk) for pk in data.served_area_ids[:200]],
    )
    return _one(request.auth, dept.pk)


@router.get("/{int:department_id}", response={200: DepartmentOut, **ERRORS})
def get_department(request, department_id: int):
    return _one(request.auth, _pk(department_id))


class DepartmentPatch(Schema):
    name: str | None = None
    phone: str | None = None
    active: bool | None = None
    served_area_ids: list[int] | None = None


@router.patch("/{int:department_id}", response={200: DepartmentOut, **ERRORS})
def update_department(request, department_id: int, data: DepartmentPatch):
    changes = data.dict(exclude_unset=True)
    if "served_area_ids" in changes:
        changes["served_areas"] = [ref(Area, pk) for pk in (changes.pop("served_area_ids") or [])]
    for key in ("name", "phone"):
        if key in changes and changes[key] is None:
            changes[key] = ""
    if "active" in changes and changes["active"] is None:
        changes.pop("active")
    services.department_update(
        actor=request.auth, department=Department(pk=_pk(department_id)), **changes
    )
    return _one(request.auth, department_id)
