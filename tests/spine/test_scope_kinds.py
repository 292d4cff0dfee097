"""The reach kinds of ``core.scope``: each is visible to the reach it names and invisible to
another; every scoped model declares its kinds (and they resolve on the model); kinds read
through a subquery fall back from the compiled fast paths to the ORM; ``scoped_object`` hands a
view the object in scope (404 outside, 403 visible but not allowed)."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from django.apps import apps
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from dangjian.accounts.models import Department, UserKind
from dangjian.cases.models import VisitTeam
from dangjian.core import scope
from dangjian.core.scope import (
    PERSONAL,
    Reach,
    ScopedQuerySet,
    ScopeFields,
)
from dangjian.core.scope import (
    Department as DepartmentKind,
)
from dangjian.members.models import JobKind, Member, MemberJob, MemberTransfer
from dangjian.orglife.models import Attendance, Session, SessionOrg
from dangjian.territory.models import Area
from tests import world as world_mod

VIEW = "members.view"


def _member(org, user=None, name="党员甲") -> Member:
    return Member.objects.create(
        name=name,
        gender="male",
        ethnicity="01",
        birth_date=dt.date(1980, 1, 1),
        joined_on=dt.date(2005, 7, 1),
        confirmed_on=dt.date(2006, 7, 1),
        status="full",
        org=org,
        org_path=org.path,
        user=user,
    )


def _visible(model, user, action, obj, **kw) -> bool:
    return model.objects.visible_to(user, action, **kw).filter(pk=obj.pk).exists()


# --- every scoped model declares its kinds ---------------------------------------------------


def _scoped_models():
    return [
        m
        for m in apps.get_models()
        if isinstance(getattr(m._default_manager, "get_queryset", lambda: None)(), ScopedQuerySet)
    ]


def test_every_scoped_model_declares_its_kinds():
    full = Reach(area_paths=("0001",), org_paths=("0001",), user_id=1, department_ids=(1,))
    models = _scoped_models()
    assert {Member, MemberTransfer, Session, VisitTeam, MemberJob} <= set(models)
    for model in models:
        fields = getattr(model, "scope_fields", None)
        assert isinstance(fields, ScopeFields), model
        kinds = (*fields.declared(), *fields.personal)
        assert kinds, f"{model.__name__} declares no reach kind"
        # visible_to is the kernel's, never a model's own
        assert type(model._default_manager.get_queryset()).visible_to is ScopedQuerySet.visible_to
        for kind in kinds:
            terms = kind.terms(model, full, 1, "")
            assert terms, (model, kind)
            # every lookup resolves on the model (compiling the statement reads each field)
            str(model._default_manager.filter(scope.terms_q(terms)).query)


def test_via_names_only_declared_fields(world):
    with pytest.raises(scope.ScopeError):
        MemberTransfer.objects.visible_to(world.users["admin"], VIEW, via=("org_path",))


# --- each kind: visible to the reach it names, invisible to another ----------------------------


def test_subtree_and_either_side_of_a_transfer(world):
    o = world.orgs
    m = _member(o["grid_branch"])
    t = MemberTransfer.objects.create(
        member=m,
        member_name=m.name,
        kind="internal",
        from_org=o["grid_branch"],
        from_org_path=o["grid_branch"].path,
        to_org=o["village_branch"],
        to_org_path=o["village_branch"].path,
    )
    village = world_mod.user("t-village", role="secretary", org_node=o["village_committee"])
    street2 = world_mod.user("t-street2", role="township_staff", org_node=o["street2_wc"])
    community = world.users["community"]
    assert _visible(MemberTransfer, community, VIEW, t)  # the sending side
    assert _visible(MemberTransfer, village, VIEW, t)  # the receiving side
    assert not _visible(MemberTransfer, street2, VIEW, t)  # neither
    # one side only
    from_side, to_side = MemberTransfer.SIDES["from"], MemberTransfer.SIDES["to"]
    assert _visible(MemberTransfer, community, VIEW, t, via=from_side)
    assert not _visible(MemberTransfer, community, VIEW, t, via=to_side)
    assert _visible(MemberTransfer, village, VIEW, t, via=to_side)
    assert not scope.is_visible(t, village, VIEW, via=from_side)


def test_own(world):
    me = world.users["member"]
    mine = _member(world.orgs["grid_branch"], user=me)
    other = _member(world.orgs["grid_branch"], name="党员乙")
    assert _visible(Member, me, VIEW, mine)
    assert not _visible(Member, me, VIEW, other)
    assert not _visible(Member, world.users["resident"], VIEW, mine)


def test_department(world):
    street = world.nodes["street"]
    served = Department.objects.create(name="环卫所", area=street, area_path=street.path)
    other = Department.objects.create(name="城管", area=street, area_path=street.path)
    clerk = world_mod.user("t-dept", role="department", kind=UserKind.DEPARTMENT, department=served)
    assert _visible(Department, clerk, "cases.handle", served)
    assert not _visible(Department, clerk, "cases.handle", other)
    assert scope.kinds_of(Department)[-1] == DepartmentKind("id")


def test_team_membership(world):
    village = world.nodes["village"]
    team = VisitTeam.objects.create(area=village, area_path=village.path, name="第一组")
    grid = world.users["grid"]  # a grid worker elsewhere, holding cases.visit on their grid
    other = world_mod.user("t-grid2", role="grid_worker", area_node=world.nodes["grid2"])
    nobody = world.users["nobody"]
    assert not _visible(VisitTeam, grid, "cases.visit", team)
    team.members.add(grid, nobody)
    team.staff.add(other)
    assert _visible(VisitTeam, grid, "cases.visit", team)  # on the team
    assert _visible(VisitTeam, other, "cases.view", team)  # staff of the team
    # on the team but holding the action nowhere: nothing
    assert not _visible(VisitTeam, nobody, "cases.visit", team)
    outsider = world_mod.user("t-grid3", role="grid_worker", area_node=world.nodes["grid"])
    assert not _visible(VisitTeam, outsider, "cases.visit", team)
    # one row, whatever the number of ways the user reaches it
    team.staff.add(grid)
    assert VisitTeam.objects.visible_to(grid, "cases.visit").filter(pk=team.pk).count() == 1


def _session(org) -> Session:
    start = timezone.make_aware(dt.datetime(2026, 11, 20, 9))
    return Session.objects.create(
        org=org,
        org_path=org.path,
        session_type="theme_day",
        topic="联合主题党日",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        month=202611,
        checkin_nonce="x",
    )


def test_through_a_related_row(world):
    o = world.orgs
    s = _session(o["grid_branch"])
    village = world_mod.user("t-village", role="secretary", org_node=o["village_committee"])
    assert not _visible(Session, village, "orglife.view", s)
    SessionOrg.objects.create(session=s, org=o["village_branch"], org_path=o["village_branch"].path)
    assert _visible(Session, village, "orglife.view", s)  # a participating organization
    street2 = world_mod.user("t-street2", role="township_staff", org_node=o["street2_wc"])
    assert not _visible(Session, street2, "orglife.view", s)
    # on the roster: a member of another organization, invited
    me = world.users["member"]
    m = _member(o["village_branch"], user=me)
    assert not _visible(Session, me, "orglife.view", s)
    Attendance.objects.create(
        session=s, member=m, member_name=m.name, org_path=m.org_path, role="invitee"
    )
    assert _visible(Session, me, "orglife.view", s)
    assert not _visible(Session, world.users["resident"], "orglife.view", s)


def test_personal_kinds_answer_personal_only(world):
    me, admin = world.users["member"], world.users["admin"]
    job = MemberJob.objects.create(kind=JobKind.EXPORT, actor=me)
    assert _visible(MemberJob, me, PERSONAL, job)
    assert not _visible(MemberJob, admin, PERSONAL, job)  # the root grant reads no one's job
    assert not _visible(MemberJob, me, VIEW, job)  # no grant reaches a job
    assert not _visible(MemberJob, admin, "*", job)
    nobody = world_mod.user("t-plain")  # signed in, no grant at all
    own = MemberJob.objects.create(kind=JobKind.IMPORT, actor=nobody)
    assert list(MemberJob.objects.visible_to(nobody, PERSONAL)) == [own]


def test_personal_through_where(world):
    from dangjian.development.models import Applicant
    from tests.development import helpers as h

    contact_user = world_mod.user("t-contact", role="member", kind=UserKind.MEMBER)
    contact = h.full_members(world, 1, prefix="联系人")[0]
    contact.user = contact_user
    contact.save()
    sponsor_user = world_mod.user("t-sponsor", role="member", kind=UserKind.MEMBER)
    sponsors = h.full_members(world, 2, prefix="介绍人")
    sponsors[0].user = sponsor_user
    sponsors[0].save()
    a = h.applicant(world, user=world.users["resident"])
    a = h.walk(
        world, a, 9, dt.date(2026, 1, 5), people={"contacts": [contact], "sponsors": sponsors}
    )
    assert _visible(Applicant, world.users["resident"], PERSONAL, a)  # one's own
    assert _visible(Applicant, contact_user, PERSONAL, a)  # a contact of it
    assert not _visible(Applicant, sponsor_user, PERSONAL, a)  # a sponsor is not a contact
    # the contact reaches it only as themselves, not through the development.view grant
    assert not _visible(Applicant, contact_user, "development.view", a)


# --- fast paths ------------------------------------------------------------------------------


def test_subquery_kinds_fall_back_from_the_compiled_paths(world):
    o = world.orgs
    s = _session(o["grid_branch"])
    SessionOrg.objects.create(session=s, org=o["village_branch"], org_path=o["village_branch"].path)
    village = world_mod.user("t-village", role="secretary", org_node=o["village_committee"])
    terms, shape, _values = scope.keyed_terms(Session, village, "orglife.view")
    assert ("pk__in", "subquery") in [pair for term in shape for pair in term]

    def build(stand):
        return Session.objects.filter(scope.terms_q(scope.terms_stand_in(terms, stand)))

    with pytest.raises(scope.NotCompilable):
        scope.compiled(("test", Session, "default", shape), "default", build, count=True)
    assert scope.count_visible(Session, village, "orglife.view") == 1
    assert scope.count_visible(Session, world.users["street3"], "orglife.view") == 0
    # path kinds only: still one compiled statement
    assert scope.count_visible(Area, world.users["community"], "territory.view", kind="grid") == 2


def test_compiled_statements_answer_alike_watched_or_not(world, django_assert_num_queries):
    """On SQLite a compiled statement's placeholders are rewritten once; it runs past Django's
    per-call rewrite only when nothing watches the queries. Same rows either way; a query
    count sees it; a transaction marked for rollback refuses it as Django does."""
    from django.db import connection, transaction
    from django.db.transaction import TransactionManagementError

    def build(stand):
        return Area.objects.filter(path__gte=stand.text()).order_by("path").values_list("id")

    statement = scope.compiled(("test.watched", "default"), "default", build)
    if connection.vendor == "sqlite":
        assert "%s" not in statement.qmark_sql and statement.qmark_sql.count("?") == 1
    path = world.nodes["county"].path
    expected = list(Area.objects.filter(path__gte=path).order_by("path").values_list("id"))
    assert not connection.queries_logged and not connection.execute_wrappers  # the fast way
    assert len(expected) > 3 and statement.run([path]) == expected
    with django_assert_num_queries(1):
        assert statement.run([path]) == expected
    with transaction.atomic():
        transaction.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            statement.run([path])


# --- the one helper for views and routes -------------------------------------------------------


def _view(request, area, note: str = ""):
    return area


def test_scoped_object_hands_the_object_in_scope(world):
    view = scope.scoped_object(
        "area_id", Area, action="territory.manage", view_action="territory.view"
    )(_view)
    params = inspect.signature(view).parameters
    assert list(params) == ["request", "area_id", "note"]
    assert params["area_id"].annotation is int
    request = RequestFactory().get("/")
    grid = world.nodes["grid"]
    request.user = world.users["street"]
    assert view(request, area_id=grid.pk) == grid
    request.user = world.users["grid"]  # sees the grid, may not manage it
    with pytest.raises(scope.Forbidden):
        view(request, area_id=grid.pk)
    request.user = world.users["street3"]
    with pytest.raises(Http404):
        view(request, area_id=grid.pk)
    with pytest.raises(Http404):
        view(request, area_id=2**63)  # beyond the column: absent, not a 500
    request.auth = world.users["street"]  # the API's user
    assert view(request, area_id=grid.pk) == grid


def test_scoped_object_with_a_selector(world):
    calls = []

    def get(user, pk):
        calls.append((user, pk))
        return scope.get_visible(Area, user, "territory.view", pk=pk)

    view = scope.scoped_object("node_id", get, name="area")(_view)
    request = RequestFactory().get("/")
    request.user = world.users["community"]
    assert view(request, node_id=world.nodes["grid"].pk) == world.nodes["grid"]
    assert calls == [(world.users["community"], world.nodes["grid"].pk)]
    with pytest.raises(scope.ScopeError):
        scope.scoped_object("area_id", Area)(_view)  # a model needs an action
