"""The two hot reads of stored ratings, each statement compiled by the ORM once per scope shape
(``core.scope.compiled``) and read as tuples: one organization's rating with its explanation
lines, and a page of a node's ranking. Same scope as ``Rating.objects.visible_to``; the ORM
path runs instead when a user's scope cannot be compiled.

Rows come back as the database driver gives them (``Compiled.run(convert=False)``: no Django
converters per row; ``api.common.raw_*`` format them), and one organization's three
statements share one cursor."""

from __future__ import annotations

from django.db import connections

from dangjian.assessment.models import Objection, Rating, RatingLine
from dangjian.core import scope, tree

VIEW = "assessment.view"
HEAD = (
    "id",
    "org_id",
    "org_name",
    "year",
    "scheme__sector",
    "score",
    "stars",
    "stars_by_score",
    "capped",
    "rank",
    "state",
    "published_on",
    "window_ends_on",
    "computed_at",
    "org_path",
    "area_path",
)
# What a ranking's page shows of each rating: the head without the paths that only the rating
# page needs (for its allowed actions).
LISTED = HEAD[:14]
LINE = ("code", "name", "kind", "weight", "figure", "source", "points")
OBJECTION = ("id", "rating_id", "reason", "state", "filed_at", "response", "handled_at")


def _visible(user, build_key, build, values_after, fallback, cursor):
    found = scope.keyed_terms(Rating, user, VIEW)
    if found is None:
        return None
    terms, shape, values = found
    try:
        statement = scope.compiled(
            (*build_key, shape), cursor.db.alias, lambda st: build(st, terms)
        )
    except scope.NotCompilable:
        return fallback()
    return statement.run([*values, *values_after], cursor, convert=False)


def rating_explained(user, pk: int) -> tuple[tuple, list[tuple], list[tuple]] | None:
    """(head, lines, objections) of one visible rating, or None (not visible or absent)."""

    def build(stand, terms):
        return (
            Rating.objects.filter(scope.terms_q(scope.terms_stand_in(terms, stand)))
            .filter(pk=stand.number())
            .order_by()
            .values_list(*HEAD)
        )

    def fallback():
        return list(Rating.objects.visible_to(user, VIEW).filter(pk=pk).values_list(*HEAD))

    using = Rating._default_manager.db
    with connections[using].cursor() as cursor:
        rows = _visible(user, ("assessment.rating",), build, [pk], fallback, cursor)
        if not rows:
            return None
        lines = scope.compiled(
            ("assessment.lines",),
            using,
            lambda st: (
                RatingLine.objects.filter(rating_id=st.number())
                .order_by("position", "id")
                .values_list(*LINE)
            ),
        ).run([pk], cursor, convert=False)
        objections = scope.compiled(
            ("assessment.objections",),
            using,
            lambda st: (
                Objection.objects.filter(rating_id=st.number())
                .order_by("-filed_at", "-id")
                .values_list(*OBJECTION)
            ),
        ).run([pk], cursor, convert=False)
    return rows[0], lines, objections


class Ranking:
    """The visible ratings of ``year`` in the area subtree at ``path``, in ranking order
    (county, rank, organization): counts and slices like a queryset (``core.api.paginate``),
    each statement compiled once per scope shape, rows as ``LISTED`` tuples; on ``cursor``
    when given (both statements on one)."""

    def __init__(self, user, *, year: int, path: str, cursor=None):
        self.year, self.path, self.end = year, path, tree.path_end(path)
        self.found = scope.keyed_terms(Rating, user, VIEW)
        self.user, self.using = user, Rating._default_manager.db
        # The count and the page may share the caller's cursor, as one rating's statements do.
        self.cursor = cursor

    def _filtered(self, stand, terms):
        # The year is written as it is (a stand-in number is out of its field's range).
        return Rating.objects.filter(scope.terms_q(scope.terms_stand_in(terms, stand))).filter(
            year=self.year, area_path__gte=stand.text(), area_path__lt=stand.text()
        )

    def _orm(self):
        return (
            Rating.objects.visible_to(self.user, VIEW)
            .filter(year=self.year, area_path__gte=self.path, area_path__lt=self.end)
            .order_by("county_path", "rank", "org_path")
        )

    def count(self) -> int:
        if self.found is None:
            return 0
        terms, shape, values = self.found
        try:
            statement = scope.compiled(
                ("assessment.ranking.count", shape, self.year),
                self.using,
                lambda st: self._filtered(st, terms),
                count=True,
            )
        except scope.NotCompilable:
            return self._orm().count()
        return statement.run([*values, self.path, self.end], self.cursor, convert=False)[0][0]

    def __getitem__(self, key: slice) -> list[tuple]:
        if self.found is None:
            return []
        offset, stop = key.start or 0, key.stop
        terms, shape, values = self.found

        def build(st):
            # LIMIT and OFFSET are written into the SQL: part of the statement's key.
            return (
                self._filtered(st, terms)
                .order_by("county_path", "rank", "org_path")
                .values_list(*LISTED)[offset:stop]
            )

        try:
            statement = scope.compiled(
                ("assessment.ranking", shape, self.year, offset, stop),
                self.using,
                build,
            )
        except scope.NotCompilable:
            return list(self._orm().values_list(*LISTED)[offset:stop])
        return statement.run([*values, self.path, self.end], self.cursor, convert=False)
