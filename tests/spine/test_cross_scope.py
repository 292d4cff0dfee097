"""The one shared cross-scope test class (DESIGN.md, "Data scope").

Every route in ``tests.spine.crossscope.ROUTES`` (a package, one module per domain) is run as
``t-street3`` (a street of the other county) on the first county's objects: lists show none of
them, detail and children read 404 (never 403, never 200), and nothing changes. Anonymous visitors get 401 from the API
and a redirect to /login/ from the console. A control run as the administrator proves that
each route could have shown the objects.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from tests.spine import crossscope
from tests.spine.crossscope import ROUTES, Answer, Probe, Route


class Caller:
    """Calls a route as a user: bearer token for the API, a session for the console."""

    def __init__(self, client, api):
        self.client = client
        self.api = api

    def prepare(self, route: Route, user) -> dict:
        """Everything that writes (token issue) happens here, before the state is taken."""
        if route.surface == "api":
            return self.api._headers(user)
        if user is None:
            self.client.logout()
        else:
            self.client.force_login(user)
        return {}

    def call(self, route: Route, user, probe: Probe | None = None) -> Answer:
        headers = self.prepare(route, user)
        url = route.url(probe)
        if route.method == "GET":
            r = self.client.get(url, headers=headers)
        elif route.surface == "api":
            r = self.client.generic(
                route.method,
                url,
                json.dumps(route.body(probe)),
                content_type="application/json",
                headers=headers,
            )
        else:
            r = self.client.generic(
                route.method,
                url,
                urlencode(route.body(probe), doseq=True),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        ctype = r.get("Content-Type", "")
        body = None
        if ctype.startswith("application/vnd.openxml") and not getattr(r, "streaming", False):
            # a list's export (web.listing): its cells, so the probes' names can be looked for
            from dangjian.core import excel

            cells = (v for row in excel.read_rows(r.content) for v in row.values)
            text = "\n".join(str(v) for v in cells if v not in (None, ""))
        elif "json" in ctype:
            body = r.json()
            text = json.dumps(body, ensure_ascii=False)
        elif getattr(r, "streaming", False):  # a file download (FileResponse)
            text = b"".join(r.streaming_content).decode("utf-8", "replace")
        else:
            text = r.content.decode("utf-8", "replace")
        items = None
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            items = [i.get("id") for i in body["items"] if isinstance(i, dict)]
        return Answer(r.status_code, text, items, r.get("Location", ""), body)


def _shows(answer: Answer, probe: Probe, *, names: bool) -> bool:
    if answer.item_ids is not None and probe.pk in answer.item_ids:
        return True
    if any(m in answer.text for m in probe.markers):
        return True
    return names and not probe.ancestor and probe.name in answer.text


@pytest.fixture
def world(shared_world):
    """The module's one world (tests/conftest.py): every route's probes are made in the test's
    own savepoint on top of it, so they and whatever a route wrote are gone for the next."""
    return shared_world


@pytest.mark.django_db
class TestCrossScope:
    @pytest.fixture
    def caller(self, client, api):
        return Caller(client, api)

    @staticmethod
    def _need(route: Route):
        if route.surface == "console" and not route.exists():
            pytest.skip(f"console route not built yet: {route.path}")

    @pytest.mark.parametrize("route", ROUTES, ids=str)
    def test_out_of_scope_user_sees_nothing_and_changes_nothing(self, route, world, caller):
        self._need(route)
        probes = crossscope.FACTORIES[route.factory](world)
        assert probes, f"factory {route.factory!r} made no probes"
        outsider = world.users[crossscope.OUTSIDER]
        caller.prepare(route, outsider)
        before = crossscope.state()
        if route.kind in ("list", "self", "export"):
            answer = caller.call(route, outsider)
            assert answer.status == 200, (route, answer.status, answer.text[:300])
            shown = [p for p in probes if _shows(answer, p, names=True)]
            assert not shown, (
                f"{route} shows out-of-scope objects to {crossscope.OUTSIDER}: {shown}"
            )
        else:
            for probe in probes:
                answer = caller.call(route, outsider, probe)
                assert answer.status == 404, (route, probe, answer.status, answer.text[:300])
                assert probe.name not in answer.text or probe.ancestor
                if route.surface == "api":
                    assert answer.json == {"detail": "未找到"}
        if route.kind == "export" and route.data == crossscope.EXPORT:
            # an export is logged, whoever makes it (DESIGN.md): its one audit row, nothing else
            before["core.AuditEntry"] += 1
        assert crossscope.state() == before, f"{route} changed data for an out-of-scope user"

    @pytest.mark.parametrize("route", [r for r in ROUTES if r.control], ids=str)
    def test_insider_control(self, route, world, caller):
        """The administrator sees the probes: the out-of-scope test is not vacuous."""
        self._need(route)
        probes = crossscope.FACTORIES[route.factory](world)
        insider = world.users[crossscope.INSIDER]
        if route.kind in ("list", "export"):
            answer = caller.call(route, insider)
            assert answer.status == 200, (route, answer.status, answer.text[:300])
            assert any(_shows(answer, p, names=True) for p in probes), (
                f"{route}: the control sees no probe"
            )
        else:
            expected = route.control_status if route.kind == "write" else {200}
            for probe in probes:
                answer = caller.call(route, insider, probe)
                assert answer.status in expected, (route, probe, answer.status, answer.text[:300])

    @pytest.mark.parametrize("route", ROUTES, ids=str)
    def test_anonymous(self, route, world, caller):
        self._need(route)
        probe = crossscope.FACTORIES[route.factory](world)[0]
        before = crossscope.state()
        answer = caller.call(route, None, probe)
        if route.surface == "api":
            assert answer.status == 401, (route, answer.status)
            assert answer.json == {"detail": "未登录或登录已过期"}
        else:
            assert answer.status in (301, 302), (route, answer.status)
            assert answer.location.startswith("/login/"), answer.location
        assert crossscope.state() == before


def test_registry_is_well_formed():
    seen = set()
    for route in ROUTES:
        assert route.factory in crossscope.FACTORIES, route
        if route.kind in ("detail", "children"):
            assert "{id}" in route.path, route
        elif route.kind == "write":
            assert route.method != "GET", route
            assert "{id}" in route.path or callable(route.data), route
        elif route.kind == "export":  # a list started by POST (a cross-site <img> cannot)
            assert "{id}" not in route.path and route.method == "POST", route
        else:
            assert "{id}" not in route.path and route.method == "GET", route
        assert route.surface == "console" or route.path.startswith("/api/v1/"), route
        assert str(route) not in seen, f"duplicate {route}"
        seen.add(str(route))


def test_every_api_route_is_registered():
    """A module that adds a scoped API route appends it to ``crossscope.ROUTES``."""
    from dangjian.api import api

    schema = api.get_openapi_schema()
    registered = {(r.method, _shape(r.path.split("?", 1)[0])) for r in ROUTES if r.surface == "api"}
    open_routes = crossscope.UNSCOPED_API_ROUTES
    missing = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if (method.upper(), _shape(path)) not in registered
        and (method.upper(), path) not in open_routes
    ]
    assert not missing, f"scoped API routes missing from tests/spine/crossscope/ ROUTES: {missing}"


def test_every_console_route_is_registered():
    """Console pages too: each one that shows scoped rows is in ``crossscope.ROUTES``."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix="/"):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif isinstance(p, URLPattern):
                yield route

    registered = {_shape(r.path) for r in ROUTES if r.surface == "console"}
    missing = [
        path
        for path in (_shape(re.sub(r"<[^>]+>", "{}", r)) for r in walk(get_resolver().url_patterns))
        if not path.startswith("/api/")
        and path not in registered
        and path not in crossscope.UNSCOPED_CONSOLE_ROUTES
    ]
    assert not missing, f"console routes missing from tests/spine/crossscope/ ROUTES: {missing}"


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)
