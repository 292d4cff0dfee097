"""The list/children/detail routes both trees share."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from ninja import Router
from pydantic import create_model

from dangjian.core import scope
from dangjian.core.api import ErrorOut, _int_param, paginate


def search_q(q: str) -> Q:
    q = q.strip()
    cond = Q(name__contains=q)
    if q.isascii() and q.isalpha():
        cond |= Q(pinyin__startswith=q.upper())
    return cond


def page_schema(out_schema):
    return create_model(
        f"{out_schema.__name__}Page", items=(list[out_schema], ...), count=(int, ...)
    )


def tree_nodes(request, model, action: str, serialize, select_related=(), defer=()):
    """The visible nodes a list shows: topmost, children of ``parent``, or matches of ``q``."""
    user = request.auth
    qs = model.objects.select_related(*select_related).defer(*defer)
    parent = (
        _int_param(request, "parent", 0) if request.GET.get("parent") not in (None, "") else None
    )
    # NUL cannot reach PostgreSQL in a string literal; it matches nothing anyway.
    q = (request.GET.get("q") or "").replace("\x00", "").strip()[:50]
    if q:
        qs = qs.visible_to(user, action).filter(search_q(q))
        if parent is not None:
            root = scope.get_visible(model.objects.only("pk", "path"), user, action, pk=parent)
            # descendants of the parent, at any depth (the parent itself is not its own child)
            qs = qs.filter(path__gt=root.path, path__lt=root.path_end)
    elif parent is not None:
        scope.get_visible(model.objects.only("pk", "path"), user, action, pk=parent)
        qs = qs.visible_to(user, action).filter(parent_id=parent)
    else:
        qs = qs.topmost_visible_to(user, action)
    return paginate(request, qs.order_by("path"), serialize)


def add_tree_routes(
    router: Router, model, action: str, out_schema, serialize, select_related=(), defer=()
):
    # Both trees share these functions: name each operation after its model, or the OpenAPI
    # document holds the same operationId twice.
    name = model._meta.model_name
    label = str(model._meta.verbose_name)

    @router.get(
        "/",
        operation_id=f"{name}_list",
        summary=f"{label}列表",
        response={200: page_schema(out_schema), 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
        openapi_extra={
            "parameters": [
                {
                    "in": "query",
                    "name": "parent",
                    "schema": {"type": "integer"},
                    "required": False,
                    "description": "上级节点编号",
                },
                {
                    "in": "query",
                    "name": "q",
                    "schema": {"type": "string"},
                    "required": False,
                    "description": "按名称或拼音首字母搜索",
                },
                {
                    "in": "query",
                    "name": "page",
                    "schema": {"type": "integer", "minimum": 1},
                    "required": False,
                },
                {
                    "in": "query",
                    "name": "page_size",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                    "required": False,
                },
            ]
        },
    )
    def list_nodes(request):
        return tree_nodes(request, model, action, serialize, select_related, defer)

    @router.get(
        "/{int:node_id}",
        operation_id=f"{name}_detail",
        summary=f"{label}详情",
        response={200: out_schema, 401: ErrorOut, 404: ErrorOut},
    )
    def node_detail(request, node_id: int):
        if node_id > 2**62:
            raise Http404
        node = scope.get_visible(
            model.objects.select_related(*select_related), request.auth, action, pk=node_id
        )
        return serialize(node)

    return router
