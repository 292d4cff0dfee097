"""Console actions of login security that the users pages (issue 14) embed: unlock an account.

The users pages include ``accounts/_unlock_button.html`` with ``target`` (the user shown) and,
optionally, ``next`` (where to come back to); the button posts here.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.web.decorators import console_view


@console_view
@require_POST
def user_unlock(request, user_id: int):
    """Lift an administrator's lock and clear the account's failed-login counts; scoped like
    the service (out of reach: 404; visible but not ``accounts.manage``: 403)."""
    user = services.user_unlock(actor=request.user, user=User(pk=user_id))
    messages.success(request, f"已解除账号 {user.username} 的锁定并清除登录失败计数")
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(nxt)
    return redirect("console:home")
