"""The API under /api/v1/: one NinjaAPI, routers from the apps, errors in Chinese."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dangjian.accounts.api import AUTH
from dangjian.accounts.api import router as accounts_router
from dangjian.cases.api import router as cases_router
from dangjian.cases.visit_api import router as visits_router
from dangjian.console.audit_api import router as audit_router
from dangjian.core.api import django_errors_to_chinese, ninja_errors_to_chinese
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden
from dangjian.development.api import router as development_router
from dangjian.dues.api import router as dues_router
from dangjian.members.api import router as members_router
from dangjian.members.api import stats_router as member_stats_router
from dangjian.members.api_sanctions import router as member_sanctions_router
from dangjian.members.committee_api import router as committee_router
from dangjian.organizations.api import router as orgs_router
from dangjian.orglife.api import router as orglife_router
from dangjian.territory.api import router as areas_router

api = NinjaAPI(
    title="党建引领基层治理平台 API",
    version="1",
    urls_namespace="api",
    auth=AUTH,
    docs_url="/docs",
)


@api.exception_handler(NinjaValidationError)
def _validation(request, exc):
    return api.create_response(request, ninja_errors_to_chinese(exc), status=422)


@api.exception_handler(DjangoValidationError)
def _django_validation(request, exc):
    return api.create_response(request, django_errors_to_chinese(exc), status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, {"detail": "未登录或登录已过期"}, status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, {"detail": "未找到"}, status=404)


@api.exception_handler(Forbidden)
def _forbidden(request, exc):
    return api.create_response(request, {"detail": exc.message}, status=403)


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return api.create_response(request, {"detail": "您没有执行此操作的权限"}, status=403)


@api.exception_handler(Conflict)
def _conflict(request, exc):
    return api.create_response(request, {"detail": exc.message}, status=409)


# The framework's own English answers, in Chinese: (status, detail).
_FRAMEWORK_ERRORS = {
    "Cannot parse request body": (422, "请求体不是有效的JSON"),
    "CSRF check Failed": (403, "安全校验失败，请刷新页面后重试"),
}


@api.exception_handler(HttpError)
def _http_error(request, exc):
    message = str(exc.message)
    for english, (status, chinese) in _FRAMEWORK_ERRORS.items():
        if message.startswith(english):
            return api.create_response(
                request, {"detail": chinese, "errors": {"__all__": [chinese]}}, status=status
            )
    return api.create_response(request, {"detail": message}, status=exc.status_code)


@api.get("/health", auth=None, tags=["系统"])
def health(request):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor}


api.add_router("", accounts_router)
api.add_router("/areas", areas_router)
api.add_router("/orgs", orgs_router)
api.add_router("/orgs", committee_router)
api.add_router("/members", members_router)
api.add_router("/members", member_sanctions_router)
api.add_router("/stats", member_stats_router)
api.add_router("/development", development_router)
api.add_router("/cases/visits", visits_router)
api.add_router("/cases", cases_router)
api.add_router("/orglife", orglife_router)
api.add_router("/dues", dues_router)
api.add_router("/audit", audit_router)
