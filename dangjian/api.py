"""The API under /api/v1/: one NinjaAPI, routers from the apps, errors in Chinese."""

from csp.decorators import csp_update
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from dangjian.accounts.api import AUTH
from dangjian.accounts.api import router as accounts_router
from dangjian.accounts.api_departments import router as accounts_departments_router
from dangjian.accounts.api_people import grants_router as accounts_grants_router
from dangjian.accounts.api_people import router as accounts_users_router
from dangjian.accounts.api_registration import invitations_router as accounts_invitations_router
from dangjian.accounts.api_registration import router as accounts_registrations_router
from dangjian.assessment.api import router as assessment_router
from dangjian.cadres import api as cadres_api
from dangjian.cadres import api_elections as election_comparison_api
from dangjian.cases.api import router as cases_router
from dangjian.cases.batch_api import router as cases_batch_router
from dangjian.cases.visits.api import router as visits_router
from dangjian.console.audit_api import router as audit_router
from dangjian.core import inbox_api, refusals
from dangjian.core.api import (
    ERROR_DESCRIPTIONS,
    ValidationErrorOut,
    django_errors_to_chinese,
    ninja_errors_to_chinese,
)
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden
from dangjian.dashboard.api import map as map_api
from dangjian.dashboard.api import reports as reports_api
from dangjian.dashboard.api.dashboard import router as dashboard_router
from dangjian.development.api import router as development_router
from dangjian.dues.api import router as dues_router
from dangjian.dues.batch_api import router as dues_batch_router
from dangjian.members.api import account_link as member_account_link_api
from dangjian.members.api import checkin as member_checkin_api
from dangjian.members.api import committee as committee_api
from dangjian.members.api import elections as elections_api
from dangjian.members.api import imports as member_imports_api
from dangjian.members.api import mobile as member_mobile_api
from dangjian.members.api import registry as member_registry_api
from dangjian.members.api import sanctions as member_sanctions_api
from dangjian.members.api import stats as member_stats_api
from dangjian.members.api import transfers as member_transfers_api
from dangjian.members.api import unit_roles as member_unit_roles_api
from dangjian.organizations.api import router as orgs_router
from dangjian.orglife.api import router as orglife_router
from dangjian.points.api import router as points_router
from dangjian.territory.api import router as areas_router
from dangjian.territory.imports import api as area_imports_api
from dangjian.timebank.api import router as timebank_router
from dangjian.timebank.import_api import router as timebank_imports_router

# Issue 13 split the member API by subdomain and moved the cadres and the household visits:
# their operationIds stay the ones the clients know (``dangjian_members_api_<view>``,
# ``dangjian_cases_visit_api_<view>``).
_OPERATION_MODULES = {
    "dangjian.members.api." + name: "dangjian.members.api"
    for name in (
        "registry",
        "transfers",
        "checkin",
        "mobile",
        "imports",
        "stats",
        "cadres",
        "unit_roles",
    )
}
_OPERATION_MODULES["dangjian.cadres.api"] = "dangjian.members.api"
_OPERATION_MODULES["dangjian.cases.visits.api"] = "dangjian.cases.visit_api"
_OPERATION_MODULES["dangjian.members.api.sanctions"] = "dangjian.members.api_sanctions"
_OPERATION_MODULES["dangjian.members.api.committee"] = "dangjian.members.committee_api"


class _API(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        module = operation.view_func.__module__
        module = _OPERATION_MODULES.get(module, module)
        op_id = f"{module}_{operation.view_func.__name__}".replace(".", "_")
        _VIEWS[op_id] = operation.view_func
        return op_id

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The document, with the uploaded ``file`` of every multipart body marked required.

        The upload routes take ``file`` with a default of None so that the route itself answers
        a missing file in its own words (422 "请上传文件" on the field); the document must still
        say that a request without one is not valid (a schema-valid request is one the route
        can accept)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _describe_errors(schema)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                content = (operation.get("requestBody") or {}).get("content", {})
                form = content.get("multipart/form-data", {}).get("schema", {})
                if "file" in form.get("properties", {}):
                    required = form.setdefault("required", [])
                    if "file" not in required:
                        required.append("file")
        return schema


_WRITES = ("post", "put", "patch", "delete")
_VALIDATION_REF = "#/components/schemas/ValidationErrorOut"
_ERROR_REF = "#/components/schemas/ErrorOut"
# Each operation's view function, by operationId (``_API.get_openapi_operation_id``).
_VIEWS: dict = {}


def _describe_errors(schema: dict) -> None:
    """Every error answer of the document with its meaning in Chinese (``ERROR_DESCRIPTIONS``)
    and its body: a 422 is ``ValidationErrorOut`` (the per-field ``errors`` always there), the
    others ``ErrorOut``. Every write route declares 422: a JSON body that is not an object is
    refused on any of them before the route runs (``core.middleware``)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ValidationErrorOut" not in components:
        components["ValidationErrorOut"] = ValidationErrorOut.json_schema()
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            # The framework's keys are integers; the served document's are strings.
            responses = {
                str(code): answer for code, answer in operation.get("responses", {}).items()
            }
            operation["responses"] = responses
            if method in _WRITES and "422" not in responses:
                responses["422"] = {}
            found = ()
            if method in _WRITES and operation.get("operationId") in _VIEWS:
                found = refusals.route_refusals(_VIEWS[operation["operationId"]])
            if any(r.status == 409 for r in found) and "409" not in responses:
                responses["409"] = {
                    "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}}
                }
            for code, answer in responses.items():
                if code not in ERROR_DESCRIPTIONS:
                    continue
                answer["description"] = ERROR_DESCRIPTIONS[code]
                if code == "422":
                    answer["content"] = {"application/json": {"schema": {"$ref": _VALIDATION_REF}}}
                _list_refusals(answer, [r for r in found if str(r.status) == code])


def _list_refusals(answer: dict, found: list) -> None:
    """The business refusals of one route under its 409 or 422 (``core.refusals``): in the
    description for people, as ``x-refusals`` (field and message) for programs."""
    if not found:
        return
    lines = [
        f"- {r.message}" if r.field == refusals.ALL else f"- `{r.field}`：{r.message}"
        for r in found
    ]
    answer["description"] += (
        f"\n\n本接口按业务规则拒绝的情形（{refusals.HOLE}为随情况填入的内容）：\n"
        + "\n".join(lines)
    )
    answer["x-refusals"] = [r.as_dict() for r in found]


def _docs_need_login(view):
    """In production the API documentation and the OpenAPI document are for logged-in users
    (a console session or a bearer token); the demo shows them to anyone."""
    from functools import wraps

    from django.conf import settings
    from django.contrib.auth.views import redirect_to_login
    from django.http import JsonResponse

    from dangjian.accounts.api import BearerAuth

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if settings.DANGJIAN_ENV != "production":
            return view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return view(request, *args, **kwargs)
        if BearerAuth()(request) is not None:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse({"detail": "未登录或登录已过期"}, status=401)
        return redirect_to_login(request.get_full_path())

    # Swagger UI starts with an inline script and style: allowed on this page alone.
    return csp_update({"script-src": ["'unsafe-inline'"], "style-src-elem": ["'unsafe-inline'"]})(
        guarded
    )


api = _API(
    title="党建引领基层治理平台 API",
    version="1",
    urls_namespace="api",
    auth=AUTH,
    docs_url="/docs",
    docs_decorator=_docs_need_login,
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
api.add_router("/areas", area_imports_api.router)
api.add_router("/orgs", orgs_router)
api.add_router("/orgs", committee_api.router)
api.add_router("/elections", elections_api.router)
api.add_router("/orgs", election_comparison_api.org_router)
api.add_router("/elections", election_comparison_api.router)
for _members_api in (
    member_registry_api,
    member_transfers_api,
    member_checkin_api,
    member_mobile_api,
    member_imports_api,
    cadres_api,
    member_unit_roles_api,
    member_sanctions_api,
):
    api.add_router("/members", _members_api.router)
api.add_router("/stats", member_stats_api.stats_router)
api.add_router("/stats", cadres_api.stats_router)
api.add_router("/development", development_router)
api.add_router("/cases/visits", visits_router)
api.add_router("/cases", cases_router)
api.add_router("/cases", cases_batch_router)
api.add_router("/orglife", orglife_router)
api.add_router("/dues", dues_router)
api.add_router("/dues", dues_batch_router)
api.add_router("/timebank", timebank_router)
api.add_router("/timebank", timebank_imports_router)
api.add_router("/dashboard", dashboard_router)
api.add_router("/map", map_api.router)
api.add_router("/reports", reports_api.router)
api.add_router("/audit", audit_router)
# --- people and their reach (issue 14) ---
api.add_router("/users", accounts_users_router)
api.add_router("/grants", accounts_grants_router)
api.add_router("/departments", accounts_departments_router)
api.add_router("/registrations", accounts_registrations_router)
api.add_router("/invitations", accounts_invitations_router)
api.add_router("/users", member_account_link_api.router)
# --- one's own to-dos and notifications (issue 18) ---
api.add_router("/todos", inbox_api.todos_router)
api.add_router("/notifications", inbox_api.notifications_router)
api.add_router("/points", points_router)
api.add_router("/assessment", assessment_router)
