"""``web.listing`` sorts a computed list (dicts, not a queryset) by the declared columns, as it
orders a queryset: an unknown key keeps the rows as computed, descending is ascending read
backwards (ties keep the computed order one way and the other), a missing value comes first."""

from __future__ import annotations

from decimal import Decimal

from django.test import RequestFactory

from dangjian.web import listing as L

TABLE = L.Table(
    title="计算列表",
    object_type="test.rows",
    columns=(
        L.Column("name", "名称", "name", ("name",)),
        L.Column("hours", "时长", "hours", ("hours",)),
        L.Column("most", "最多", "hours", ("-hours", "name")),
    ),
)
ROWS = [
    {"name": "乙", "hours": Decimal("2.50")},
    {"name": "甲", "hours": Decimal("4.00")},
    {"name": "丙", "hours": Decimal("2.50")},
    {"name": "丁", "hours": None},
]


def _names(query: str) -> list[str]:
    listed = L.listing_of(RequestFactory().get("/x/" + query), TABLE)
    return [r["name"] for r in listed.order(list(ROWS))]


def test_no_or_unknown_sort_keeps_the_computed_order():
    assert _names("") == _names("?sort=nope") == ["乙", "甲", "丙", "丁"]


def test_sorted_both_ways_ties_in_computed_order():
    assert _names("?sort=hours") == ["丁", "乙", "丙", "甲"]
    assert _names("?sort=-hours") == ["甲", "丙", "乙", "丁"]
    assert _names("?sort=-hours") == list(reversed(_names("?sort=hours")))


def test_a_column_of_mixed_directions():
    assert _names("?sort=most") == ["甲", "丙", "乙", "丁"]  # hours down, then the name
    assert _names("?sort=-most") == list(reversed(_names("?sort=most")))
