from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    Department,
    User,
    UserKind,
)
from dangjian.core import audit, crypto, scope
from dangjian.core.errors import field_error
from dangjian.territory.models import Area


# --- users -----------------------------------------------------------------------------------
def _set_phone(obj, phone: str) -> None:
    from dangjian.core.validators import validate_mobile

    phone = (phone or "").strip()
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    obj.phone = phone
    obj.phone_index = crypto.blind_index("phone", phone) if phone else ""


def _validate_password(password: str, user: User | None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    real_name: str = "",
    kind: str = UserKind.STAFF,
    area: Area | None = None,
    department: Department | None = None,
    phone: str = "",
) -> User:
    username = (username or "").strip()
    if not username:
        raise field_error("username", _("用户名不能为空"))
    if User.objects.filter(username=username).exists():
        raise field_error("username", _("用户名已被使用"), code="unique")
    if kind not in UserKind.values:
        raise field_error("kind", _("账号类型无效"))
    # actor=None is the operator's own console command (createadmin), not a request.
    if area is not None and actor is not None:
        area = scope.get_visible(
            Area, actor, "accounts.manage", view_action="territory.view", pk=area.pk
        )
    if department is not None:
        if actor is not None:
            department = scope.get_visible(Department, actor, "accounts.manage", pk=department.pk)
        if area is None:
            # A department's staff belong where the department serves; without a node the
            # account would be out of every scope, its creator's included.
            area = department.area
    user = User(
        username=username,
        real_name=real_name.strip(),
        kind=kind,
        area=area,
        area_path=area.path if area else "",
        department=department,
    )
    _validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    _set_phone(user, phone)
    user.save()
    if actor is not None:
        scope.assert_visible(user, actor, "accounts.manage")
    audit.record(
        actor=actor,
        action="user.create",
        obj=user,
        after=audit.snapshot(user),
        area_path=user.area_path,
    )
    return user


@transaction.atomic
def department_create(*, actor, name: str, area: Area, phone: str = "") -> Department:
    area = scope.get_visible(
        Area, actor, "accounts.manage", view_action="territory.view", pk=area.pk
    )
    name = (name or "").strip()
    if not name:
        raise field_error("name", _("部门名称不能为空"))
    if Department.objects.filter(area=area, name=name).exists():
        raise field_error("name", _("该区域已有同名部门"), code="unique")
    dept = Department(name=name, area=area, area_path=area.path)
    _set_phone(dept, phone)
    dept.save()
    audit.record(actor=actor, action="department.create", obj=dept, after=audit.snapshot(dept))
    return dept
