from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    ApiToken,
    Department,
    User,
    UserKind,
)
from dangjian.accounts.services.grants import assert_outranks
from dangjian.core import audit, crypto, scope
from dangjian.core.errors import field_error
from dangjian.core.validation import Errors, one_line
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
    must_change_password: bool = False,
) -> User:
    if kind not in UserKind.values:
        raise field_error("kind", _("账号类型无效"))
    if actor is not None and area is None and department is None:
        # Without a node the account would be out of every scope, its creator's included.
        raise field_error("area", _("请选择所属区域"))
    # The reach first: whether a user name is taken is not told to someone who may not open
    # an account there. actor=None is the operator's own console command (createadmin).
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
    username = (username or "").strip()
    if not username:
        raise field_error("username", _("用户名不能为空"))
    if one_line(username) != username:
        # PostgreSQL refuses a NUL (it was a 500), and no control character belongs in a name.
        raise field_error("username", _("用户名不能包含控制字符"))
    if User.objects.filter(username=username).exists():
        raise field_error("username", _("用户名已被使用"), code="unique")
    user = User(
        username=username,
        real_name=real_name.strip(),
        kind=kind,
        area=area,
        area_path=area.path if area else "",
        department=department,
        must_change_password=must_change_password,
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


# --- one-time passwords, the forced change --------------------------------------------------
# No 0/O, 1/l/I: read aloud or copied from a phone screen without mistakes.
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_DIGITS = "23456789"


def one_time_password() -> str:
    """A random password of 12 characters (upper, lower, digits, a dash) that passes the
    password rules; shown once to whoever issues it, never stored in clear."""
    while True:
        groups = [
            "".join(secrets.choice(_UPPER + _LOWER + _DIGITS) for _ in range(4)) for _ in range(3)
        ]
        text = "-".join(groups)
        if (
            any(c in _UPPER for c in text)
            and any(c in _LOWER for c in text)
            and any(c in _DIGITS for c in text)
        ):
            return text


def password_change_required(user) -> bool:
    """Whether ``user`` must change their password before doing anything else (a supervisor
    reset it to a one-time password). The login flow refuses everything but the change."""
    return bool(getattr(user, "is_authenticated", False) and user.must_change_password)


def _managed_user(actor, user: User) -> User:
    """``user``, locked, if ``actor`` may manage the account: in scope for accounts.manage
    (404 outside, 403 visible only) and holding no grant beyond the actor's."""
    found = scope.get_visible(
        User.objects.select_for_update(),
        actor,
        "accounts.manage",
        view_action="accounts.view",
        pk=user.pk,
    )
    assert_outranks(actor, found)
    return found


def _revoke_tokens(user: User) -> None:
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def user_reset_password(*, actor, user: User) -> tuple[User, str]:
    """A supervisor resets an account's password to a one-time password (returned once, to
    be handed over); the account must change it at its next login, and its tokens die."""
    if actor.pk == user.pk:
        raise field_error("user", _("不能重置本人的密码，请在“账号安全”中修改密码"))
    user = _managed_user(actor, user)
    password = one_time_password()
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.save(
        update_fields=[
            "password",
            "password_changed_at",
            "must_change_password",
            "failed_logins",
            "locked_until",
        ]
    )
    _revoke_tokens(user)
    audit.record(actor=actor, action="user.reset_password", obj=user, note=_("重置为一次性密码"))
    return user, password


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    """Deactivate an account (it can no longer sign in; its tokens die; its grants stay for
    when it is reactivated) or reactivate it."""
    if actor.pk == user.pk:
        raise field_error("user", _("不能停用或启用本人的账号"))
    user = _managed_user(actor, user)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        _revoke_tokens(user)
    audit.record(
        actor=actor,
        action="user.reactivate" if active else "user.deactivate",
        obj=user,
        before={"is_active": not active},
        after={"is_active": active},
    )
    return user


USER_UPDATABLE = ("real_name", "phone", "kind", "area", "department")


@transaction.atomic
def user_update(*, actor, user: User, **changes) -> User:
    """Change an account's name, phone, kind, area or department (accounts.manage, in scope,
    and the account reaches no further than the actor)."""
    unknown = sorted(set(changes) - set(USER_UPDATABLE))
    if unknown:
        raise field_error(unknown[0], _("该字段不可修改"))
    user = _managed_user(actor, user)
    before = audit.snapshot(user)
    errors = Errors()
    if "real_name" in changes:
        name = one_line(changes["real_name"])[:50]
        if not name:
            errors.add("real_name", _("姓名不能为空"))
        user.real_name = name
    if "kind" in changes:
        if changes["kind"] not in UserKind.values:
            errors.add("kind", _("账号类型无效"))
        else:
            user.kind = changes["kind"]
    if "area" in changes:
        area = changes["area"]
        if area is None:
            errors.add("area", _("所属区域不能为空"))
        else:
            area = scope.get_visible(
                Area.objects.defer("boundary"),
                actor,
                "accounts.manage",
                view_action="territory.view",
                pk=area.pk,
            )
            user.area, user.area_path = area, area.path
    if "department" in changes:
        dept = changes["department"]
        if dept is not None:
            dept = scope.get_visible(Department, actor, "accounts.manage", pk=dept.pk)
        user.department = dept
    if "phone" in changes:
        try:
            _set_phone(user, changes["phone"] or "")
        except ValidationError as exc:
            errors.take(exc)
    errors.check()
    user.save()
    scope.assert_visible(user, actor, "accounts.manage")
    b, a = audit.diff(before, audit.snapshot(user))
    if b or a:
        audit.record(actor=actor, action="user.update", obj=user, before=b, after=a)
    return user
