"""Handling departments (职能部门): created and changed by whoever manages accounts where
they sit, with the areas they serve (``accounts.departments``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.accounts.departments import served_paths
from dangjian.accounts.models import Department
from dangjian.core import audit, scope
from dangjian.core.errors import field_error
from dangjian.core.validation import Errors, one_line
from dangjian.territory.models import Area


def _served(actor, areas) -> list[Area]:
    """The served areas, each visible to the actor for accounts.manage (404 otherwise)."""
    found = []
    for a in areas or ():
        area = a
        if actor is not None:
            area = scope.get_visible(
                Area.objects.defer("boundary"),
                actor,
                "accounts.manage",
                view_action="territory.view",
                pk=a.pk,
            )
        if area.pk not in {x.pk for x in found}:
            found.append(area)
    return found


def _snapshot(dept: Department) -> dict:
    out = audit.snapshot(dept)
    out["served_area_paths"] = sorted(served_paths([dept])[dept.pk]) if dept.pk else []
    return out


def _set_department_phone(dept: Department, phone: str) -> None:
    from dangjian.core import crypto
    from dangjian.core.validators import validate_phone

    phone = (phone or "").strip()
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    dept.phone = phone
    dept.phone_index = crypto.blind_index("phone", phone) if phone else ""


@transaction.atomic
def department_create(
    *, actor, name: str, area: Area, phone: str = "", served_areas=None
) -> Department:
    """A department at ``area`` (its home) serving ``served_areas`` (default: its home)."""
    area = scope.get_visible(
        Area.objects.defer("boundary"),
        actor,
        "accounts.manage",
        view_action="territory.view",
        pk=area.pk,
    )
    name = one_line(name)[:100]
    if not name:
        raise field_error("name", _("部门名称不能为空"))
    if Department.objects.filter(area=area, name=name).exists():
        raise field_error("name", _("该区域已有同名部门"), code="unique")
    served = _served(actor, served_areas) or [area]
    dept = Department(name=name, area=area, area_path=area.path)
    _set_department_phone(dept, phone)
    dept.save()
    dept.served_areas.set(served)
    audit.record(actor=actor, action="department.create", obj=dept, after=_snapshot(dept))
    return dept


DEPARTMENT_UPDATABLE = ("name", "phone", "active", "served_areas")


@transaction.atomic
def department_update(*, actor, department: Department, **changes) -> Department:
    """Rename, change the phone, (de)activate, or change the served areas of a department.
    Its home area stays: a department that moves is a new department."""
    unknown = sorted(set(changes) - set(DEPARTMENT_UPDATABLE))
    if unknown:
        raise field_error(unknown[0], _("该字段不可修改"))
    dept = scope.get_visible(
        Department.objects.select_for_update(), actor, "accounts.manage", pk=department.pk
    )
    before = _snapshot(dept)
    errors = Errors()
    if "name" in changes:
        name = one_line(changes["name"])[:100]
        if not name:
            errors.add("name", _("部门名称不能为空"))
        elif Department.objects.filter(area=dept.area_id, name=name).exclude(pk=dept.pk).exists():
            errors.add("name", _("该区域已有同名部门"))
        dept.name = name
    if "phone" in changes:
        try:
            _set_department_phone(dept, changes["phone"] or "")
        except ValidationError as exc:
            errors.take(exc)
    if "active" in changes:
        dept.active = bool(changes["active"])
    served = None
    if "served_areas" in changes:
        served = _served(actor, changes["served_areas"])
        if not served:
            errors.add("served_areas", _("至少选择一个服务区域"))
    errors.check()
    dept.save()
    if served is not None:
        dept.served_areas.set(served)
    b, a = audit.diff(before, _snapshot(dept))
    if b or a:
        audit.record(actor=actor, action="department.update", obj=dept, before=b, after=a)
    return dept
