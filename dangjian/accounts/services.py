from __future__ import annotations

import datetime as dt
import secrets

import pyotp
from cryptography.hazmat.primitives import hashes
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    ApiToken,
    Department,
    Grant,
    Role,
    User,
    UserKind,
    grants_bump,
)
from dangjian.accounts.roles import ROLE_BY_CODE, ROLES
from dangjian.core import audit, crypto, scope
from dangjian.core.conf import setting
from dangjian.core.errors import field_error
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


# --- roles ---------------------------------------------------------------------------------
def roles_sync() -> None:
    """Write the role table of ``accounts.roles`` into the database; the holders of a role
    that changed read their grants afresh (``grants_bump``, same transaction)."""
    with transaction.atomic():
        # Save only the roles that differ: each change makes every holder's grants be read
        # afresh.
        existing = {role.code: role for role in Role.objects.select_for_update()}
        changed = []
        for r in ROLES:
            values = {"name": r.name, "actions": list(r.actions), "reach": r.reach}
            role = existing.get(r.code)
            if role is None:
                Role.objects.create(code=r.code, **values)
            elif any(getattr(role, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(role, k, v)
                role.save()
                changed.append(role.pk)
        if changed:
            grants_bump(Grant.objects.filter(role_id__in=changed).values("user_id"))


# --- login ---------------------------------------------------------------------------------
class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def login_check(*, username: str, password: str, otp: str | None = None) -> User | None:
    """Check a password (and TOTP code when enabled); count failures and lock at the limit.

    Returns the user, or None. Raises LoginRefused with the reason a person may be told
    (locked, second factor missing); a wrong name or password gets no more detail than None.
    The refusal is raised after the transaction commits, so its audit row is kept.
    """
    username = (username or "").replace("\x00", "")  # PostgreSQL refuses NUL in text
    with transaction.atomic():
        user, refusal = _login_attempt(username=username, password=password, otp=otp)
    if refusal:
        raise LoginRefused(refusal)
    return user


def _login_attempt(
    *, username: str, password: str, otp: str | None
) -> tuple[User | None, str | None]:
    """One login attempt inside the caller's transaction: (user or None, refusal or None)."""
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        User().set_password(password)  # same work as a real check, so timing tells nothing
        audit.record(
            actor=None,
            action="login.failed",
            object_type="accounts.user",
            object_repr=username[:150],
            note=_("用户不存在"),
        )
        return None, None
    if user.is_locked:
        audit.record(actor=None, action="login.locked", obj=user, note=_("账号锁定期间尝试登录"))
        return None, _("连续登录失败次数过多，账号已锁定，请%(minutes)s分钟后再试或联系管理员") % {
            "minutes": setting("LOCKOUT_MINUTES")
        }
    if not user.is_active:
        audit.record(actor=None, action="login.failed", obj=user, note=_("账号已停用"))
        return None, None
    ok = user.check_password(password)
    if ok and user.totp_enabled:
        if not otp:
            return None, _("请输入动态验证码")
        ok = pyotp.TOTP(crypto.decrypt(user.totp_secret)).verify(otp, valid_window=1)
    if not ok:
        user.failed_logins += 1
        note = _("密码或验证码错误(第%(n)s次)") % {"n": user.failed_logins}
        if user.failed_logins >= setting("LOCKOUT_THRESHOLD"):
            user.locked_until = timezone.now() + dt.timedelta(minutes=setting("LOCKOUT_MINUTES"))
            user.failed_logins = 0
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            note = _("连续失败达到上限，账号锁定")
        user.save(update_fields=["failed_logins", "locked_until"])
        audit.record(actor=None, action="login.failed", obj=user, note=note)
        return None, None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = timezone.now()
    user.save(update_fields=["failed_logins", "locked_until", "last_login"])
    audit.record(actor=user, action="login", obj=user)
    return user, None


def _digest(raw: str) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(raw.encode())
    return h.finalize().hex()


@transaction.atomic
def token_issue(*, user: User) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(raw),
        expires_at=timezone.now() + dt.timedelta(hours=setting("TOKEN_HOURS")),
    )
    audit.record(actor=user, action="token.issue", obj=user, note=_("签发接口令牌"))
    return raw, token


def token_user(raw: str) -> User | None:
    """The user a bearer token belongs to, if the token is alive."""
    if not raw or len(raw) > 200:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None:
        return None
    user = token.user
    if not user.is_active or user.is_locked:
        return None
    if user.password_changed_at and token.created_at < user.password_changed_at:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


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
def user_change_password(*, actor, user: User, old_password: str | None, new_password: str) -> None:
    """A user changes their own password (old one required); an admin in scope resets it."""
    if actor.pk == user.pk:
        if not user.check_password(old_password or ""):
            raise field_error("old_password", _("原密码不正确"))
    else:
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
    _validate_password(new_password, user)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit.record(actor=actor, action="user.password", obj=user, note=_("修改密码"))


@transaction.atomic
def user_unlock(*, actor, user: User) -> User:
    user = scope.get_visible(
        User.objects.select_for_update(),
        actor,
        "accounts.manage",
        view_action="accounts.view",
        pk=user.pk,
    )
    user.locked_until = None
    user.failed_logins = 0
    user.save(update_fields=["locked_until", "failed_logins"])
    audit.record(actor=actor, action="user.unlock", obj=user)
    return user


@transaction.atomic
def grant_add(
    *,
    actor,
    user: User,
    role_code: str,
    area: Area | None = None,
    org: PartyOrg | None = None,
    department: Department | None = None,
) -> Grant:
    role_def = ROLE_BY_CODE.get(role_code)
    if role_def is None:
        raise field_error("role", _("角色不存在"))
    role = Role.objects.get(code=role_code)
    nodes = [n for n in (area, org, department) if n is not None]
    if len(nodes) > 1:
        raise field_error("node", _("一条授权只能对应一个节点"))
    if role_def.reach == "subtree" and (not nodes or department is not None):
        raise field_error("node", _("该角色须授予在区域或党组织节点上"))
    if role_def.reach == "department" and department is None:
        raise field_error("department", _("该角色须授予在职能部门上"))
    if role_def.reach == "self" and nodes:
        raise field_error("node", _("党员和群众角色只能看到本人数据，不授予节点"))
    if actor is not None:
        # One may hand out only what one holds, and only within one's own reach.
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
        for action in role_def.actions:
            if not actor.can(action):
                raise scope.Forbidden(_("不能授予超出本人权限的角色"))
        if area is not None:
            area = scope.get_visible(
                Area, actor, "accounts.manage", view_action="territory.view", pk=area.pk
            )
        if org is not None:
            org = scope.get_visible(
                PartyOrg, actor, "accounts.manage", view_action="organizations.view", pk=org.pk
            )
        if department is not None:
            department = scope.get_visible(Department, actor, "accounts.manage", pk=department.pk)
    grant = Grant.objects.create(user=user, role=role, area=area, org=org, department=department)
    grants_bump(user)
    audit.record(
        actor=actor,
        action="grant.add",
        obj=user,
        area_path=user.area_path,
        after={
            "role": role_code,
            "area_id": area and area.pk,
            "org_id": org and org.pk,
            "department_id": department and department.pk,
        },
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor, grant: Grant) -> None:
    """Take a grant back; its holder reads their grants afresh on the next request."""
    grant = Grant.objects.select_related("user", "role").get(pk=grant.pk)
    user = grant.user
    if actor is not None:
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
    before = {
        "role": grant.role.code,
        "area_id": grant.area_id,
        "org_id": grant.org_id,
        "department_id": grant.department_id,
    }
    grant.delete()
    grants_bump(user)
    audit.record(actor=actor, action="grant.revoke", obj=user, before=before)


@transaction.atomic
def grants_bulk_add(*, grants: list[Grant]) -> list[Grant]:
    """Many grants at once, unchecked, for the operator's own writes (the demo, a data
    load): one insert, and every holder's version bumped in the same transaction."""
    made = Grant.objects.bulk_create(grants)
    grants_bump({g.user_id for g in made})
    for g in made:
        g.user.__dict__.pop("_grants_cached", None)
    return made


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


# --- second factor -------------------------------------------------------------------------
@transaction.atomic
def totp_begin(*, user: User) -> str:
    """Start enrolment: a new secret, not yet enabled. Returns the otpauth:// URI."""
    if user.kind not in (UserKind.STAFF, UserKind.DEPARTMENT):
        raise field_error("kind", _("仅工作人员账号可启用双因素认证"))
    if user.totp_enabled:
        raise field_error("code", _("双因素认证已启用，如需更换请先停用"))
    secret = pyotp.random_base32()
    user.totp_secret = crypto.encrypt(secret)
    user.totp_enabled = False
    user.save(update_fields=["totp_secret", "totp_enabled"])
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name="党建引领基层治理平台"
    )


@transaction.atomic
def totp_confirm(*, user: User, code: str) -> None:
    if not user.totp_secret or not pyotp.TOTP(crypto.decrypt(user.totp_secret)).verify(
        code or "", valid_window=1
    ):
        raise field_error("code", _("动态验证码不正确"))
    user.totp_enabled = True
    user.save(update_fields=["totp_enabled"])
    audit.record(actor=user, action="user.totp_enable", obj=user, note=_("启用双因素认证"))


@transaction.atomic
def totp_disable(*, actor, user: User) -> None:
    if actor.pk != user.pk:
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
    user.totp_enabled = False
    user.totp_secret = ""
    user.save(update_fields=["totp_enabled", "totp_secret"])
    audit.record(actor=actor, action="user.totp_disable", obj=user, note=_("停用双因素认证"))
