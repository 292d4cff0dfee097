from django.contrib.auth import logout as django_logout
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from dangjian.accounts import services
from dangjian.accounts.models import Grant, User
from dangjian.accounts.services.login import OBLIGATION_MESSAGES
from dangjian.core.api import ErrorOut, Schema


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = services.token_user(token)
        if user is not None:
            request.user = user
            request.bearer_token = token  # POST /auth/logout revokes exactly this one
        return user


class ActiveSessionAuth(SessionAuth):
    def _get_key(self, request):
        # No logged-in session: nothing a forged request could ride on, so no CSRF check; the
        # answer is 401 (not a 403 "CSRF check Failed" for a caller who is simply not logged in).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and (not user.is_active or user.is_locked):
            return None
        return user


AUTH = [BearerAuth(), ActiveSessionAuth()]

router = Router(tags=["账号"])


class TokenIn(Schema):
    username: str
    password: str
    otp: str | None = None


class TokenOut(Schema):
    token: str
    expires_at: str


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
)
def issue_token(request, data: TokenIn):
    """A bearer token for a right name and password (and code). 401 "用户名或密码错误" for a
    wrong one, an unknown or locked account and an attempt during a throttle wait alike; 403
    when the account must first change its password or enrol a second factor in the console
    (no token is issued, not even a restricted one)."""
    try:
        user = services.login_check(
            username=data.username[:150], password=data.password[:256], otp=data.otp
        )
    except services.LoginRefused as exc:
        raise HttpError(401, exc.message) from exc
    if user is None:
        raise HttpError(401, _("用户名或密码错误"))
    obligation = services.login_obligation(user)
    if obligation:
        raise HttpError(
            403,
            _("%(what)s，请先登录管理后台在“账号安全”页办理")
            % {"what": OBLIGATION_MESSAGES[obligation]},
        )
    raw, token = services.token_issue(user=user)
    return {"token": raw, "expires_at": token.expires_at.astimezone().isoformat()}


class SignedOutOut(Schema):
    detail: str


@router.post("/auth/logout", response={200: SignedOutOut, 401: ErrorOut})
def logout(request):
    """Sign this client out: the presented bearer token is revoked (only it); by session, the
    session ends."""
    raw = getattr(request, "bearer_token", None)
    if raw:
        services.token_revoke(user=request.auth, raw=raw)
    else:
        django_logout(request)
    return {"detail": _("已退出登录")}


@router.post("/auth/logout-all", response={200: SignedOutOut, 401: ErrorOut})
def logout_all(request):
    """Sign out everywhere: every token of the user revoked, every console session ended."""
    services.sessions_end(actor=request.auth, user=request.auth)
    if not getattr(request, "bearer_token", None):
        django_logout(request)
    return {"detail": _("已退出所有设备")}


class GrantOut(Schema):
    role: str
    role_label: str
    node_type: str | None
    node_id: int | None
    node_name: str | None


class MeOut(Schema):
    id: int
    username: str
    real_name: str
    kind: str
    kind_label: str
    area_id: int | None
    department_id: int | None
    totp_enabled: bool
    grants: list[GrantOut]


def me_out(user) -> dict:
    grants = []
    for g in Grant.objects.filter(user=user).select_related("role", "area", "org", "department"):
        node_type, node = (
            ("area", g.area)
            if g.area_id
            else ("org", g.org)
            if g.org_id
            else ("department", g.department)
            if g.department_id
            else (None, None)
        )
        grants.append(
            {
                "role": g.role.code,
                "role_label": g.role.name,
                "node_type": node_type,
                "node_id": node.pk if node else None,
                "node_name": node.name if node else None,
            }
        )
    return {
        "id": user.pk,
        "username": user.username,
        "real_name": user.real_name,
        "kind": user.kind,
        "kind_label": user.get_kind_display(),
        "area_id": user.area_id,
        "department_id": user.department_id,
        "totp_enabled": user.totp_enabled,
        "grants": grants,
    }


@router.get("/me", response={200: MeOut, 401: ErrorOut})
def me(request):
    return me_out(request.auth)


# --- login security: account lock and unlock (issue 14; the users pages are built beside it)
class UnlockOut(Schema):
    id: int
    username: str
    locked: bool


@router.post(
    "/users/{user_id}/unlock",
    response={200: UnlockOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def user_unlock(request, user_id: int):
    """Lift an administrator's lock and clear the account's failed-login counts (every
    address). Needs ``accounts.manage`` over the user; a user out of reach is 404."""
    user = services.user_unlock(actor=request.auth, user=User(pk=user_id))
    return {"id": user.pk, "username": user.username, "locked": user.is_locked}


@router.post(
    "/users/{user_id}/lock",
    response={200: UnlockOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def user_lock(request, user_id: int):
    """An administrator's lock of the whole account until unlocked: its tokens are revoked and
    its sessions end. Needs ``accounts.manage`` over the user; not oneself (422)."""
    user = services.user_lock(actor=request.auth, user=User(pk=user_id))
    return {"id": user.pk, "username": user.username, "locked": user.is_locked}
