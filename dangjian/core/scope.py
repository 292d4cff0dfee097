"""Data scope: the one way to read scoped rows.

``Model.objects.visible_to(user, action)`` is the OR of the user's reach for that action over
every reach kind the model declares in ``scope_fields``: a subtree of either tree
(``Subtree``), oneself (``Own``), one's departments (``Department``), one's teams
(``Team``), and any of these read through a related row (``Through``: the other side of a
transfer is a second ``Subtree``, a joint session's organizations and its roster are rows of
other tables). ``PERSONAL`` is what a signed-in person reaches as themselves (own jobs,
applications one is a contact of). The kernel knows no app: the user object answers
``reach(action)``, and each scoped model declares its kinds. Views and routes get one object
through ``scoped_object`` (or a selector built on ``get_visible``).
"""

from __future__ import annotations

import functools
import inspect
import threading
from dataclasses import dataclass
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

# The pseudo-action of what a signed-in person reaches as themselves, whatever their grants:
# their own background jobs, their own application and the applications they are a contact of.
# No grant holds it (not even ``*``): ``reach_of`` answers it from the user's id alone, and only
# the kinds a model declares in ``ScopeFields.personal`` answer it.
PERSONAL = "@personal"


# --- reach kinds ------------------------------------------------------------------------------
# Every way of reaching a row is one of these, declared on the model (``scope_fields``).
# ``visible_to`` is the OR of the terms of every kind the model declares; a kind's terms are
# lookup dicts (OR-ed, each AND-ed), in the order declared. Kinds whose terms hold a subquery
# (``Through``, ``Team`` over a to-many relation) cannot be compiled (``compiled``): the
# callers of the fast paths fall back to the ORM.


class Kind:
    """One way a row is reached. ``field`` names the lookup that answers it (``via`` picks
    kinds by it)."""

    field: str

    def terms(self, model, reach: Reach, holder: int | None, prefix: str) -> list[dict]:
        raise NotImplementedError


@dataclass(frozen=True)
class Subtree(Kind):
    """The row's path ``field`` lies in a subtree of the user's reach on ``tree``."""

    field: str
    tree: str = "org"

    def __post_init__(self):
        if self.tree not in ("area", "org"):
            raise ScopeError(f"Subtree tree must be 'area' or 'org', not {self.tree!r}")

    def terms(self, model, reach, holder, prefix):
        paths = reach.area_paths if self.tree == "area" else reach.org_paths
        if not paths:
            return []
        name = prefix + self.field
        return [
            {f"{name}__gte": start, f"{name}__lt": end}
            for start, end in tree.merge_ranges(list(paths))
        ]


@dataclass(frozen=True)
class Own(Kind):
    """The row is about the user: ``field`` holds their id (a ``self`` grant; under
    ``PERSONAL``, any signed-in user)."""

    field: str

    def terms(self, model, reach, holder, prefix):
        return [{prefix + self.field: reach.user_id}] if reach.user_id else []


@dataclass(frozen=True)
class Department(Kind):
    """The row is dispatched to one of the user's departments (``field``: the department id)."""

    field: str

    def terms(self, model, reach, holder, prefix):
        if not reach.department_ids:
            return []
        return [{f"{prefix}{self.field}__in": list(reach.department_ids)}]


@dataclass(frozen=True)
class Team(Kind):
    """The user is one of the row's people (``field``: a user, or a to-many relation to
    users: a visit team's members), while they hold the action anywhere."""

    field: str

    def terms(self, model, reach, holder, prefix):
        if not holder:
            return []
        rel = model._meta.get_field(self.field.split("__")[0])
        if "__" in self.field or not rel.many_to_many or rel.auto_created:
            return [{prefix + self.field: holder}]
        through = rel.remote_field.through
        ours = through._meta.get_field(rel.m2m_field_name()).attname
        theirs = through._meta.get_field(rel.m2m_reverse_field_name()).attname
        sub = through._base_manager.filter(**{theirs: holder}).values(ours)
        return [{f"{prefix}pk__in": sub}]


@dataclass(frozen=True)
class Through(Kind):
    """A related row (``relation``: a reverse foreign key) is reached by ``kind``, read on the
    related model and narrowed by ``where``: a joint session's participating organizations,
    the roster of a session, the contacts of an applicant."""

    relation: str
    kind: Kind
    where: tuple[tuple[str, Any], ...] = ()

    @property
    def field(self) -> str:  # type: ignore[override]
        return f"{self.relation}__{self.kind.field}"

    def terms(self, model, reach, holder, prefix):
        rel = model._meta.get_field(self.relation)
        if not rel.one_to_many:
            raise ScopeError(f"{model.__name__}.{self.relation} is not a reverse foreign key")
        related = rel.related_model
        inner = self.kind.terms(related, reach, holder, "")
        if not inner:
            return []
        sub = (
            related._base_manager.filter(terms_q(inner), **dict(self.where))
            .order_by()
            .values(rel.field.attname)
        )
        return [{f"{prefix}pk__in": sub}]


@dataclass(frozen=True)
class ScopeFields:
    """The reach kinds a model declares. ``area``, ``org``, ``own`` and ``department`` are the
    common kinds by field (``Subtree(area, "area")``, ``Subtree(org, "org")``, ``Own``,
    ``Department``; the audit reads ``area`` and ``org`` as the row's paths); ``kinds`` adds
    any other (the other side of a transfer, a joint session's organizations, a team's
    members); ``personal`` are the kinds that answer ``PERSONAL`` (and only those do)."""

    area: str | None = None
    org: str | None = None
    own: str | None = None
    department: str | None = None
    kinds: tuple[Kind, ...] = ()
    personal: tuple[Kind, ...] = ()

    def declared(self) -> tuple[Kind, ...]:
        """Every kind answering a granted action, in the order their terms are OR-ed."""
        found: list[Kind] = []
        if self.area:
            found.append(Subtree(self.area, "area"))
        if self.org:
            found.append(Subtree(self.org, "org"))
        if self.own:
            found.append(Own(self.own))
        if self.department:
            found.append(Department(self.department))
        return (*found, *self.kinds)


class ScopeError(Exception):
    pass


def kinds_of(model, action: str = "", via: tuple[str, ...] | None = None) -> tuple[Kind, ...]:
    """The kinds of ``model`` that answer ``action`` (``PERSONAL``: the personal ones), only
    those answered by the fields in ``via`` when given."""
    fields: ScopeFields | None = getattr(model, "scope_fields", None)
    if fields is None:
        raise ScopeError(f"{model.__name__} declares no scope_fields")
    kinds = fields.personal if action == PERSONAL else fields.declared()
    if via is not None:
        unknown = set(via) - {k.field for k in (*fields.declared(), *fields.personal)}
        if unknown:
            raise ScopeError(f"{model.__name__} declares no kind on {sorted(unknown)}")
        kinds = tuple(k for k in kinds if k.field in via)
    return kinds


def reach_of(user, action: str) -> Reach:
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_REACH
    if action == PERSONAL:
        return Reach(user_id=user.pk)
    return user.reach(action)


def scope_terms(
    model, user, action: str, prefix: str = "", via: tuple[str, ...] | None = None
) -> list[dict] | None:
    """The filter of ``scope_q`` as data: a list of lookup dicts, OR-ed (each dict AND-ed);
    None means nothing. Same order and values as ``scope_q`` uses; callers that compile a
    statement once per shape (``compiled``) key it on the lookups and fill in the values.
    The list is shared: do not change it.
    """
    found = keyed_terms(model, user, action, prefix, via)
    return None if found is None else found[0]


_TERMS: dict = {}
_TERMS_MAX = 20_000
# (model, personal?, via) → (its kinds, whether any reads the holder): declarations are fixed.
_KINDS: dict = {}


def _needs_holder(kinds) -> bool:
    return any(
        isinstance(k, Team) or (isinstance(k, Through) and _needs_holder((k.kind,))) for k in kinds
    )


def keyed_terms(
    model, user, action: str, prefix: str = "", via: tuple[str, ...] | None = None
) -> tuple | None:
    """(terms, their shape, their values in order) of ``scope_terms``, worked out once per
    model and reach (both immutable); None means nothing."""
    reach = reach_of(user, action)
    personal = action == PERSONAL
    declared = _KINDS.get((model, personal, via))
    if declared is None:
        kinds = kinds_of(model, action, via)
        declared = _KINDS[(model, personal, via)] = (kinds, _needs_holder(kinds))
    kinds, needs_holder = declared
    # ``Team`` kinds read the user's id while the user holds the action anywhere.
    holder = getattr(user, "pk", None) if needs_holder and not reach.empty else None
    key = (model, prefix, reach, personal, via, holder)
    found = _TERMS.get(key)
    if found is None:
        terms: list[dict] = []
        for kind in kinds:
            terms.extend(kind.terms(model, reach, holder, prefix))
        found = (terms, terms_shape(terms), terms_values(terms)) if terms else ()
        if len(_TERMS) >= _TERMS_MAX:
            _TERMS.clear()
        _TERMS[key] = found
    return found or None


def terms_q(terms: list[dict]) -> models.Q:
    q = models.Q()
    for term in terms:
        q |= models.Q(**term)
    return q


def subtrees_q(field: str, paths) -> models.Q | None:
    """``field`` within any of the subtrees at ``paths`` (merged ranges, as ``Subtree`` reads
    a reach); None for no path. For filters that are not a model's read scope (where one may
    report, a picker's roots)."""
    terms = Subtree(field).terms(None, Reach(org_paths=tuple(paths)), None, "")
    return terms_q(terms) if terms else None


def scope_q(
    model, user, action: str, prefix: str = "", via: tuple[str, ...] | None = None
) -> models.Q | None:
    """The filter for ``model`` rows visible to ``user`` for ``action``; None means nothing.

    ``prefix`` applies the same filter through a relation (``"parent__"``); ``via`` keeps
    only the kinds answered by those fields (one side of a transfer).
    """
    terms = scope_terms(model, user, action, prefix, via)
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
        tuple(
            (
                k,
                len(v)
                if isinstance(v, list)
                else "subquery"
                if isinstance(v, models.QuerySet)
                else None,
            )
            for k, v in term.items()
        )
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

    __slots__ = ("compiler", "converters", "params", "qmark_sql", "slots", "sql", "using")

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
        # Django's SQLite cursor rewrites ``%s`` to ``?`` on every execution, a regex over the
        # whole statement (for a compiled read, longer than the database's own work): done here
        # once, and used when nothing observes the queries (``_execute``).
        self.qmark_sql = _sqlite_qmark(sql) if connections[using].vendor == "sqlite" else None
        self.converters = (
            {} if count else compiler.get_converters([c for c, _, _ in compiler.select])
        )

    def run(self, values: list, cursor=None, *, convert: bool = True) -> list:
        """The rows (tuples) for ``values``, on ``cursor`` or a new one. ``convert=False``
        leaves the values as the database driver gave them (no per-row Django converters: a
        caller that formats them itself, e.g. decimals and dates straight to text)."""
        params = [
            values[s] if s is not None else p for s, p in zip(self.slots, self.params, strict=True)
        ]
        if cursor is None:
            with connections[self.using].cursor() as cursor:
                rows = self._execute(cursor, params).fetchall()
        else:
            rows = self._execute(cursor, params).fetchall()
        if convert and self.converters:
            rows = [tuple(r) for r in self.compiler.apply_converters(rows, self.converters)]
        return rows

    def _execute(self, cursor, params: list):
        db = cursor.db
        if self.qmark_sql is None or db.queries_logged or db.execute_wrappers:
            # Logged (DEBUG, a test counting queries) or wrapped: the ordinary way, seen by all.
            cursor.execute(self.sql, params)
            return cursor
        # As Django's ``CursorWrapper._execute`` does, minus the rewrite of the placeholders.
        db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            _sqlite_cursor_execute(cursor.cursor, self.qmark_sql, params)
        return cursor


def _sqlite_qmark(sql: str) -> str:
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def _sqlite_cursor_execute(cursor, sql: str, params: list) -> None:
    import sqlite3

    sqlite3.Cursor.execute(cursor, sql, params)


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


def rows_in_join_order(qs) -> list:
    """The rows of ``qs`` (a page of a list with many ``select_related`` joins), planned by
    PostgreSQL in the order the ORM wrote the joins (``in_join_order``)."""
    return in_join_order(qs.db, lambda _cursor: list(qs))


def in_join_order(using: str, read):
    """``read(cursor)``, its statements planned by PostgreSQL in the order the joins are
    written: the row's table first, then each related row by its primary key, which is the
    plan it chooses anyway. Searching for a better order of eight tables took PostgreSQL 12 to
    37 ms a page of events (the plan runs in 0.4 ms), the most of a list's cost on PostgreSQL;
    ``SET LOCAL join_collapse_limit = 1`` for this read (in its own transaction) made it
    0.7 ms. Inside a transaction already, or on another database, ``read(None)``: the
    ordinary planning."""
    from django.db import transaction

    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return read(None)
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL join_collapse_limit = 1")
            return read(cursor)


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
    def visible_to(self, user, action: str, *, via: tuple[str, ...] | None = None):
        """The rows ``user`` reaches for ``action`` by any kind the model declares (``via``:
        only by the kinds answered by those fields, one side of a transfer say)."""
        q = scope_q(self.model, user, action, via=via)
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


def is_visible(obj, user, action: str, *, via: tuple[str, ...] | None = None) -> bool:
    qs = type(obj)._default_manager.visible_to(user, action, via=via)
    return qs.filter(pk=obj.pk).exists()


def assert_visible(obj, user, action: str) -> None:
    """Services call this inside their transaction after writing."""
    if not is_visible(obj, user, action):
        raise Http404("未找到")


def scoped_object(
    param: str,
    get=None,
    *,
    action: str = "",
    view_action: str | None = None,
    name: str | None = None,
):
    """Decorator of a console view or an API route: the path parameter ``param`` (an id) is
    replaced by the object the user reaches, passed as ``name`` (``param`` without ``_id``).

    ``get`` is the app's selector ``get(user, pk)`` (built on ``get_visible``: its queryset
    shape, action and ``view_action``), or a model or queryset read by ``get_visible`` with
    ``action`` and ``view_action``. An id out of range or out of scope reads 404; visible but
    not allowed for ``action`` is ``Forbidden`` (403). The route keeps ``param: int`` in its
    signature, so Ninja documents and parses the path as before.
    """
    from dangjian.core.ids import pk_or_404

    target = name or param.removesuffix("_id")
    if isinstance(get, models.QuerySet) or (
        isinstance(get, type) and issubclass(get, models.Model)
    ):
        if not action:
            raise ScopeError("scoped_object needs an action to read a model or queryset")
        source = get

        def read(user, pk):
            return get_visible(source, user, action, view_action=view_action, pk=pk)
    elif callable(get):
        read = get
    else:
        raise ScopeError("scoped_object needs a selector, a model or a queryset")

    def decorate(fn):
        signature = inspect.signature(fn)
        if target not in signature.parameters:
            raise ScopeError(f"{fn.__name__} takes no parameter {target!r}")
        params = []
        for p in signature.parameters.values():
            if p.name == target:
                p = p.replace(name=param, annotation=int)
            elif isinstance(p.annotation, str):
                try:
                    p = p.replace(annotation=eval(p.annotation, fn.__globals__))
                except Exception:
                    pass  # left as it was, for Ninja to report as it would
            params.append(p)

        outer = signature.replace(parameters=params)

        @functools.wraps(fn)
        def scoped(request, *args, **kwargs):
            bound = outer.bind(request, *args, **kwargs)
            pk = pk_or_404(bound.arguments.pop(param))
            user = getattr(request, "auth", None) or request.user
            bound.arguments[target] = read(user, pk)
            inner = signature.bind_partial(**bound.arguments)
            return fn(*inner.args, **inner.kwargs)

        del scoped.__wrapped__  # Ninja reads the signature below, not the view's
        scoped.__signature__ = outer  # type: ignore[attr-defined]
        scoped.scoped_object = (param, target)  # type: ignore[attr-defined]
        return scoped

    return decorate
