"""The wrapper every console view wears: signed in, and ``Forbidden`` as a Chinese 403 page."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from dangjian.core.scope import Forbidden


def forbidden_page(request, message: str = "您没有执行此操作的权限"):
    return render(request, "console/403.html", {"message": message}, status=403)


def console_view(view):
    """``login_required`` plus: ``scope.Forbidden`` → 403 page; an htmx request from a session
    that has expired sends the whole page to the login form instead of swapping it in."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            return forbidden_page(request, exc.message)

    inner = login_required(guarded)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if getattr(request, "htmx", False) and not request.user.is_authenticated:
            current = request.htmx.current_url_abs_path or "/"
            return HttpResponseClientRedirect(
                f"{settings.LOGIN_URL}?{urlencode({'next': current})}"
            )
        return inner(request, *args, **kwargs)

    return wrapped
