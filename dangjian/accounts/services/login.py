from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time

import pyotp
from cryptography.hazmat.primitives import hashes
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts import throttle
from dangjian.accounts.models import (
    ApiToken,
    User,
    UserKind,
)
from dangjian.accounts.services.people import _validate_password
from dangjian.core import audit, context, crypto, scope
from dangjian.core.conf import setting
from dangjian.core.errors import field_error


# --- login ---------------------------------------------------------------------------------
class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def demo_mode() -> bool:
    """A demonstration install (``dangjian demo`` sets DANGJIAN_DEMO_MODE): the demo password
    is accepted and granting accounts need no second factor. Never in production."""
    return bool(setting("DEMO_MODE", False))


def is_demo_password(password: str) -> bool:
    demo = str(setting("DEMO_PASSWORD", "") or "")
    return bool(demo) and hmac.compare_digest((password or "").encode(), demo.encode())


def totp_required(user: User) -> bool:
    """Accounts that can grant roles (``accounts.manage`` anywhere) must use TOTP."""
    required = setting("TOTP_REQUIRED_FOR_GRANTORS", None)
    if not (not demo_mode() if required is None else required):
        return False
    return bool(user.is_active and user.can("accounts.manage"))


def login_obligation(user: User) -> str | None:
    """What a signed-in user must do before anything else: "password" (change it) or "totp"
    (enrol an authenticator); None when nothing is pending."""
    if user.must_change_password:
        return "password"
    if not user.totp_enabled and totp_required(user):
        return "totp"
    return None


OBLIGATION_MESSAGES = {
    "password": "须先修改密码：该账号正在使用初始密码、一次性密码或演示密码",
    "totp": "该账号可授予角色，须先启用双因素认证（动态验证码）",
}


def client_address() -> str:
    return (context.remote_addr.get() or "")[:64]


def _burn(password: str) -> None:
    """The work of one password check, for the refusals that check none: timing tells nothing."""
    User().set_password(password)


def login_check(*, username: str, password: str, otp: str | None = None) -> User | None:
    """Check a password (and TOTP code when enabled), throttled per account and address.

    Returns the user, or None: an unknown name, a wrong password or code, a locked or
    deactivated account and an attempt during a throttle wait all get None, after the same
    work, so the caller answers them with one message. Raises LoginRefused only after a right
    password, when the account's second factor is missing from the attempt.
    The transaction commits before the answer, so failures and their audit rows are kept.
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
    address = client_address()
    user = User.objects.select_for_update().filter(username=username).first()
    if throttle.waiting(username, address):
        _burn(password)
        audit.record(
            actor=None,
            action="login.throttled",
            object_type="accounts.user",
            object_repr=username[:150],
            note=_("登录失败次数过多，等待期间的尝试未予校验"),
        )
        return None, None
    refused = None
    if user is None:
        refused = _("用户不存在")
    elif user.is_locked:
        refused = _("账号已被管理员锁定")
    elif not user.is_active:
        refused = _("账号已停用")
    if refused:
        _burn(password)
        n = throttle.failed(username, address)
        audit.record(
            actor=None,
            action="login.failed",
            obj=user,
            object_type="accounts.user",
            object_repr=username[:150],
            note=_("%(reason)s(第%(n)s次)") % {"reason": refused, "n": n},
        )
        return None, None
    assert user is not None
    ok = user.check_password(password)
    counter = None
    if ok and user.totp_enabled:
        if not otp:
            return None, _("请输入动态验证码")
        counter = _totp_match(user, otp)
        ok = counter is not None
    if not ok:
        n = throttle.failed(username, address)
        user.failed_logins = min(user.failed_logins + 1, 32767)
        user.save(update_fields=["failed_logins"])
        audit.record(
            actor=None,
            action="login.failed",
            obj=user,
            note=_("密码或验证码错误(第%(n)s次)") % {"n": n},
        )
        return None, None
    throttle.succeeded(username, address)
    user.failed_logins = 0
    user.last_login = timezone.now()
    fields = ["failed_logins", "last_login"]
    if counter is not None:
        user.totp_last_counter = counter
        fields.append("totp_last_counter")
    if not demo_mode() and is_demo_password(password) and not user.must_change_password:
        user.must_change_password = True
        fields.append("must_change_password")
    user.save(update_fields=fields)
    audit.record(actor=user, action="login", obj=user)
    return user, None


def password_verify(*, user: User, password: str, field: str = "password") -> None:
    """Check the signed-in user's own password before a sensitive change (second factor,
    password): failures count like the login's, per account and address; a right one during
    the wait is refused too. Commits its count before raising the 422."""
    address = client_address()
    with transaction.atomic():
        if throttle.waiting(user.username, address):
            _burn(password or "")
            audit.record(
                actor=user, action="password.throttled", obj=user, note=_("核对密码：等待期间")
            )
            message = _("密码错误次数过多，请稍后再试")
        elif User.objects.get(pk=user.pk).check_password(password or ""):
            throttle.succeeded(user.username, address)
            return
        else:
            n = throttle.failed(user.username, address)
            audit.record(
                actor=user,
                action="password.failed",
                obj=user,
                note=_("核对密码错误(第%(n)s次)") % {"n": n},
            )
            message = _("原密码不正确") if field == "old_password" else _("密码不正确")
    raise field_error(field, message)


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


def _token_lookup(digest: str) -> ApiToken | None:
    """The unrevoked token of ``digest`` with its user, in one statement on the unique
    ``digest`` index. Every API request runs it: building and compiling it through the ORM each
    time was most of its cost (about 1 ms), so it is compiled once (``scope.compiled``) and its
    row is split into the two instances as the ORM's ``select_related`` would. Nothing is kept
    between requests but the statement: a revoked token fails on the next request."""
    using = ApiToken._default_manager.db

    def build(stand):
        return ApiToken.objects.select_related("user").filter(
            digest=stand.like(digest), revoked_at__isnull=True
        )

    statement = scope.compiled(("accounts.token", using), using, build)
    rows = statement.run([digest])
    if not rows:
        return None
    row, compiler = rows[0], statement.compiler
    info = compiler.klass_info
    user_info = info["related_klass_infos"][0]

    def instance(model, indices):
        names = [compiler.select[i][0].target.attname for i in indices]
        return model.from_db(using, names, [row[i] for i in indices])

    token = instance(ApiToken, info["select_fields"])
    token.user = instance(User, user_info["select_fields"])
    return token


def token_user(raw: str) -> User | None:
    """The user a bearer token belongs to, if the token is alive."""
    if not raw or len(raw) > 200:
        return None
    now = timezone.now()
    token = _token_lookup(_digest(raw))
    if token is None or token.expires_at <= now:
        return None
    user = token.user
    if not user.is_active or user.is_locked or user.must_change_password:
        return None
    if user.password_changed_at and token.created_at < user.password_changed_at:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user


@transaction.atomic
def token_revoke(*, user: User, raw: str) -> bool:
    """Sign out one API client: revoke the presented token (the user's own)."""
    n = ApiToken.objects.filter(
        user=user, digest=_digest(raw or ""), revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if n:
        audit.record(actor=user, action="token.revoke", obj=user, note=_("退出登录，吊销接口令牌"))
    return bool(n)


@transaction.atomic
def sessions_end(*, actor, user: User) -> User:
    """Sign out everywhere: every API token revoked and every console session ended (the
    session epoch is part of the session hash). An administrator may do it to a user in scope."""
    if actor.pk != user.pk:
        user = scope.get_visible(
            User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    _tokens_revoke(user)
    user.session_epoch += 1
    user.save(update_fields=["session_epoch"])
    audit.record(actor=actor, action="user.sign_out_all", obj=user, note=_("退出所有设备"))
    return user


def _tokens_revoke(user: User) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# --- second factor -------------------------------------------------------------------------
def _totp_match(user: User, code: str) -> int | None:
    """The time step a code belongs to (this one or a neighbour), if it is right and newer
    than the last accepted one: a code is accepted once, even within its window."""
    code = (code or "").strip()
    if not user.totp_secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(crypto.decrypt(user.totp_secret))
    now = int(time.time()) // totp.interval
    last = user.totp_last_counter
    for counter in (now - 1, now, now + 1):
        if last is not None and counter <= last:
            continue
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _totp_allowed(user: User) -> bool:
    return user.kind in (UserKind.STAFF, UserKind.DEPARTMENT) or totp_required(user)


def totp_begin(*, user: User, password: str) -> str:
    """Start enrolment after the password: a new secret, not yet enabled. Returns the
    otpauth:// URI."""
    if not _totp_allowed(user):
        raise field_error("kind", _("仅工作人员账号可启用双因素认证"))
    if user.totp_enabled:
        raise field_error("code", _("双因素认证已启用，如需更换请先停用"))
    password_verify(user=user, password=password)
    with transaction.atomic():
        secret = pyotp.random_base32()
        user.totp_secret = crypto.encrypt(secret)
        user.totp_enabled = False
        user.save(update_fields=["totp_secret", "totp_enabled"])
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.username, issuer_name="党建引领基层治理平台"
    )


def totp_confirm(*, user: User, code: str, password: str) -> None:
    password_verify(user=user, password=password)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        counter = None if user.totp_enabled else _totp_match(user, code)
        if counter is None:
            raise field_error("code", _("动态验证码不正确"))
        user.totp_enabled = True
        user.totp_last_counter = counter
        user.save(update_fields=["totp_enabled", "totp_last_counter"])
        audit.record(actor=user, action="user.totp_enable", obj=user, note=_("启用双因素认证"))


def totp_disable(*, actor, user: User, password: str | None = None) -> None:
    """One's own second factor off (the password asked, failures counted), or an
    administrator's reset of a user in scope (who then enrols again)."""
    if actor.pk == user.pk:
        password_verify(user=user, password=password or "")
    with transaction.atomic():
        if actor.pk != user.pk:
            user = scope.get_visible(
                User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
            )
        user.totp_enabled = False
        user.totp_secret = ""
        user.save(update_fields=["totp_enabled", "totp_secret"])
        audit.record(actor=actor, action="user.totp_disable", obj=user, note=_("停用双因素认证"))


# --- passwords and locks ----------------------------------------------------------------
def user_change_password(*, actor, user: User, old_password: str | None, new_password: str) -> None:
    """A user changes their own password (the old one checked and its failures counted like
    the login's); an administrator in scope sets one, which the user must change at the next
    login. Either way every API token of the user dies, and so do the sessions signed in with
    the old password."""
    if actor.pk == user.pk:
        password_verify(user=user, password=old_password or "", field="old_password")
    with transaction.atomic():
        if actor.pk != user.pk:
            user = scope.get_visible(
                User, actor, "accounts.manage", view_action="accounts.view", pk=user.pk
            )
        _validate_password(new_password, user)
        if actor.pk == user.pk and user.check_password(new_password):
            raise field_error("password", _("新密码不能与原密码相同"))
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.must_change_password = actor.pk != user.pk
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        _tokens_revoke(user)
        audit.record(actor=actor, action="user.password", obj=user, note=_("修改密码"))


@transaction.atomic
def user_lock(*, actor, user: User) -> User:
    """An administrator's account-wide lock (the only one there is: failures never lock),
    until ``user_unlock``. Every token of the user is revoked and every session ends."""
    user = scope.get_visible(
        User.objects.select_for_update(),
        actor,
        "accounts.manage",
        view_action="accounts.view",
        pk=user.pk,
    )
    if actor is not None and actor.pk == user.pk:
        raise field_error("user", _("不能锁定本人的账号"))
    user.locked_until = timezone.now() + dt.timedelta(days=36500)
    user.session_epoch += 1
    user.save(update_fields=["locked_until", "session_epoch"])
    _tokens_revoke(user)
    audit.record(actor=actor, action="user.lock", obj=user, note=_("管理员锁定账号"))
    return user


@transaction.atomic
def user_unlock(*, actor, user: User) -> User:
    """Lift an administrator's lock and clear the failed-login counts of the account (from
    every address)."""
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
    cleared = throttle.forget_account(user.username)
    audit.record(
        actor=actor,
        action="user.unlock",
        obj=user,
        note=_("解除锁定，清除%(n)s个地址的失败计数") % {"n": cleared},
    )
    return user
