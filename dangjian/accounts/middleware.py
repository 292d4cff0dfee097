"""What a signed-in session must do before anything else (login security, issue 14).

An account with ``must_change_password`` (a one-time password set by an administrator, or the
demo password used outside demo mode) and a session signed in by an account that can grant
roles but has no second factor (``SESSION_TOTP_PENDING``, set by the console's login) reach
only the account page, the sign-out and the static files: a console page redirects to the
account page, an API call by session answers 403 saying what to do first.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from dangjian.accounts.services.login import OBLIGATION_MESSAGES as MESSAGES

SESSION_TOTP_PENDING = "login_totp_pending"
API_OPEN = ("/api/v1/auth/token", "/api/v1/auth/logout", "/api/v1/auth/logout-all", "/api/v1/me")


def pending(request) -> str | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if getattr(user, "must_change_password", False):
        return "password"
    if request.session.get(SESSION_TOTP_PENDING):
        return "totp"
    return None


class LoginObligationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        what = pending(request)
        if what is None:
            return self.get_response(request)
        account = reverse("console:account")
        open_paths = (account, reverse("console:logout"), reverse("console:login"))
        path = request.path_info
        if (
            path in open_paths
            or path in API_OPEN
            or path.startswith((account, settings.STATIC_URL))
        ):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse({"detail": MESSAGES[what]}, status=403)
        if request.headers.get("HX-Request"):
            response = HttpResponseRedirect(account)
            response["HX-Redirect"] = account
            return response
        return HttpResponseRedirect(account)
