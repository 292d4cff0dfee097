"""What the cheaper ways of answering (issue 19, "under load") must not change: a report's
answer is what ``GET /cases/{id}`` reads next, byte for byte, and the lists answer the same
bytes whether our schemas validate a dict in pydantic's core or Ninja's way."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pydantic import ValidationError

from dangjian.core import api as core_api
from dangjian.core.api import Schema
from tests.cases.helpers import at, report
from tests.conftest import postgres_only
from tests.members.helpers import member

pytestmark = pytest.mark.django_db

TEXT = "小区东门垃圾堆积发臭，已经好几天没人清运了"


def _post_then_get(api, user, body: dict) -> tuple[bytes, bytes]:
    r = api.post(user, "/api/v1/cases/", body)
    assert r.status_code == 200, r.content
    again = api.get(user, f"/api/v1/cases/{r.json()['id']}")
    assert again.status_code == 200
    return r.content, again.content


def test_a_report_answers_what_its_detail_reads_next(world, api):
    """Answered from what was written (its step, its links), not read back: the same bytes
    as the detail read afterwards, for the reporter's own view and for staff, with duplicates
    linked and a caller's report taken by phone."""
    grid, community = world.users["grid"], world.users["community"]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        first = report(community, TEXT, area=world.grid)
        r = api.post(grid, "/api/v1/cases/", {"area_id": world.grid.pk, "description": TEXT})
        assert r.status_code == 200, r.content
        staff = r.json()
        assert [d["id"] for d in staff["duplicates"]] == [first.pk]
        assert [h["action"] for h in staff["history"]] == ["collect"]
        assert r.content == api.get(grid, f"/api/v1/cases/{staff['id']}").content
        # the resident's report is linked to both, which the resident does not see
        posted, read = _post_then_get(api, world.resident, {"description": TEXT, "place": "东门"})
        assert posted == read and b'"duplicates": []' in posted
        posted, read = _post_then_get(
            api,
            community,
            {
                "area_id": world.grid.pk,
                "description": "楼道里的灯坏了一个多月，晚上出入很不方便",
                "source": "phone",
                "anonymous": True,
                "reporter_phone": "13700002222",
                "class_code": "other_event",
                "lng": None,
            },
        )
        assert posted == read


def test_a_report_costs_its_queries(world, api):
    """Pinned: a resident's report in its home grid, its answer built from what was written
    (before, the event, its links, steps and photos were read back: five statements more).
    Token, home grid (read whole at once: it was two statements), chain, rules, classifier
    model; in the transaction: the reporter's row, repeats, the event, candidates, the step,
    the audit row, visibility (the seal runs after the commit, which a test's transaction
    never reaches)."""
    resident = world.resident
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        api.post(resident, "/api/v1/cases/", {"description": "路灯坏了好几天，晚上很黑"})
        with CaptureQueriesContext(connection) as ctx:
            r = api.post(resident, "/api/v1/cases/", {"description": TEXT})
    assert r.status_code == 200, r.content
    sql = [
        q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(sql) == 12, "\n".join(sql)


def _lists(api, user) -> list[bytes]:
    out = []
    for path, params in (
        ("/api/v1/areas/", {}),
        ("/api/v1/areas/", {"parent": "x"}),
        ("/api/v1/cases/", {"page_size": 50}),
        ("/api/v1/members/", {}),
        ("/api/v1/cases/classes", {}),
    ):
        r = api.get(user, path, **params)
        out.append((r.status_code, r.content))
    return out


def test_lists_answer_the_same_bytes_either_way(world, api, monkeypatch):
    street = world.users["street"]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        for i in range(3):
            report(world.users["grid"], f"第{i}号楼门口井盖缺失，位置在{i}单元旁", area=world.grid)
        member(street, world.orgs["grid_branch"], phone="13800138000")
        fast = _lists(api, street)
        monkeypatch.setattr(core_api, "DICT_FAST_PATH", False)
        slow = _lists(api, street)
    assert fast == slow
    assert [s for s, _ in fast] == [200, 422, 200, 200, 200]
    assert b"138****8000" in fast[3][1] and fast[2][1].count(b'"state"') == 3


class _Sub(Schema):
    code: str


class _Out(Schema):
    name: str
    items: list[_Sub]


def test_a_dict_only_ninja_can_read_goes_its_way():
    """A value Ninja's getter would change (a callable, a queryset, a file) sends the dict
    Ninja's way, before anything read it: the same result as before."""
    got = _Out.model_validate({"name": lambda: "甲", "items": ({"code": c} for c in "ab")})
    assert got.model_dump() == {"name": "甲", "items": [{"code": "a"}, {"code": "b"}]}
    plain = _Out.model_validate({"name": "乙", "items": [{"code": "c"}]})
    assert plain.model_dump() == {"name": "乙", "items": [{"code": "c"}]}
    with pytest.raises(ValidationError) as exc:
        _Out.model_validate({"name": 3, "items": []})
    assert [e["loc"] for e in exc.value.errors()] == [("name",)]


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_the_events_page_is_planned_in_join_order_on_postgresql(world, api):
    """The page statement of ``GET /cases/`` is planned in the order its joins are written
    (``scope.rows_in_join_order``: the planner's search was most of its cost), in its own
    transaction, so the setting ends with it."""
    street = world.users["street"]
    report(world.users["grid"], TEXT, area=world.grid)
    api.get(street, "/api/v1/cases/")
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(street, "/api/v1/cases/")
    assert r.status_code == 200 and r.json()["count"] == 1
    sql = [q["sql"] for q in ctx.captured_queries]
    at_set = sql.index("SET LOCAL join_collapse_limit = 1")
    assert "LIMIT" in sql[at_set + 1] and '"cases_event"' in sql[at_set + 1]
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        assert cursor.fetchone()[0] == "8"


# --- the events list read as tuples (``cases.event_page``) ----------------------------------------

_EVENT_LISTS = (
    {},
    {"page_size": 2},
    {"page_size": 2, "page": 2},
    {"page": 99},
    {"state": "dispatched"},
    {"state": "collected,opened,closed"},
    {"state": ","},
    {"state": "nonsense"},
    {"class_code": "street_order"},
    {"class_code": "no_such_class"},
    {"department": "DEPT"},
    {"state": "dispatched", "department": "DEPT", "page_size": 1},
    {"mine": "true"},
    {"mine": "true", "state": "collected"},
    {"q": "  "},
    {"q": "井盖"},
    {"area": "GRID"},
    {"sla": "normal"},
)


def _event_lists(api, user, world, dept) -> list:
    out = []
    for params in _EVENT_LISTS:
        fixed = {
            k: dept.pk if v == "DEPT" else world.grid.pk if v == "GRID" else v
            for k, v in params.items()
        }
        r = api.get(user, "/api/v1/cases/", **fixed)
        out.append((params, r.status_code, r.content))
    return out


def test_the_events_list_answers_the_same_bytes_either_way(
    world, api, depts, dept_users, actors, monkeypatch
):
    """The events list read as tuples by compiled statements answers what the ORM path
    answers, byte for byte: several filters, for the street, a grid worker, a department, a
    resident (their own view: an anonymous report of theirs), a member and another street."""
    from dangjian.cases import event_page

    street, grid = world.users["street"], world.users["grid"]
    sanitation = depts["环卫所"]
    with time_machine.travel(at(2025, 6, 10, 9, 0), tick=False):
        mine = report(world.resident, "小区东门垃圾堆积发臭好几天了", anonymous=True)
        theirs = report(world.users["member"], "北门井盖缺失很危险，晚上看不见")
        report(grid, "菜市场门口流动摊贩占道经营", class_code="street_order")
        report(
            world.users["community"],
            "楼道里的灯坏了一个多月，晚上出入很不方便",
            area=world.grid,
            source="phone",
            reporter_name="张三",
            reporter_phone="13700002222",
        )
        actors.drive(mine, "dispatched")
        actors.drive(theirs, "closed")
        closed = report(world.resident, "第3号楼门口井盖缺失，位置在3单元旁")
        actors.drive(closed, "evaluated")
        users = [
            street,
            grid,
            dept_users[sanitation.pk],
            world.resident,
            world.users["member"],
            world.users["street3"],
        ]
        assert event_page.fast_page(street, state="dispatched", mine=True) is not None
        assert event_page.fast_page(street, q="井盖") is None
        fast = [_event_lists(api, u, world, sanitation) for u in users]
        monkeypatch.setattr(event_page, "FAST_PATH", False)
        slow = [_event_lists(api, u, world, sanitation) for u in users]
    for user, f, s in zip(users, fast, slow, strict=True):
        for (params, fs, fb), (_, ss, sb) in zip(f, s, strict=True):
            assert (fs, fb) == (ss, sb), (user.username, params)
    # The fast path's statements compiled (none fell back to the ORM for want of stand-ins).
    from dangjian.core import scope

    ours = [(k[0], v) for k, v in scope._COMPILED.items() if str(k[0]).startswith("cases.")]
    assert {k for k, _ in ours} >= {
        "cases.events.count",
        "cases.events.page",
        "cases.events.area_names",
    }
    assert all(isinstance(v, scope.Compiled) for _, v in ours)
    by_street = {str(p): (s, b) for p, s, b in fast[0]}
    assert by_street["{}"][0] == 200 and by_street["{}"][1].count(b'"state"') == 5
    assert by_street[str({"state": "nonsense"})][0] == 422
    assert b"137****2222" in by_street["{}"][1] and b'"department_label": "' in by_street["{}"][1]
    resident = {str(p): b for p, _s, b in fast[3]}
    assert b'"is_mine": true' in resident[str({"mine": "true"})]


def test_the_home_grid_is_read_whole_as_the_orm_reads_it(world):
    """A resident's home grid (the area of a report without ``area_id``) by the compiled
    statement: the very row, every column, that the ORM's query reads; none above a grid."""
    from dangjian.cases import selectors
    from dangjian.core import scope
    from dangjian.territory.models import Area

    square = [[[119.0, 25.4], [119.1, 25.4], [119.1, 25.5], [119.0, 25.5], [119.0, 25.4]]]
    Area.objects.filter(pk=world.grid.pk).update(
        boundary={"type": "Polygon", "coordinates": square}
    )
    columns = [f.attname for f in Area._meta.concrete_fields]
    for path in (world.resident.area_path, world.grid.path, world.street.path):
        got = selectors._home_grid(path)
        want = selectors._grids_above(path).first()
        if want is None:
            assert got is None and path == world.street.path
            continue
        assert [getattr(got, c) for c in columns] == [getattr(want, c) for c in columns]
        assert got._state.db == want._state.db and not got._state.adding
    assert selectors._home_grid(world.grid.path).boundary["coordinates"] == square
    found = [v for k, v in scope._COMPILED.items() if k[0] == "cases.home_grid"]
    assert found and all(isinstance(v, scope.Compiled) for v in found)
