"""The list/children/detail routes both trees share."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import Q
from django.http import Http404
from ninja import Router
from pydantic import create_model

from dangjian.core import scope
from dangjian.core.api import ErrorOut, _int_param, paginate
from dangjian.core.ids import MAX_PK


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


# --- children of a node: statements compiled once per shape ------------------------------------
# The children list is the hot path of both tree browsers. Django spends several times longer
# building and compiling its three statements (parent visible? count, page) than the database
# spends running them, and then builds a model instance per row; so each statement is compiled
# by the ORM once per shape (``scope.compiled``) and rows are read as tuples.


def _same(item):
    return item


class _Children:
    """The visible children of ``parent`` for ``paginate``: ``count()`` and a page slice
    (already serialized by ``rows_out``), all on one cursor."""

    def __init__(self, model, fields, rows_out, terms, shape, values, using, cursor, only=()):
        self.model, self.fields, self.rows_out, self.terms = model, fields, rows_out, terms
        self.shape, self.values, self.using, self.cursor = shape, values, using, cursor
        # Constant lookups (no parameters), e.g. ``(("closed_on__isnull", True),)``.
        self.only = tuple(only)
        self.shape = (shape, self.only)

    def _query(self, stand):
        stood = scope.terms_stand_in(self.terms, stand)
        return self.model._default_manager.filter(
            scope.terms_q(stood), parent_id=stand.number(), **dict(self.only)
        )

    def count(self) -> int:
        key = ("children.count", self.model, self.using, self.shape)
        statement = scope.compiled(key, self.using, self._query, count=True)
        return statement.run(self.values, self.cursor)[0][0]

    def __getitem__(self, bounds: slice) -> list[dict]:
        b = (bounds.start, bounds.stop)
        key = ("children.page", self.model, self.using, self.shape, self.fields, b)
        statement = scope.compiled(
            key,
            self.using,
            lambda stand: (
                self._query(stand).order_by("path").values_list(*self.fields)[b[0] : b[1]]
            ),
        )
        return self.rows_out(statement.run(self.values, self.cursor))


class _Topmost(_Children):
    """The visible nodes whose parent is not visible (``topmost_visible_to``), as
    ``_Children`` reads the children of one: count and page compiled once per shape."""

    def __init__(self, model, fields, rows_out, own, above, using, cursor, only=()):
        terms, shape, values = own
        self.above_terms = above[0] if above else None
        above_shape = above[1] if above else None
        values = [*values, *(above[2] if above else ())]
        super().__init__(model, fields, rows_out, terms, shape, values, using, cursor, only)
        self.shape = ("topmost", self.shape, above_shape)

    def _query(self, stand):
        stood = scope.terms_stand_in(self.terms, stand)
        qs = self.model._default_manager.filter(scope.terms_q(stood))
        if self.above_terms is not None:
            above = scope.terms_stand_in(self.above_terms, stand)
            qs = qs.filter(Q(parent__isnull=True) | ~scope.terms_q(above))
        return qs.filter(**dict(self.only))


# Off: the topmost nodes are read the ORM way (the tests compare the two answers).
TOPMOST_COMPILED = True


def topmost_page(request, model, action: str, fields, rows_out, only=()) -> dict:
    """``{"items", "count"}`` of the visible nodes whose parent is not visible, as the ORM
    path reads them (``topmost_visible_to``, ordered by path): count and page compiled once
    per shape, run on one cursor. Raises NotCompilable when the shape cannot be compiled."""
    if not TOPMOST_COMPILED:
        raise scope.NotCompilable("off")
    own = scope.keyed_terms(model, request.auth, action)
    if own is None:
        raise scope.NotCompilable("no reach: the ORM answers an empty page")
    above = scope.keyed_terms(model, request.auth, action, prefix="parent__")
    using = model._default_manager.db
    with connections[using].cursor() as cursor:
        nodes = _Topmost(model, tuple(fields), rows_out, own, above, using, cursor, only)
        return paginate(request, nodes, _same)


def _include_closed(request) -> bool:
    """``?include_closed=``: 0 or 1 as documented (true and false too); anything else is
    refused on the field (``-1`` was read as 0)."""
    raw = request.GET.get("include_closed")
    if raw in (None, "", "0", "false"):
        return False
    if raw in ("1", "true"):
        return True
    raise DjangoValidationError({"include_closed": ["取值不在允许范围内"]})


def children_page(request, model, action: str, parent: int, fields, rows_out, only=()) -> dict:
    """``{"items", "count"}`` of the visible children of ``parent`` (Http404 if the parent is
    not visible); the page's rows, tuples of ``fields``, go to ``rows_out`` in one list. The
    same three statements as the ORM path (parent visible?, count, page), each compiled once
    per shape (``scope.compiled``), run on one cursor."""
    found = scope.keyed_terms(model, request.auth, action)
    # No such row either way (the ORM answers an id beyond the column's range the same way).
    if found is None or not -(MAX_PK) <= parent <= MAX_PK:
        raise Http404("未找到")
    terms, shape, values = found
    values = [*values, parent]
    using = model._default_manager.db
    fields = tuple(fields)

    def parent_query(stand):
        stood = scope.terms_stand_in(terms, stand)
        qs = model._default_manager.filter(scope.terms_q(stood), pk=stand.number())
        return qs.values_list("pk")[:1]

    visible = scope.compiled(("children.parent", model, using, shape), using, parent_query)
    with connections[using].cursor() as cursor:
        if not visible.run(values, cursor):
            raise Http404("未找到")
        children = _Children(model, fields, rows_out, terms, shape, values, using, cursor, only)
        return paginate(request, children, _same)


def tree_nodes(
    request,
    model,
    action: str,
    serialize,
    select_related=(),
    defer=(),
    *,
    fields=None,
    rows=None,
    closed_field=None,
):
    """The visible nodes a list shows: topmost, children of ``parent``, or matches of ``q``.

    With ``fields`` and ``rows`` (a function of a list of tuples of those fields, answering
    the same dicts as ``serialize``), the children of a parent are read by ``children_page``.
    With ``closed_field`` (a date a closed node carries), nodes that have one are left out
    unless ``?include_closed=1``.
    """
    user = request.auth
    only: tuple = ()
    if closed_field and not _include_closed(request):
        only = ((f"{closed_field}__isnull", True),)
    parent = (
        _int_param(request, "parent", 0) if request.GET.get("parent") not in (None, "") else None
    )
    # NUL cannot reach PostgreSQL in a string literal; it matches nothing anyway.
    q = (request.GET.get("q") or "").replace("\x00", "").strip()[:50]
    if not q and parent is not None and fields is not None:
        try:
            return children_page(request, model, action, parent, fields, rows, only)
        except scope.NotCompilable:
            pass  # the ORM path below gives the same answer
    if not q and parent is None and fields is not None:
        try:
            return topmost_page(request, model, action, fields, rows, only)
        except scope.NotCompilable:
            pass  # the ORM path below gives the same answer
    qs = model.objects.select_related(*select_related).defer(*defer)
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
    if only:
        qs = qs.filter(**dict(only))
    return paginate(request, qs.order_by("path"), serialize)


def add_tree_routes(
    router: Router,
    model,
    action: str,
    out_schema,
    serialize,
    select_related=(),
    defer=(),
    *,
    fields=None,
    rows=None,
    closed_field=None,
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
                *(
                    [
                        {
                            "in": "query",
                            "name": "include_closed",
                            "schema": {"type": "integer", "enum": [0, 1]},
                            "required": False,
                            "description": "1：包括已撤销的节点",
                        }
                    ]
                    if closed_field
                    else []
                ),
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
        return tree_nodes(
            request,
            model,
            action,
            serialize,
            select_related,
            defer,
            fields=fields,
            rows=rows,
            closed_field=closed_field,
        )

    @router.get(
        "/{int:node_id}",
        operation_id=f"{name}_detail",
        summary=f"{label}详情",
        response={200: out_schema, 401: ErrorOut, 404: ErrorOut},
    )
    def node_detail(request, node_id: int):
        if node_id > MAX_PK:
            raise Http404
        node = scope.get_visible(
            model.objects.select_related(*select_related), request.auth, action, pk=node_id
        )
        return serialize(node)

    return router
