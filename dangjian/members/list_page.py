"""The registry's list (``GET /api/v1/members/``) read by statements compiled once per shape.

On the ORM path (``selectors.member_list``) building and compiling the count, the page and the
categories' prefetch, and then building a member, its organization, its unit and its category
rows as model instances, took most of the request's time (issue 19). Here each statement is
compiled by the ORM once per shape (``core.scope.compiled``: the user's scope, the filters
given, the page's bounds) from the same lookups, and the page is read as tuples of the
columns the answer shows. The filters it does not cover (a search text, an age band, a join
year) and a user without reach go the ORM way; so does a value the selector refuses, for it to
name. ``tests/members/test_list_page.py`` compares the two answers byte for byte.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections, models

from dangjian.core import crypto, scope, tree
from dangjian.members.models import (
    Category,
    Education,
    Ethnicity,
    Gender,
    Member,
    MemberCategory,
    Occupation,
    Status,
    sorted_categories,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

# The filters of ``member_list`` read as equality on a coded column, and their choices.
_CODED = (
    ("status", Status),
    ("education", Education),
    ("occupation", Occupation),
    ("gender", Gender),
    ("ethnicity", Ethnicity),
)
# Off: every list goes the ORM way (the tests compare the two answers byte for byte).
ENABLED = True
# The filters only the ORM path reads.
_ORM_ONLY = ("age_band", "join_year", "q")


# --- personal data, masked ----------------------------------------------------------------------
# The answer shows personal data masked, and decrypting a value (SM4-GCM) cost more than the
# rest of its row: the page reads the stored tokens as they are (no ``from_db_value``) and
# masks each once per token. A token stands for one value under one key ring (a fresh nonce
# each time a value is written, so a changed value is a new token): the masked text a token
# gave is kept, and forgotten with the key ring (a rotation, a retired key) or when the table
# is full. Only masked text is kept, which any answer of the list shows.

_MASKED: dict[str, str] = {}
_MASKED_RING: list = [None]
_MASKED_MAX = 20_000
_MASKED_LOCK = threading.Lock()


def masked(kind: str, token: str | None) -> str:
    """``crypto.mask(kind, <the clear text of token>)``, as the field would give it."""
    if not token:
        return crypto.mask(kind, token)
    ring = crypto.keyring()
    if _MASKED_RING[0] is not ring:
        with _MASKED_LOCK:
            _MASKED.clear()
            _MASKED_RING[0] = ring
    key = f"{kind}:{token}"
    found = _MASKED.get(key)
    if found is None:
        found = crypto.mask(kind, crypto.decrypt(token))
        if len(_MASKED) >= _MASKED_MAX:
            _MASKED.clear()
        _MASKED[key] = found
    return found


def _pii_kind(field: str) -> str | None:
    f = Member._meta.get_field(field) if "__" not in field else None
    return f.pii_kind if isinstance(f, crypto.EncryptedField) else None


def _covered(args: dict) -> bool:
    """Whether every filter given is one this path reads, with a value the selector takes."""
    if any(args.get(k) not in (None, "") for k in _ORM_ONLY):
        return False
    if args.get("category") and args["category"] not in Category.values:
        return False
    return all(not args.get(f) or args[f] in choices.values for f, choices in _CODED)


def _lookups(user, args: dict) -> list[tuple[str, object]]:
    """The filters as (lookup, value) pairs, in ``member_list``'s order; reading the nodes
    named (404 when not visible) as it does."""
    out: list[tuple[str, object]] = []
    for key, model, field, action in (
        ("org", PartyOrg, "org_path", "organizations.view"),
        ("area", Area, "area_path", "territory.view"),
        ("org_area", Area, "org__area_path", "territory.view"),
    ):
        if args.get(key) is not None:
            defer = "contact_phone" if model is PartyOrg else "boundary"
            node = scope.get_visible(model.objects.defer(defer), user, action, pk=args[key])
            out += [(f"{field}__gte", node.path), (f"{field}__lt", tree.path_end(node.path))]
    if args.get("category"):
        out.append(("category", args["category"]))
    for field, _choices in _CODED:
        if args.get(field):
            out.append((field, args[field]))
    return out


class MemberPage:
    """The visible members for ``paginate``: ``count()`` and a page slice, already serialized
    by ``rows_out(rows, categories)`` (rows of ``fields``, personal data masked), all on one
    cursor."""

    def __init__(self, terms, shape, values, lookups, include_left, fields, rows_out, cursor):
        self.terms, self.fields, self.rows_out, self.cursor = terms, fields, rows_out, cursor
        self.lookups = lookups
        self.include_left = include_left
        self.values = [*values, *(v for _k, v in lookups)]
        self.using = Member._default_manager.db
        self.shape = (shape, tuple(k for k, _v in lookups), include_left, fields)

    def _query(self, stand):
        stood = scope.terms_stand_in(self.terms, stand)
        qs = Member._default_manager.filter(scope.terms_q(stood))
        for key, value in self.lookups:
            if key == "category":
                code = stand.like(value)
                qs = qs.filter(pk__in=MemberCategory.objects.filter(code=code).values("member_id"))
            else:
                qs = qs.filter(**{key: stand.like(value)})
        if not self.include_left:
            qs = qs.filter(left_on__isnull=True)
        return qs

    def count(self) -> int:
        key = ("members.count", self.using, self.shape)
        statement = scope.compiled(key, self.using, self._query, count=True)
        return statement.run(self.values, self.cursor)[0][0]

    def __getitem__(self, bounds: slice) -> list[dict]:
        b = (bounds.start, bounds.stop)
        key = ("members.page", self.using, self.shape, b)
        kinds = [_pii_kind(f) for f in self.fields]
        # The personal columns as the stored tokens: no converter decrypts them.
        tokens = {
            f"{f}_token": models.ExpressionWrapper(models.F(f), output_field=models.TextField())
            for f, kind in zip(self.fields, kinds, strict=True)
            if kind
        }
        read = [f"{f}_token" if kind else f for f, kind in zip(self.fields, kinds, strict=True)]
        statement = scope.compiled(
            key,
            self.using,
            lambda stand: (
                self._query(stand)
                .annotate(**tokens)
                .order_by("org_path", "id")
                .values_list(*read)[b[0] : b[1]]
            ),
        )
        rows = statement.run(self.values, self.cursor)
        pii = [(i, kind) for i, kind in enumerate(kinds) if kind]
        if pii:
            rows = [_masked_row(r, pii) for r in rows]
        return self.rows_out(rows, self._categories([r[0] for r in rows]))

    def _categories(self, ids: list[int]) -> dict[int, list[str]]:
        if not ids:
            return {}
        key = ("members.categories", self.using, len(ids))
        statement = scope.compiled(
            key,
            self.using,
            lambda stand: MemberCategory.objects.filter(
                member_id__in=[stand.number() for _ in ids]
            ).values_list("member_id", "code"),
        )
        found: dict[int, list[str]] = {}
        for member_id, code in statement.run(ids, self.cursor):
            found.setdefault(member_id, []).append(code)
        return {k: sorted_categories(v) for k, v in found.items()}


def member_page(
    request,
    args: dict,
    fields: tuple[str, ...],
    rows_out: Callable[[list[tuple], dict[int, list[str]]], list[dict]],
    paginate: Callable,
):
    """``paginate(request, page, same)`` of the members ``request.auth`` may see filtered by
    ``args`` (``member_list``'s keywords), or None when this path does not cover them (the
    caller's ORM path answers)."""
    user = request.auth
    if not ENABLED or not _covered(args):
        return None
    found = scope.keyed_terms(Member, user, "members.view")
    if found is None:
        return None
    terms, shape, values = found
    lookups = _lookups(user, args)
    include_left = bool(args.get("include_left"))
    with connections[Member._default_manager.db].cursor() as cursor:
        page = MemberPage(terms, shape, values, lookups, include_left, fields, rows_out, cursor)
        try:
            return paginate(request, page, _same)
        except scope.NotCompilable:
            return None


def _masked_row(row: tuple, pii: list[tuple[int, str]]) -> tuple:
    out = list(row)
    for i, kind in pii:
        out[i] = masked(kind, out[i])
    return tuple(out)


def _same(item):
    return item
