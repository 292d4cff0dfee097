"""API conventions (DESIGN.md): pagination, errors in Chinese, no 500, docs offline, query
counts that do not grow with the page, and a street of 10,000 grids."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest
from django.contrib.staticfiles import finders
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dangjian.core import tree
from dangjian.core.pinyin import initials
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.territory.models import LEVEL_OF, Area, AreaKind
from tests import world as w

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LISTS = ["/api/v1/areas/", "/api/v1/orgs/"]


def bulk_children(parent, model, count: int, name: str, **fields) -> list:
    """``count`` children of ``parent`` in one insert, paths from core.tree like node_insert's."""
    parent = model.objects.get(pk=parent.pk)
    start = parent.next_child
    rows = [
        model(
            parent=parent,
            path=tree.child_path(parent.path, start + i),
            depth=parent.depth + 1,
            name=f"{name}{i:05d}",
            pinyin=initials(name),
            **fields,
        )
        for i in range(count)
    ]
    model.objects.bulk_create(rows, batch_size=2000)
    model.objects.filter(pk=parent.pk).update(
        next_child=start + count, child_count=parent.child_count + count
    )
    return rows


def grids(parent, count, name="网格"):
    return bulk_children(
        parent, Area, count, name, kind=AreaKind.GRID, level=LEVEL_OF[AreaKind.GRID]
    )


def branches(parent, anchor, count, name="支部"):
    return bulk_children(
        parent,
        PartyOrg,
        count,
        name,
        kind=OrgKind.BRANCH,
        domain=OrgDomain.COMMUNITY,
        area=anchor,
        area_path=anchor.path,
    )


# --- pagination ----------------------------------------------------------------------------------
@pytest.mark.django_db
class TestPagination:
    @pytest.fixture
    def street(self, world):
        grids(world.street2, 45)
        return world.street2

    def test_default_and_pages(self, world, api, street):
        admin = world.users["admin"]
        r = api.get(admin, "/api/v1/areas/", parent=street.pk)
        body = r.json()
        assert r.status_code == 200
        assert set(body) == {"items", "count"}
        assert body["count"] == 46  # the community and 45 grids
        assert len(body["items"]) == 20
        third = api.get(admin, "/api/v1/areas/", parent=street.pk, page=3).json()
        assert len(third["items"]) == 6 and third["count"] == 46
        assert api.get(admin, "/api/v1/areas/", parent=street.pk, page=4).json() == {
            "items": [],
            "count": 46,
        }
        big = api.get(admin, "/api/v1/areas/", parent=street.pk, page_size=200).json()
        assert len(big["items"]) == 46
        paths = [i["path"] for i in big["items"]]
        assert paths == sorted(paths)
        pages = [
            i["id"]
            for p in (1, 2, 3)
            for i in api.get(admin, "/api/v1/areas/", parent=street.pk, page=p).json()["items"]
        ]
        assert pages == [i["id"] for i in big["items"]]
        assert (
            api.get(admin, "/api/v1/areas/", parent=street.pk, page_size=1).json()["items"][0][
                "name"
            ]
            == "凤山社区"
        )
        assert api.get(admin, "/api/v1/areas/", parent=street.pk, page=10**30).json() == {
            "items": [],
            "count": 46,
        }

    @pytest.mark.parametrize("path", LISTS)
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"page": "0"}, "page"),
            ({"page": "-1"}, "page"),
            ({"page_size": "201"}, "page_size"),
            ({"page_size": "0"}, "page_size"),
            ({"page": "abc"}, "page"),
            ({"page_size": "1e3"}, "page_size"),
            ({"page": "1.5"}, "page"),
            ({"parent": "x"}, "parent"),
        ],
    )
    def test_bad_page_params_are_422_in_chinese(self, world, api, path, params, field):
        r = api.get(world.users["admin"], path, **params)
        assert r.status_code == 422, r.content
        body = r.json()
        assert CHINESE.search(body["detail"])
        assert list(body["errors"]) == [field]
        assert all(CHINESE.search(m) for m in body["errors"][field])

    def test_page_size_limits(self, world, api, street):
        admin = world.users["admin"]
        assert api.get(admin, "/api/v1/areas/", parent=street.pk, page_size=200).status_code == 200
        assert api.get(admin, "/api/v1/areas/", parent=street.pk, page_size=1).status_code == 200
        assert api.get(admin, "/api/v1/areas/", parent=street.pk, page="").status_code == 200


# --- errors ----------------------------------------------------------------------------------------
@pytest.mark.django_db
class TestErrors:
    @pytest.mark.parametrize(
        "raw",
        [
            '{"username": ',
            "{",
            "not json",
            '{"username": "a", "password": "b"',
            "\xff\xfe",
            "[1, 2",
        ],
    )
    def test_malformed_json_is_a_4xx_json_answer(self, world, client, raw):
        r = client.post("/api/v1/auth/token", raw, content_type="application/json")
        assert 400 <= r.status_code < 500, r.content
        assert r["Content-Type"].startswith("application/json")
        assert CHINESE.search(r.json()["detail"])

    @pytest.mark.parametrize("raw", ["null", "[]", '"x"', "1", "{}"])
    def test_wrong_shapes(self, world, client, raw):
        r = client.post("/api/v1/auth/token", raw, content_type="application/json")
        assert r.status_code == 422
        assert CHINESE.search(r.json()["detail"])

    def test_missing_fields_are_named_in_chinese(self, world, client):
        r = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "t-street"}),
            content_type="application/json",
        )
        assert r.status_code == 422
        body = r.json()
        assert body["detail"] == "输入有误，请检查标出的字段"
        assert body["errors"] == {"password": ["此项为必填项"]}
        r = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": 5, "password": None}),
            content_type="application/json",
        )
        assert r.json()["errors"] == {"username": ["必须是文本"], "password": ["必须是文本"]}

    def test_wrong_content_type(self, world, client):
        r = client.post(
            "/api/v1/auth/token",
            "username=a&password=b",
            content_type="application/x-www-form-urlencoded",
        )
        assert 400 <= r.status_code < 500
        assert CHINESE.search(r.json()["detail"])

    def test_nul_bytes_never_reach_the_database_as_500(self, world, api, client):
        r = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "t-street\x00", "password": "x"}),
            content_type="application/json",
        )
        assert r.status_code == 401
        assert api.get(world.users["admin"], "/api/v1/areas/", q="龙\x00桥").status_code == 200

    @pytest.mark.parametrize("path", ["/api/v1/areas/{}", "/api/v1/orgs/{}"])
    @pytest.mark.parametrize("pk", [987654, 2**31, 2**62, 2**63 - 1, 2**63, 2**64, 10**30])
    def test_unknown_and_huge_ids_are_404(self, world, api, path, pk):
        r = api.get(world.users["admin"], path.format(pk))
        assert r.status_code == 404, r.content
        assert r.json() == {"detail": "未找到"}

    @pytest.mark.parametrize("path", LISTS)
    @pytest.mark.parametrize("pk", ["987654", str(2**63), str(10**30), "-1", "0"])
    def test_unknown_and_huge_parents_are_404(self, world, api, path, pk):
        r = api.get(world.users["admin"], path, parent=pk)
        assert r.status_code == 404, r.content
        assert r.json() == {"detail": "未找到"}

    def test_non_integer_id_is_404(self, world, api):
        assert api.get(world.users["admin"], "/api/v1/areas/abc").status_code == 404

    def test_unauthenticated_is_401_in_chinese(self, world, client):
        r = client.get("/api/v1/areas/")
        assert r.status_code == 401
        assert r.json() == {"detail": "未登录或登录已过期"}


# --- open routes and the docs ---------------------------------------------------------------------
@pytest.mark.django_db
def test_health_is_open(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] == connection.vendor


@pytest.mark.django_db
def test_openapi_document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert CHINESE.search(doc["info"]["title"])
    ops = [op for item in doc["paths"].values() for op in item.values()]
    ids = [op["operationId"] for op in ops]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    assert {
        "/api/v1/areas/",
        "/api/v1/areas/{node_id}",
        "/api/v1/orgs/",
        "/api/v1/orgs/{node_id}",
        "/api/v1/me",
        "/api/v1/auth/token",
        "/api/v1/health",
    } <= set(doc["paths"])
    # every $ref resolves
    text = json.dumps(doc)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in doc["components"]["schemas"], ref
    # errors are documented with the shared schema
    assert set(doc["paths"]["/api/v1/areas/{node_id}"]["get"]["responses"]) >= {"200", "401", "404"}
    list_params = {p["name"] for p in doc["paths"]["/api/v1/areas/"]["get"]["parameters"]}
    assert list_params >= {"page", "page_size", "parent", "q"}
    for name, schema in doc["components"]["schemas"].items():
        assert schema.get("type") == "object" and "properties" in schema, name


@pytest.mark.django_db
def test_docs_page_uses_only_local_assets(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger" in html.lower()
    srcs = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs, html
    for src in srcs:
        assert src.startswith("/") and not src.startswith("//"), f"{src} is not served locally"
        assert not re.match(r"^(https?:)?//", src)
    assert "cdn" not in html.lower()
    assert not re.search(r"https?://(?!localhost|127\.0\.0\.1|testserver)", html)
    for src in srcs:
        if src.startswith("/static/"):
            assert finders.find(src[len("/static/") :]), f"{src} is not among the static files"


# --- queries do not grow with the page -------------------------------------------------------------
def _queries(api, user, path, **params) -> tuple[int, dict]:
    api.get(user, path, **params)  # warm up: token last-use stamp and the like
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(user, path, **params)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries), r.json()


@pytest.fixture
def small_and_large(world):
    """Two parents in each tree, with 5 and 50 children; two users with 5 and 50 grants."""
    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import Grant, Role, User

    with transaction.atomic():
        small = w.area(world.county2, "小街道", AreaKind.STREET)
        large = w.area(world.county2, "大街道", AreaKind.STREET)
        small_kids = grids(small, 5)
        large_kids = grids(large, 50)
        org_small = w.org(world.orgs["county2_committee"], "小党委", OrgKind.COMMITTEE, small)
        org_large = w.org(world.orgs["county2_committee"], "大党委", OrgKind.COMMITTEE, large)
        branches(org_small, small, 5)
        branches(org_large, large, 50)
    role = Role.objects.get(code="grid_worker")
    users = {}
    for label, kids in (("small", small_kids), ("large", large_kids)):
        u = User.objects.create_user(f"pin-{label}", password=w.PASSWORD)
        Grant.objects.bulk_create(
            [Grant(user=u, role=role, area=Area.objects.get(path=k.path)) for k in kids]
        )
        users[label] = u
    del accounts
    return {"area": (small, large), "org": (org_small, org_large), "users": users}


@pytest.mark.django_db
class TestQueryCounts:
    @pytest.mark.parametrize(
        ("path", "tree_name"), [("/api/v1/areas/", "area"), ("/api/v1/orgs/", "org")]
    )
    def test_children_list(self, world, api, small_and_large, path, tree_name):
        small, large = small_and_large[tree_name]
        admin = world.users["admin"]
        n_small, body_small = _queries(api, admin, path, parent=small.pk, page_size=200)
        n_large, body_large = _queries(api, admin, path, parent=large.pk, page_size=200)
        assert (body_small["count"], body_large["count"]) == (5, 50)
        assert len(body_large["items"]) == 50
        assert n_small == n_large, f"{path}: {n_small} queries for 5 children, {n_large} for 50"

    @pytest.mark.parametrize(
        ("path", "tree_name"), [("/api/v1/areas/", "area"), ("/api/v1/orgs/", "org")]
    )
    def test_search(self, world, api, small_and_large, path, tree_name):
        small, large = small_and_large[tree_name]
        admin = world.users["admin"]
        word = "网格" if tree_name == "area" else "支部"
        n_small, b_small = _queries(api, admin, path, parent=small.pk, q=word, page_size=200)
        n_large, b_large = _queries(api, admin, path, parent=large.pk, q=word, page_size=200)
        assert (b_small["count"], b_large["count"]) == (5, 50)
        assert n_small == n_large

    def test_topmost_list(self, world, api, small_and_large):
        users = small_and_large["users"]
        n_small, b_small = _queries(api, users["small"], "/api/v1/areas/", page_size=200)
        n_large, b_large = _queries(api, users["large"], "/api/v1/areas/", page_size=200)
        assert (b_small["count"], b_large["count"]) == (5, 50)
        assert n_small == n_large

    def test_detail(self, world, api, small_and_large):
        small, large = small_and_large["org"]
        admin = world.users["admin"]
        assert (
            _queries(api, admin, f"/api/v1/orgs/{small.pk}")[0]
            == _queries(api, admin, f"/api/v1/orgs/{large.pk}")[0]
        )


# --- a street of 10,000 grids ------------------------------------------------------------------------
@pytest.mark.django_db
def test_ten_thousand_grids_under_one_street(world, api):
    started = time.monotonic()
    with transaction.atomic():
        street = w.area(world.county2, "万格街道", AreaKind.STREET)
        small = w.area(world.county2, "五格街道", AreaKind.STREET)
    grids(street, 10_000)
    grids(small, 5)
    street.refresh_from_db()
    assert street.child_count == 10_000 and street.next_child == 10_000
    admin = world.users["admin"]

    body = api.get(admin, "/api/v1/areas/", parent=street.pk).json()
    assert body["count"] == 10_000 and len(body["items"]) == 20
    page500 = api.get(admin, "/api/v1/areas/", parent=street.pk, page=500).json()
    assert page500["count"] == 10_000
    assert [i["name"] for i in page500["items"]] == [f"网格{i:05d}" for i in range(9980, 10_000)]
    assert api.get(admin, "/api/v1/areas/", parent=street.pk, page=501).json() == {
        "items": [],
        "count": 10_000,
    }

    found = api.get(admin, "/api/v1/areas/", parent=street.pk, q="网格04242").json()
    assert [i["name"] for i in found["items"]] == ["网格04242"]
    assert api.get(admin, "/api/v1/areas/", q="04242").json()["count"] == 1
    assert api.get(admin, "/api/v1/areas/", parent=street.pk, q="wg").json()["count"] == 10_000

    # the street range holds exactly the street and its grids
    assert Area.objects.filter(tree.subtree_q("path", street.path)).count() == 10_001
    n_small, _ = _queries(api, admin, "/api/v1/areas/", parent=small.pk)
    n_large, _ = _queries(api, admin, "/api/v1/areas/", parent=street.pk, page=500)
    assert n_small == n_large
    n_small, _ = _queries(api, admin, "/api/v1/areas/", parent=small.pk, q="网格")
    n_large, _ = _queries(api, admin, "/api/v1/areas/", parent=street.pk, q="网格")
    assert n_small == n_large
    # the street worker sees the same through the range of their grant
    from dangjian.accounts import services as accounts
    from dangjian.accounts.models import User

    worker = User.objects.create_user("wange-worker", password=w.PASSWORD)
    accounts.grant_add(actor=None, user=worker, role_code="grid_worker", area=street)
    assert api.get(worker, "/api/v1/areas/", parent=street.pk, page=500).json()["count"] == 10_000
    assert api.get(worker, "/api/v1/areas/").json()["count"] == 1
    assert time.monotonic() - started < 20


# --- session auth and CSRF ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_session_auth_checks_csrf_only_for_a_logged_in_session(world):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory
    from ninja.errors import HttpError

    from dangjian.accounts.api import ActiveSessionAuth

    auth = ActiveSessionAuth()
    anonymous = RequestFactory().post("/api/v1/anything", {})
    anonymous.user = AnonymousUser()
    assert auth(anonymous) is None  # → 401, not a 403 about CSRF

    forged = RequestFactory().post("/api/v1/anything", {})
    forged.user = world.users["street"]
    with pytest.raises(HttpError) as exc:
        auth(forged)
    assert exc.value.status_code == 403

    locked = RequestFactory().get("/api/v1/anything")
    from django.utils import timezone

    locked.user = world.users["street"]
    assert auth(locked) == world.users["street"]
    locked.user.locked_until = timezone.now() + dt.timedelta(minutes=5)
    assert auth(locked) is None


@pytest.mark.django_db
def test_csrf_failure_is_told_in_chinese(world):
    from django.test import RequestFactory
    from ninja.errors import HttpError

    from dangjian.api import _http_error

    r = _http_error(RequestFactory().post("/api/v1/anything"), HttpError(403, "CSRF check Failed"))
    assert r.status_code == 403
    assert CHINESE.search(json.loads(r.content)["detail"])


@pytest.mark.django_db
def test_session_login_reads_the_api(world, client):
    client.force_login(world.users["street"])
    r = client.get("/api/v1/areas/")
    assert r.status_code == 200 and r.json()["count"] == 1


def test_schema_names_are_unique_across_apps():
    """The OpenAPI document names components by class name: two apps' ``TotalsOut`` would
    silently share one schema and the documented answer of one route would be the other's."""
    from ninja import Schema

    import dangjian.api  # noqa: F401 - every router imported

    seen: dict[str, set[str]] = {}
    todo = list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("dangjian."):
            seen.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(where) for name, where in seen.items() if len(where) > 1}
    assert not clashes, clashes
