"""The request's facts for the audit trail (its id, the client's address) and the headers
every answer carries."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from dangjian.core import context
from dangjian.core.conf import setting

# A client may name its request (to find it in our logs later), but only with a short token:
# anything else is replaced, so a header cannot smuggle text into audit rows and logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")

# Browser features no page of ours uses: refused to any script that would.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(self), display-capture=(), geolocation=(self), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "interest-cohort=()"
)


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(s.strip(), strict=False) for s in spec if s.strip())


def _trusted(addr: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(meta) -> str:
    """The client's address: ``REMOTE_ADDR``, unless that is a trusted proxy
    (``DANGJIAN["TRUSTED_PROXIES"]``), in which case the nearest address in
    ``X-Forwarded-For`` that is not itself a trusted proxy. Without trusted proxies the header
    is ignored: anyone can send it."""
    addr = meta.get("REMOTE_ADDR", "") or ""
    trusted: tuple[str, ...] = tuple(setting("TRUSTED_PROXIES", ()) or ())
    networks = _networks(trusted)
    if not networks or not _trusted(addr, networks):
        return addr[:64]
    hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return addr[:64]  # a garbled header: keep what we know
        if not _trusted(hop, networks):
            return hop[:64]
    return (hops[0] if hops else addr)[:64]


def max_request_bytes() -> int:
    """The largest request body accepted: the largest upload plus room for a form around it."""
    from dangjian.core.files import max_bytes

    return max_bytes() + 1024 * 1024


def _too_large(request):
    from django.http import HttpResponse, JsonResponse

    limit_mb = max_request_bytes() // (1024 * 1024)
    message = f"请求内容过大：不能超过{limit_mb}MB"
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": message, "code": "request_too_large"},
            status=413,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Connection"] = "close"
    return response


class BodySizeLimitMiddleware:
    """Refuses a body over ``max_request_bytes`` from its declared length, before anything reads
    it (the CSRF check, a form, an upload handler). ``dangjian serve`` refuses it earlier still;
    this holds behind any other server."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Without a body (most requests) there is no limit to read from the settings.
        if length > 0 and length > max_request_bytes():
            return _too_large(request)
        return self.get_response(request)


NOT_AN_OBJECT = "请求体必须是JSON对象"
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class JsonObjectBodyMiddleware:
    """Every JSON body the API takes is an object: an array, a number, a string, ``true`` or
    ``null`` sent to any write of ``/api/`` is refused with 422 before a route runs, whether
    the route reads a body or not (Ninja read ``[null, null]`` as no fields at all, so a route
    with only optional fields ran with its defaults, and a route without a body ignored it).
    Broken JSON is left to the route, which names it ("请求体不是有效的JSON")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in _WRITES
            and request.path.startswith("/api/")
            and request.content_type == "application/json"
        ):
            import json

            raw = request.body
            if raw.strip():
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = {}
                if not isinstance(data, dict):
                    from django.http import JsonResponse

                    return JsonResponse(
                        {"detail": NOT_AN_OBJECT, "errors": {"__all__": [NOT_AN_OBJECT]}},
                        status=422,
                        json_dumps_params={"ensure_ascii": False},
                    )
        return self.get_response(request)


class QueryNulMiddleware:
    """A NUL byte (``%00``) is taken out of every query parameter before any view reads it:
    no stored value holds one, and PostgreSQL refuses it in a string, so each filter that
    passed one on was a 500 (the audit list, the registrations, the trees' search: found by
    the deep fuzz one route at a time). The query string is looked at only when it holds one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = request.GET.copy()
            for key in list(cleaned):
                cleaned.setlist(key, [v.replace("\x00", "") for v in cleaned.getlist(key)])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        rid = sent if _REQUEST_ID.fullmatch(sent) else context.new_request_id()
        addr = client_address(request.META)
        t1 = context.request_id.set(rid)
        t2 = context.remote_addr.set(addr)
        request.request_id = rid
        request.client_addr = addr
        try:
            response = self.get_response(request)
        finally:
            context.request_id.reset(t1)
            context.remote_addr.reset(t2)
        response["X-Request-ID"] = rid
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class TimeZoneMiddleware:
    """The deployment's time zone (``TIME_ZONE``) made the active one for the request, as
    ``LocaleMiddleware`` does for the language. Every time shown is the same (the active zone
    was the default one already); a request's lookups of the current zone (``localtime``, the
    API's formatters) now find it instead of each raising and catching an ``AttributeError``
    inside Django's lookup when no zone is active."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No zone is active between requests (nothing else activates one): set and unset
        # without asking for the one before, which would be the failing lookup itself.
        timezone.activate(timezone.get_default_timezone())
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, except that a request marked passive (the badges a page
    fetches after it has loaded) neither writes the session nor extends its idle time: a page
    left open must not keep a session alive, and the background fetch must not compete with the
    person's own next request for the database's write lock."""

    def process_response(self, request, response):
        if getattr(request, "passive_session", False):
            patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


def passive_session(view):
    """Mark a view's requests passive for ``SessionMiddleware``."""
    from functools import wraps

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.passive_session = True
        return view(request, *args, **kwargs)

    return wrapped
