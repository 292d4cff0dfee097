"""API plumbing every router shares: pagination, errors in Chinese."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.utils import timezone
from ninja import Field
from ninja import Schema as NinjaSchema  # noqa: TID251 - the one place
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ValidationInfo, model_validator

from dangjian.core.ids import pk_or_404

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


# Off: every dict goes Ninja's way (the tests compare the two answers byte for byte).
DICT_FAST_PATH = True
# The values Ninja's getter hands on unchanged (it calls a callable, lists a queryset or a
# manager, turns a file into its URL); a list's items are each validated by their own schema.
# (A str of a TextChoices, or a date, is plain too; a lazy translation is not, nor a generator.)
_PLAIN = (str, int, float, type(None), list, tuple, dict, dt.date, dt.time, Decimal)


class Schema(NinjaSchema):
    """Ninja's schema, validating a plain dict as pydantic does (in its compiled core).

    Ninja wraps whatever it validates, a dict included, in a ``DjangoGetter`` that reads each
    field through Python: for the dicts our serializers build, about 1.5 ms per page of twenty
    events, a sixth of a list's CPU. A ``dict`` of plain values (``_PLAIN``: the getter would
    hand each on unchanged) of a schema without resolvers is handed to pydantic as it is, so
    the result and the errors are the same; any other value sends it Ninja's way. A validator
    does not change a schema: the OpenAPI document is the same. Every schema of the project
    derives from this one (ruff's TID251 refuses ``ninja.Schema`` elsewhere)."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: Any, info: ValidationInfo) -> Any:
        if (
            DICT_FAST_PATH
            and type(values) is dict
            and not cls._ninja_resolvers
            and all(isinstance(v, _PLAIN) for v in values.values())
        ):
            return handler(values)
        return NinjaSchema._run_root_validator.__func__(cls, values, handler, info)  # type: ignore[attr-defined]


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


class ValidationErrorOut(Schema):
    """A 422: the request was refused on its input. ``errors`` names each field (a dotted path
    for a nested one, ``__all__`` for the request as a whole) with its Chinese messages."""

    detail: str = Field(description="总的说明（中文）")
    errors: dict[str, list[str]] = Field(
        description="按字段列出的中文消息；嵌套字段以点号连接，__all__ 为整个请求的错误"
    )


class AllowedActionOut(Schema):
    """One action the caller may take now (``core.workflow.allowed_actions``)."""

    action: str
    label: str


class RevealIn(Schema):
    """Why a whole personal-data value is looked at (``core.pii.PURPOSES``)."""

    field: str
    purpose: str
    reason: str


REVEAL_BY_POST = "查看完整信息须用POST提交，并说明用途（purpose）和理由（reason）"


def no_store(response) -> None:
    """A personal-data answer is kept by no cache, the browser's included."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"


class PageParams(Schema):
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _int_param(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DjangoValidationError({name: ["必须是整数"]}) from None
    return value


class Pageable(Protocol):
    """A QuerySet, or anything that counts and slices like one."""

    def count(self) -> int: ...

    def __getitem__(self, key: slice) -> Any: ...


def paginate(request, qs: QuerySet | Pageable, serialize) -> dict[str, Any]:
    """``{"items": [...], "count": total}`` for ``?page=N&page_size=M``."""
    page = _int_param(request, "page", 1)
    size = _int_param(request, "page_size", DEFAULT_PAGE_SIZE)
    if page < 1:
        raise DjangoValidationError({"page": ["页码必须大于等于1"]})
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise DjangoValidationError({"page_size": [f"每页条数必须在1到{MAX_PAGE_SIZE}之间"]})
    count = qs.count()
    start = (page - 1) * size
    rows = list(qs[start : start + size]) if start < count else []
    return {"items": [serialize(r) for r in rows], "count": count}


# Pydantic error types → Chinese.
_MESSAGES = {
    "missing": "此项为必填项",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "float_parsing": "必须是数字",
    "decimal_parsing": "必须是数字",
    "bool_parsing": "必须是布尔值",
    "string_type": "必须是文本",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "date_parsing": "日期格式应为YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD",
    "datetime_parsing": "时间格式应为ISO 8601",
    "datetime_from_date_parsing": "时间格式应为ISO 8601",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than": "数值太大",
    "less_than_equal": "数值太大",
    "json_invalid": "请求体不是有效的JSON",
    "model_attributes_type": "请求体格式不正确",
    "model_type": "请求体格式不正确",
    "dict_type": "必须是对象",
    "list_type": "必须是列表",
    "extra_forbidden": "不允许的字段",
    "value_error": "取值无效",
}


def ninja_errors_to_chinese(exc: NinjaValidationError) -> dict:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [
            str(p)
            for p in err.get("loc", [])
            if p not in ("body", "query", "path", "payload", "form")
        ]
        # Ninja nests a body under the parameter name: drop it when it is the schema's name.
        if len(loc) > 1 and loc[0] in ("data", "body", "payload", "filters", "params"):
            loc = loc[1:]
        key = ".".join(loc) or "__all__"
        kind = err.get("type", "")
        # A bounded date (``core.apidates``) carries its own Chinese message.
        message = err.get("msg", "") if kind == "date_range" else _MESSAGES.get(kind, "取值无效")
        errors.setdefault(key, []).append(message)
    return {"detail": "输入有误，请检查标出的字段", "errors": errors}


def django_errors_to_chinese(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        first = next(iter(errors.values()))[0] if errors else "输入有误"
        return {"detail": first, "errors": errors}
    messages = [str(m) for m in exc.messages]
    return {"detail": messages[0] if messages else "输入有误", "errors": {"__all__": messages}}


# The error bodies every scoped route may answer with, for the OpenAPI document (whose 4xx
# answers ``dangjian.api`` completes and describes: ``ERROR_DESCRIPTIONS``).
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut}

# What each error status means, as the OpenAPI document tells API users (DESIGN.md "API
# conventions"): every error body is JSON with a Chinese ``detail``.
ERROR_DESCRIPTIONS = {
    "400": "请求无法处理",
    "401": "未登录或登录已过期",
    "403": "能看到此对象，但无权执行此操作",
    "404": "对象不存在或不在您的查看范围内",
    "405": "请求方法不被允许（如查看完整信息须用POST）",
    "409": "对象当前的状态不允许此操作（状态规则，如流程已被他人推进）；detail 说明原因",
    "410": "文件已过保存期限或已被取走",
    "413": "请求体超过允许的大小",
    "422": "输入有误（字段校验或业务规则）：detail 为总的说明，errors 按字段列出中文消息",
}


def ref(model, pk: int | None):
    """An unsaved instance carrying only the (checked) id, for a service argument."""
    pk = pk_or_404(pk)
    return model(pk=pk) if pk is not None else None


def id_list(values: list[int] | None) -> list[int]:
    """The ids of a batch body (``[3, 5, …]``; none given reads as none chosen, for the
    service to refuse by name); an id out of range reads as absent (404), as everywhere."""
    return [pk_or_404(v) or 0 for v in values or []]


M = TypeVar("M", bound=Model)


def batch_run(
    request,
    service: Callable[..., Sequence[M]],
    visible: Callable[[Any], QuerySet],
    data: Schema,
    *,
    ids: str,
    **checked: Any,
) -> tuple[Sequence[M], QuerySet]:
    """A batch route's work (issue 18): the all-or-nothing ``service`` run by the caller with
    the body's fields as its keywords (the body is named as the service's arguments), the list
    of ids ``ids`` through ``id_list``, and ``checked`` (the fields the route has read itself)
    in place of the body's; answered with the rows it moved and the same rows read back
    through the caller's scope (``visible(user)``, the list's selector) in id order."""
    arguments = {**data.model_dump(), ids: id_list(getattr(data, ids)), **checked}
    moved = service(actor=request.auth, **arguments)
    rows = visible(request.auth).filter(pk__in=[row.pk for row in moved]).order_by("id")
    return moved, rows


def iso(value) -> str | None:
    """A date or a datetime (in local time) as ISO 8601; None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()
