"""When the database is restarting, refuses connections or stays locked past the wait, the
answer is 503 with a Chinese message and a retry hint, never a 500 (issue 19). Every service
write is one transaction, so a request cut off by the database leaves no half-written row."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "系统繁忙或数据库暂时不可用，请稍后重试"

# What the drivers say when the database itself is away or busy. Anything else an
# OperationalError carries (a bad query) is a bug and stays a 500 with its traceback logged.
_SIGNS = (
    "database is locked",  # SQLite: another writer held the lock past the busy timeout
    "database table is locked",
    "unable to open database",
    "disk i/o error",
    "could not connect",
    "connection refused",
    "connection timed out",
    "server closed the connection",
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "connection already closed",
    "connection is closed",
    "no connection to the server",
    "ssl syscall error",
    "too many clients",
    "consuming input failed",
)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return any(sign in text for sign in _SIGNS)


def response_for(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": MESSAGE, "code": "service_unavailable", "retry_after": RETRY_AFTER_SECONDS},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>请稍后重试</title>"
            f"<p>{MESSAGE}（约{RETRY_AFTER_SECONDS}秒后刷新本页）。</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._answer(request, exc)

    def process_exception(self, request, exc):
        if is_unavailable(exc):
            return self._answer(request, exc)
        return None

    def _answer(self, request, exc):
        if not is_unavailable(exc):
            raise exc
        # Django's request_finished closes a connection left unusable; nothing to do here.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
        return response_for(request)
