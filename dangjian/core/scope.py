"""Data scope: the one way to read scoped rows.

``Model.objects.visible_to(user, action)`` is the OR of the user's reach for that action:
subtrees of either tree, oneself, and one's departments. The kernel knows no app: the user
object answers ``reach(action)`` and each scoped model declares which of its fields answer
each kind of reach in ``scope_fields``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models
from django.http import Http404

from dangjian.core import tree


@dataclass(frozen=True)
class Reach:
    """What a user may see for one action."""

    area_paths: tuple[str, ...] = ()
    org_paths: tuple[str, ...] = ()
    user_id: int | None = None
    department_ids: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.area_paths or self.org_paths or self.user_id or self.department_ids)


NO_REACH = Reach()


@dataclass(frozen=True)
class ScopeFields:
    """Which fields of a model answer each kind of reach (None: that kind does not apply)."""

    area: str | None = None
    org: str | None = None
    own: str | None = None
    department: str | None = None
    extra: dict = field(default_factory=dict)


class ScopeError(Exception):
    pass


def reach_of(user, action: str) -> Reach:
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_REACH
    return user.reach(action)


def scope_terms(model, user, action: str, prefix: str = "") -> list[dict] | None:
    """The filter of ``scope_q`` as data: a list of lookup dicts, OR-ed (each dict AND-ed);
    None means nothing. Same order and values as ``scope_q`` uses; callers that compile a
    statement once per shape (``compiled``) key it on the lookups and fill in the values.
    The list is shared: do not change it.
    """
    found = keyed_terms(model, user, action, prefix)
    return None if found is None else found[0]


_TERMS: dict = {}
_TERMS_MAX = 20_000


def keyed_terms(model, user, action: str, prefix: str = "") -> tuple | None:
    """(terms, their shape, their values in order) of ``scope_terms``, worked out once per
    model and reach (both immutable); None means nothing."""
    reach = reach_of(user, action)
    key = (model, prefix, reach)
    found = _TERMS.get(key)
    if found is None:
        terms = _build_terms(model, reach, prefix)
        found = (terms, terms_shape(terms), terms_values(terms)) if terms else ()
        if len(_TERMS) >= _TERMS_MAX:
            _TERMS.clear()
        _TERMS[key] = found
    return found or None


def _build_terms(model, reach: Reach, prefix: str) -> list[dict] | None:
    fields: ScopeFields | None = getattr(model, "scope_fields", None)
    if fields is None:
        raise ScopeError(f"{model.__name__} declares no scope_fields")
    if prefix:
        fields = ScopeFields(
            area=fields.area and prefix + fields.area,
            org=fields.org and prefix + fields.org,
            own=fields.own and prefix + fields.own,
            department=fields.department and prefix + fields.department,
        )
    terms: list[dict] = []
    if fields.area and reach.area_paths:
        for start, end in tree.merge_ranges(list(reach.area_paths)):
            terms.append({f"{fields.area}__gte": start, f"{fields.area}__lt": end})
    if fields.org and reach.org_paths:
        for start, end in tree.merge_ranges(list(reach.org_paths)):
            terms.append({f"{fields.org}__gte": start, f"{fields.org}__lt": end})
    if fields.own and reach.user_id:
        terms.append({fields.own: reach.user_id})
    if fields.department and reach.department_ids:
        terms.append({f"{fields.department}__in": list(reach.department_ids)})
    return terms or None


def terms_q(terms: list[dict]) -> models.Q:
    q = models.Q()
    for term in terms:
        q |= models.Q(**term)
    return q


def scope_q(model, user, action: str, prefix: str = "") -> models.Q | None:
    """The filter for ``model`` rows visible to ``user`` for ``action``; None means nothing.

    ``prefix`` applies the same filter through a relation (``"parent__"``).
    """
    terms = scope_terms(model, user, action, prefix)
    return None if terms is None else terms_q(terms)


# --- statements compiled once per shape ------------------------------------------------------
# For the hottest reads (the tree browsers' children, scoped counts) Django's building and
# compiling of a statement takes several times longer than the database takes to run it. As
# SQLAlchemy's "baked" queries do, such a statement is compiled by the ORM once per shape (the
# model, the database, the lookups of the user's scope and of the filters) from the very
# queryset ``visible_to`` would run, with stand-in values; later calls run the cached SQL with
# their own values. Stand-ins that do not reach the SQL unchanged (a lookup that rewrites its
# value, ``icontains`` say) make the shape uncompilable, and the caller's ORM path runs instead.


class StandIns:
    """Stand-in parameter values that cannot occur in real ones, in order of creation."""

    def __init__(self):
        self.values: list = []

    def text(self) -> str:
        v = f"\x1bstand-in {len(self.values)}\x1b"
        self.values.append(v)
        return v

    def number(self) -> int:
        v = -7_000_000_000_000 - len(self.values)
        self.values.append(v)
        return v

    def like(self, value):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise NotCompilable(f"no stand-in for {type(value).__name__}")
        return self.number() if isinstance(value, int) else self.text()


class NotCompilable(Exception):
    pass


def terms_shape(terms: list[dict]) -> tuple:
    return tuple(
        tuple((k, len(v) if isinstance(v, list) else None) for k, v in term.items())
        for term in terms
    )


def terms_values(terms: list[dict]) -> list:
    out: list = []
    for term in terms:
        for value in term.values():
            if isinstance(value, list):
                out.extend(value)
            else:
                out.append(value)
    return out


def terms_stand_in(terms: list[dict], stand: StandIns) -> list[dict]:
    """``terms`` with stand-ins in the order ``terms_values`` lists the real values."""
    return [
        {
            k: [stand.like(x) for x in v] if isinstance(v, list) else stand.like(v)
            for k, v in term.items()
        }
        for term in terms
    ]


class Compiled:
    """One statement as the ORM compiled it, and where each stand-in landed in its params."""

    __slots__ = ("compiler", "converters", "params", "slots", "sql", "using")

    def __init__(self, qs, stand: StandIns, using: str, *, count: bool = False):
        query = qs.query.chain()
        if count:
            # What QuerySet.count() sends: COUNT(*) over the same FROM and WHERE.
            query.clear_ordering(force=True)
            query.clear_select_clause()
            query.add_annotation(models.Count("*"), alias="n")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        index = {v: i for i, v in enumerate(stand.values)}
        self.slots = [
            index.get(p) if isinstance(p, int | str) and not isinstance(p, bool) else None
            for p in params
        ]
        if {s for s in self.slots if s is not None} != set(range(len(stand.values))):
            raise NotCompilable("a stand-in did not reach the statement unchanged")
        self.sql, self.params, self.using, self.compiler = sql, list(params), using, compiler
        self.converters = (
            {} if count else compiler.get_converters([c for c, _, _ in compiler.select])
        )

    def run(self, values: list, cursor=None) -> list:
        """The rows (tuples) for ``values``, on ``cursor`` or a new one."""
        params = [
            values[s] if s is not None else p for s, p in zip(self.slots, self.params, strict=True)
        ]
        if cursor is None:
            with connections[self.using].cursor() as cursor:
                cursor.execute(self.sql, params)
                rows = cursor.fetchall()
        else:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = [tuple(r) for r in self.compiler.apply_converters(rows, self.converters)]
        return rows


_COMPILED: dict = {}
_COMPILED_LOCK = threading.Lock()
_COMPILED_MAX = 1024


def compiled(key, using: str, build, *, count: bool = False) -> Compiled:
    """The statement for ``key``: ``build(stand_ins)`` returns the queryset, compiled once.

    Raises NotCompilable (every time, for that key) when the stand-ins do not reach the SQL.
    """
    statement = _COMPILED.get(key)
    if statement is None:
        stand = StandIns()
        try:
            statement = Compiled(build(stand), stand, using, count=count)
        except NotCompilable as exc:
            statement = exc
        with _COMPILED_LOCK:
            if len(_COMPILED) >= _COMPILED_MAX:
                _COMPILED.clear()
            _COMPILED[key] = statement
    if isinstance(statement, NotCompilable):
        raise statement
    return statement


def count_visible(model, user, action: str, **filters) -> int:
    """``model.objects.visible_to(user, action).filter(**filters).count()``, one statement,
    compiled once per shape (the ORM path when the filters cannot be compiled)."""
    found = keyed_terms(model, user, action)
    if found is None:
        return 0
    terms, shape, values = found
    names = tuple(sorted(filters))
    using = model._default_manager.db
    kinds = tuple(type(filters[k]).__name__ for k in names)
    key = ("count", model, using, shape, names, kinds)

    def build(stand):
        stood = terms_stand_in(terms, stand)
        return model._default_manager.filter(terms_q(stood)).filter(
            **{k: stand.like(filters[k]) for k in names}
        )

    try:
        statement = compiled(key, using, build, count=True)
    except NotCompilable:
        return model._default_manager.visible_to(user, action).filter(**filters).count()
    return statement.run([*values, *(filters[k] for k in names)])[0][0]


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str):
        q = scope_q(self.model, user, action)
        if q is None:
            return self.none()
        return self.filter(q)

    def topmost_visible_to(self, user, action: str):
        """Visible rows whose parent is not visible: where a user's tree begins."""
        visible = self.visible_to(user, action)
        parent_q = scope_q(self.model, user, action, prefix="parent__")
        if parent_q is None:
            return visible
        return visible.filter(models.Q(parent__isnull=True) | ~parent_q)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class Forbidden(Exception):
    """Visible to the user but not allowed for the action (HTTP 403)."""

    def __init__(self, message: str = "您没有执行此操作的权限"):
        super().__init__(message)
        self.message = message


def get_visible(model_or_qs, user, action: str, *, view_action: str | None = None, **lookup):
    """The row for ``lookup`` if ``user`` may do ``action`` on it.

    Not visible at all (for ``view_action``) → Http404; visible but ``action`` not allowed →
    Forbidden. Out of scope always reads as absent.
    """
    qs: Any = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs.objects.all()
    try:
        return qs.visible_to(user, action).get(**lookup)
    except qs.model.DoesNotExist:
        pass
    if (
        view_action
        and view_action != action
        and qs.visible_to(user, view_action).filter(**lookup).exists()
    ):
        raise Forbidden()
    raise Http404("未找到")


def is_visible(obj, user, action: str) -> bool:
    return type(obj)._default_manager.visible_to(user, action).filter(pk=obj.pk).exists()


def assert_visible(obj, user, action: str) -> None:
    """Services call this inside their transaction after writing."""
    if not is_visible(obj, user, action):
        raise Http404("未找到")
