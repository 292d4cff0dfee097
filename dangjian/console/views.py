"""Sign-in and where one lands after it, account security and the error pages (the home
page is ``inbox_views.home``)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pyotp
import segno
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import services as accounts
from dangjian.accounts.middleware import SESSION_TOTP_PENDING
from dangjian.accounts.middleware import pending as pending_obligation
from dangjian.accounts.models import UserKind
from dangjian.accounts.services.login import OBLIGATION_MESSAGES
from dangjian.console.context import SITE_TITLE
from dangjian.console.forms import (
    LoginForm,
    PasswordChangeForm,
    TotpBeginForm,
    TotpConfirmForm,
    TotpDisableForm,
)
from dangjian.core import crypto
from dangjian.web.decorators import console_view, forbidden_page

BACKEND = "dangjian.accounts.backends.LockoutBackend"


def _safe_next(request) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return "/"


@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request):
    nxt = _safe_next(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(nxt)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend=BACKEND)
        if not form.user.totp_enabled and accounts.totp_required(form.user):
            request.session[SESSION_TOTP_PENDING] = True
        if pending_obligation(request):
            # Nothing but the account page until it is done (accounts.middleware); then on to
            # where the user was going.
            request.session[SESSION_NEXT] = nxt if nxt != "/" else landing(form.user)
            return redirect("console:account")
        return redirect(nxt if nxt != "/" else landing(form.user))
    return render(request, "console/login.html", {"form": form, "next": nxt})


@require_POST
def logout_view(request):
    """Signing out ends this session (its row is deleted); other sessions and tokens live on
    ("退出所有设备" on the account page ends them all)."""
    logout(request)
    return redirect("console:login")


# Roles whose work is done on the phone: an account holding no other lands on its phone home.
PHONE_ROLES = frozenset({"grid_worker", "member", "resident"})


def landing(user) -> str:
    """Where a person lands after signing in: members, residents and grid workers on the phone
    pages (which link to the console where they hold a staff role), staff on the console
    home."""
    from django.urls import reverse

    from dangjian.web.decorators import phone_only

    if phone_only(user):
        return reverse("portal:home")
    roles = set(user.grants.values_list("role__code", flat=True))
    if roles and roles <= PHONE_ROLES:
        return reverse("portal:home")
    return "/"


# --- account security ----------------------------------------------------------------------


def _pending_totp(user) -> dict | None:
    """The enrolment in progress (a secret set, not yet confirmed): its URI, key and QR code."""
    if user.totp_enabled or not user.totp_secret:
        return None
    secret = crypto.decrypt(user.totp_secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=SITE_TITLE)
    return _totp_display(uri)


def _totp_display(uri: str) -> dict:
    secret = parse_qs(urlparse(uri).query).get("secret", [""])[0]
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, dark="#1f1f1f", light="#ffffff", border=2)
    return {
        "uri": uri,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        # segno builds the SVG from our own URI: nothing user-typed goes into it.
        "qr_svg": mark_safe(svg),
    }


SESSION_NEXT = "login_next"


def _done(request):
    """Back to the account page, or, when that settled the last obligation of a fresh login,
    on to where the user was going."""
    if pending_obligation(request) is None and SESSION_NEXT in request.session:
        return redirect(request.session.pop(SESSION_NEXT))
    return redirect("console:account")


def _account_post(request, op: str, forms_: dict):
    """One account-page action; returns a response when it is done, else None (the page is
    shown again with the bound form's errors)."""
    user = request.user
    if op == "password":
        form = forms_["password_form"] = PasswordChangeForm(request.POST, prefix="pw")
        if form.is_valid():
            try:
                accounts.user_change_password(
                    actor=user,
                    user=user,
                    old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                user.refresh_from_db()
                update_session_auth_hash(request, user)
                messages.success(request, "密码已修改")
                return _done(request)
    elif op == "totp_begin" and user.totp_enabled:
        # Starting over would switch the second factor off: it is disabled first (password).
        messages.error(request, "双因素认证已启用；如需更换，请先停用")
        return redirect("console:account")
    elif op == "totp_begin":
        form = forms_["begin_form"] = TotpBeginForm(request.POST, prefix="on")
        if form.is_valid():
            try:
                accounts.totp_begin(user=user, password=form.cleaned_data["password"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("console:account")
    elif op == "totp_confirm":
        form = forms_["confirm_form"] = TotpConfirmForm(request.POST, prefix="totp")
        if form.is_valid():
            try:
                accounts.totp_confirm(
                    user=user,
                    code=form.cleaned_data["code"].strip(),
                    password=form.cleaned_data["password"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                request.session.pop(SESSION_TOTP_PENDING, None)
                messages.success(request, "双因素认证已启用，今后登录须输入动态验证码")
                return _done(request)
    elif op == "totp_disable":
        form = forms_["disable_form"] = TotpDisableForm(request.POST, prefix="off")
        if form.is_valid():
            try:
                accounts.totp_disable(actor=user, user=user, password=form.cleaned_data["password"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if accounts.totp_required(user):
                    request.session[SESSION_TOTP_PENDING] = True
                messages.success(request, "双因素认证已停用")
                return redirect("console:account")
    elif op == "sign_out_all":
        accounts.sessions_end(actor=user, user=user)
        logout(request)
        messages.success(request, "已退出所有设备，接口令牌已全部吊销")
        return redirect("console:login")
    else:
        return forbidden_page(request, "不支持的操作")
    return None


@console_view
@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    forms_ = {
        "password_form": PasswordChangeForm(prefix="pw"),
        "begin_form": TotpBeginForm(prefix="on"),
        "confirm_form": TotpConfirmForm(prefix="totp"),
        "disable_form": TotpDisableForm(prefix="off"),
    }
    if request.method == "POST":
        response = _account_post(request, request.POST.get("op") or "", forms_)
        if response is not None:
            return response
    user.refresh_from_db(fields=["totp_secret", "totp_enabled", "must_change_password"])
    ctx = {
        **forms_,
        "totp_allowed": user.kind in (UserKind.STAFF, UserKind.DEPARTMENT)
        or accounts.totp_required(user),
        "totp_required": accounts.totp_required(user),
        "totp_pending": _pending_totp(user),
        "obligation": pending_obligation(request),
        "obligation_message": OBLIGATION_MESSAGES.get(pending_obligation(request) or "", ""),
    }
    return render(request, "console/account.html", ctx)


# --- error pages ---------------------------------------------------------------------------


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def error_403(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "您没有执行此操作的权限"}, status=403)
    message = getattr(exception, "message", None) or "您没有执行此操作的权限"
    return forbidden_page(request, message)


def error_404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "未找到"}, status=404)
    return render(request, "console/404.html", {}, status=404)


def error_500(request):
    # No request context here: the database or a context processor may be what failed.
    if _wants_json(request):
        return JsonResponse({"detail": "服务器内部错误，请稍后再试"}, status=500)
    return HttpResponseServerError(loader.get_template("console/500.html").render({}))
