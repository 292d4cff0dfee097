from __future__ import annotations

import datetime as dt
import secrets

import pyotp
from cryptography.hazmat.primitives import hashes
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    ApiToken,
    User,
    UserKind,
)
from dangjian.accounts.services.people import _validate_password
from dangjian.core import audit, crypto, scope
from dangjian.core.conf import setting
from dangjian.core.errors import field_error


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


# --- passwords and locks ----------------------------------------------------------------
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
