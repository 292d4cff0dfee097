from dangjian.core import context
from dangjian.core.conf import setting


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy (settings
    ``TRUSTED_PROXIES``, e.g. the nginx in front), the last X-Forwarded-For entry it added.
    Audit rows and the failed-login throttle read it."""
    addr = request.META.get("REMOTE_ADDR", "")
    if addr and addr in setting("TRUSTED_PROXIES", ()):
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            addr = forwarded
    return addr[:64]


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID", "")[:32] or context.new_request_id()
        addr = client_address(request)
        t1 = context.request_id.set(rid)
        t2 = context.remote_addr.set(addr)
        request.request_id = rid
        try:
            response = self.get_response(request)
        finally:
            context.request_id.reset(t1)
            context.remote_addr.reset(t2)
        response["X-Request-ID"] = rid
        return response
