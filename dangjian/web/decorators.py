"""The web kit's view wrapper, worn by every console and phone view: signed in, and ``Forbidden`` as a Chinese 403 page.

Residents and party members have no console pages: an account of those kinds that holds only
self-reach roles (``member``, ``resident``) is sent to its phone home (/m/) from any page of
the console's URL namespace (the mobile pages under /m/ wear the same wrapper and stay open).
An account of those kinds that also holds an area, organization or department grant works in
the console like staff. The account page (password, second factor) stays open to everyone.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from dangjian.core.scope import Forbidden

# Console pages every signed-in account keeps: its own password and second factor.
OPEN_TO_ALL = frozenset({"console:account"})


def forbidden_page(request, message: str = "您没有执行此操作的权限"):
    return render(request, "console/403.html", {"message": message}, status=403)


def phone_only(user) -> bool:
    """Whether ``user`` works from the phone only (the accounts user model answers it: the web
    kit knows no app)."""
    return bool(getattr(user, "phone_only", False))


def _console_page(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(
        match is not None
        and match.namespaces[:1] == ["console"]
        and match.view_name not in OPEN_TO_ALL
    )


def console_view(view):
    """``login_required`` plus: ``scope.Forbidden`` → 403 page; an htmx request from a session
    that has expired sends the whole page to the login form instead of swapping it in."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if _console_page(request) and phone_only(request.user):
            home = reverse("portal:home")
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(home)
            return redirect(home)
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
