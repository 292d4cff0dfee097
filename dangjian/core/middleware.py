from dangjian.core import context


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID", "")[:32] or context.new_request_id()
        addr = request.META.get("REMOTE_ADDR", "")
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
