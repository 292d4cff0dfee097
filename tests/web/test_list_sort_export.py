"""Every console list (issue 18): each declared sort key orders the rows both ways, and the
export — a POST of the page's form, never a GET — writes exactly the filtered rows, audited.

The rows are made by the cross-scope registry's factories (tests/spine/crossscope.py), so each
list has several rows of its kind; the administrator reads them. The sort is checked on the
export, which writes the rows in the order the page shows them: ascending is descending read
backwards (ties broken by id both ways), and the two differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from dangjian.core import excel
from dangjian.core.models import AuditEntry
from dangjian.web import listing as L
from tests.spine import crossscope
from tests.spine.crossscope.assessment import _ASSESS_YEAR
from tests.spine.crossscope.cases import VISIT_MARKER
from tests.spine.crossscope.timebank import _tb_helper

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class ListCase:
    url: str
    table: L.Table
    factories: tuple[str, ...]
    # A filter (query string) and what every exported row then satisfies: column key -> value.
    filter: str = ""
    expect: dict = field(default_factory=dict)
    user: str = "admin"
    setup: Callable | None = None
    exports: bool = True
    # The list's address when it names the world's objects (``url`` is then its name).
    url_of: Callable | None = None
    # Whether the page has sortable headers (the calendar exports its month as a list only).
    headers: bool = True

    def path(self, world) -> str:
        return self.url_of(world) if self.url_of else self.url

    def __str__(self) -> str:
        return self.url


def _more_sessions(world):
    from dangjian.orglife import services as orglife
    from tests.orglife.helpers import at

    for i, kind in enumerate(("theme_day", "party_lesson")):
        start = at(2026, 11, 20 + i, 9)
        orglife.session_schedule(
            actor=world.users["admin"],
            org=world.orgs["grid_branch"],
            session_type=kind,
            topic=f"排序导出组织生活{i}",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
        )


def _more_plans(world):
    from dangjian.orglife.models import Plan

    for org, q in (("grid_branch", 1), ("village_branch", None)):
        Plan.objects.create(
            org=world.orgs[org],
            org_path=world.orgs[org].path,
            year=2025,
            quarter=q,
            title=f"排序计划{org}",
        )


def _second_remittance(world):
    from dangjian.dues import services as dues
    from tests.dues.helpers import dues_member, pay

    m = dues_member(world, name="排序上缴党员")
    pay(world, m, [timezone.localdate().strftime("%Y-%m")])
    dues.remittance_create(
        actor=world.users["admin"],
        org=world.orgs["grid_branch"],
        amount="5.00",
        period="排序上缴期间",
    )


def _second_claim(world):
    from dangjian.accounts.models import UserKind
    from dangjian.points import services as points
    from dangjian.points.models import Rule
    from tests import world as world_mod

    u = world_mod.user(
        "t-points-sort", role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"]
    )
    rule = Rule.objects.get(name="越界探针申报规则")
    points.award_submit(actor=u, rule_id=rule.pk, data={"evidence": "排序佐证"})


def _second_redemption(world):
    """A second redemption of the probe's resident (still to collect, where the first is
    used): the redemptions list has two rows to sort."""
    from dangjian.accounts.models import User
    from dangjian.points import services as points
    from dangjian.points.models import Item

    u = User.objects.get(username="t-points-probe")
    points.redemption_create(actor=u, item_id=Item.objects.get(name="越界探针兑换品").pk)


def _second_team(world):
    from dangjian.timebank import services as tb

    tb.team_create(
        actor=world.users[crossscope.INSIDER],
        community=world.nodes["community"],
        name="排序服务队",
        kind="youth",
    )


def _second_station(world):
    from dangjian.timebank import riders

    riders.station_create(
        actor=world.users[crossscope.INSIDER],
        area=world.nodes["community"],
        name="排序驿站",
        kind="love",
    )


def _second_rider(world):
    """A second rider, with a phone on the account: the export masks it."""
    from dangjian.timebank import riders
    from dangjian.timebank.models import Station
    from tests.world import user as make_user

    u = make_user("排序骑手", role="resident", kind="resident", home=world.nodes["grid"])
    u.phone = "13812345678"
    u.save()
    station = Station.objects.get(name="越界探针骑手驿站")
    riders.rider_register(actor=u, station=station, kind="courier", platform="排序平台")


def _second_volunteer(world):
    """A second volunteer's confirmed service: the hours by member have two rows."""
    from tests.timebank.helpers import dispatched, move

    a = _tb_helper(world, "排序志愿者")
    o = dispatched(world, description="排序服务")
    for step in ("accept", "check_in", "check_out"):
        move(a, o, step)
    move(world.users["resident"], o, "confirm", rating=4)


def _more_branches(world):
    """Two more branches under the community 党委, one with a session held: the board of the
    administrator's top organization has rows that differ."""
    from tests.orglife.helpers import at, hold, people
    from tests.world import org

    committee = world.orgs["community_committee"]
    for i in range(2):
        b = org(committee, f"排序党支部{i}", "branch", world.nodes["grid2"])
        people(b, 3)
        if i:
            hold(world.users["community"], b, "theme_day", at(2026, 3, 1))


def _second_talent(world):
    from dangjian.accounts.models import UserKind
    from dangjian.timebank import services as tb
    from tests import world as world_mod

    u = world_mod.user(
        "t-talent-sort", role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"]
    )
    tb.talent_offer(actor=u, service_class="other", skill="排序理发")


def _second_scheme(world):
    from dangjian.points import services as points

    points.scheme_create(
        actor=world.users["community"],
        data={
            "name": "排序积分方案",
            "audience": "members",
            "org_id": world.orgs["grid_branch"].pk,
            "name_display": "full",
        },
    )


def _second_visit(world):
    from dangjian.cases.models import VisitTeam
    from dangjian.cases.visits import services as visits

    visits.visit_record(
        actor=world.users["grid"],
        team=VisitTeam.objects.get(name=f"{VISIT_MARKER}组"),
        area=world.nodes["grid"],
        household_label="排序门牌1号",
        visited_on=timezone.localdate() - dt.timedelta(days=1),
        notes="排序走访",
    )


def _cleared_warning(world):
    from dangjian.assessment.models import MemberWarning

    w = MemberWarning.objects.order_by("id").first()
    w.pk = None
    w.member_name, w.colour, w.active = "排序预警党员", "yellow", False
    w.raised_on = timezone.localdate() - dt.timedelta(days=30)
    w.cleared_on = timezone.localdate()
    w.save()


def _second_ranking(world):
    """The other county's ranking of the same year, its figures and state all different."""
    from decimal import Decimal

    from dangjian.assessment.models import Ranking

    r = Ranking.objects.order_by("id").first()
    county = world.nodes["county2"]
    r.pk, r.county, r.area_path = None, county, county.path
    r.assessed, r.flagged, r.share = r.assessed + 3, r.flagged + 1, Decimal("0.1000")
    r.state = "draft" if r.state == "confirmed" else "confirmed"
    r.save()


def _second_rectification(world):
    """A copy of the first rectification a year later at another organization: two rows that
    differ in every sorted column."""
    from dangjian.assessment.models import Rectification

    r = Rectification.objects.order_by("id").first()
    org = world.orgs["village_branch"]
    r.pk, r.entry = None, None
    r.org, r.org_name, r.org_path, r.year = org, org.name, org.path, r.year + 1
    r.leader, r.reports, r.state = "排序责任人", 2, "closed"
    r.deadline = r.deadline + dt.timedelta(days=30)
    r.save()


def _inbox_events(world):
    """A department with three events dispatched to it, one of them accepted (处置中); its
    user is ``world.users["t-sort-dept"]``."""
    from tests.cases import helpers

    helpers.ensure_taxonomy()
    dept = helpers.departments(world)["环卫所"]
    user = helpers.department_user("t-sort-dept", dept)
    world.users["t-sort-dept"] = user
    street = world.users["street"]
    for i, place in enumerate(("北门", "南门", "东门")):
        e = helpers.report(
            world.users["grid"], area=world.grid, description=f"{place}垃圾桶满溢发臭{i}"
        )
        helpers.move(street, e, "open")
        helpers.move(street, e, "dispatch", department=dept)
        if i == 2:
            helpers.move(user, e, "accept")


def _second_arrears(world):
    """A second member in arrears, seven months behind (连续6个月以上: level ``leave``)."""
    from dangjian.dashboard.rollups import engine
    from dangjian.dues import calc
    from tests.dues.helpers import dues_member

    start = calc.add_months(calc.month_of(timezone.localdate()), -7)
    dues_member(world, month=start, name="排序欠缴党员")
    engine.refresh(months=1)


def cases() -> list[ListCase]:
    from dangjian.accounts import tables as accounts
    from dangjian.accounts.models import UserKind
    from dangjian.assessment import tables as assessment
    from dangjian.cadres import tables as cadres
    from dangjian.cases import tables as events
    from dangjian.console import audit_views
    from dangjian.dashboard import tables as dashboard
    from dangjian.development import views as development_views
    from dangjian.dues import tables as dues
    from dangjian.members import tables as members
    from dangjian.organizations import tables as org_tables
    from dangjian.orglife import tables as orglife
    from dangjian.points import tables as points
    from dangjian.territory import tables as territory_tables
    from dangjian.timebank import tables as timebank

    return [
        ListCase(
            "/users/", accounts.USERS, (), "kind=resident", {"kind": str(UserKind.RESIDENT.label)}
        ),
        ListCase("/cases/", events.EVENTS, ("event",), "state=opened", {"state": "已立案"}),
        ListCase(
            "/members/cadres/",
            cadres.CADRES,
            ("cadre",),
            "q=越界探针书记",
            {"name": "越界探针书记"},
        ),
        ListCase(
            "/dues/", dues.OVERVIEW, ("dues_member",), "q=越界探针党费1", {"name": "越界探针党费1"}
        ),
        ListCase(
            "/dues/remittances/",
            dues.REMITTANCES,
            ("dues_remittance",),
            "org={grid_branch}",
            {"from": "龙桥社区第一网格党支部"},
            setup=_second_remittance,
        ),
        ListCase(
            "/timebank/", timebank.ORDERS, ("tb_order",), "state=ordered", {"state": "待派单"}
        ),
        ListCase("/points/review/", points.REVIEW, ("points_claim",), setup=_second_claim),
        ListCase(
            "/points/awards/", points.AWARDS, ("points_award",), "state=posted", {"state": "已记分"}
        ),
        ListCase(
            "/points/redemptions/",
            points.REDEMPTIONS,
            ("points_redemption",),
            "state=used",
            {"state": "已领取"},
            setup=_second_redemption,
        ),
        ListCase(
            "/audit/", audit_views.TABLE, ("audit",), "action=probe.write", {"object_type": "区域"}
        ),
        ListCase(
            "/orglife/plans/",
            orglife.PLANS,
            ("orglife_plan",),
            "year=2025",
            {"year": 2025},
            setup=_more_plans,
        ),
        ListCase(
            "/orglife/?month=2026-11",
            orglife.SESSIONS,
            ("orglife_session",),
            "month=2026-12",
            {"topic": "越界探针组织生活1"},
            setup=_more_sessions,
            url_of=lambda w: f"/orglife/?org={w.orgs['grid_branch'].pk}&month=2026-11",
            headers=False,
        ),
        ListCase(
            "/development/",
            development_views.TABLE,
            ("applicant",),
            "stage=1",
            {"stage": "1 申请入党"},
        ),
        ListCase("/members/", members.MEMBERS, ("member",), exports=False),
        ListCase(
            "/members/transfers/",
            members.TRANSFERS,
            ("transfer",),
            "state=requested",
            {"state": "待转出方审批"},
        ),
        ListCase(
            "/members/checkins/",
            members.CHECKINS,
            ("checkin",),
            "q=越界探针报到0",
            {"name": "越界探针报到0"},
        ),
        ListCase("/members/cadres/reserves/", cadres.RESERVES, ("reserve",)),
        ListCase("/members/cadres/mentorships/", cadres.MENTORSHIPS, ("mentorship",)),
        ListCase("/timebank/teams/", timebank.TEAMS, ("tb_team",), setup=_second_team),
        ListCase("/timebank/stations/", timebank.STATIONS, ("tb_station",), setup=_second_station),
        ListCase("/timebank/talents/", timebank.TALENTS, ("tb_talent",), setup=_second_talent),
        ListCase("/timebank/riders/", timebank.RIDERS, ("tb_rider",), setup=_second_rider),
        ListCase(
            "/orglife/compliance/?period=2026",
            orglife.COMPLIANCE,
            ("orglife_branch",),
            setup=_more_branches,
        ),
        ListCase(
            "/timebank/hours/?by=member",
            timebank.HOURS,
            ("tb_participation",),
            setup=_second_volunteer,
        ),
        ListCase("/points/", points.SCHEMES, ("points_scheme",), setup=_second_scheme),
        ListCase(
            "/users/departments/",
            accounts.DEPARTMENTS,
            ("people_department",),
            "q=越界探针城管",
            {"name": "越界探针城管中队"},
        ),
        ListCase(
            "/users/registrations/",
            accounts.REGISTRATIONS,
            ("people_registration",),
            "state=pending",
            {"state": "待确认"},
        ),
        ListCase("/cases/visits/", events.VISITS, ("visit_record",), setup=_second_visit),
        ListCase("/assessment/flags/", assessment.FLAGS, ("assess_flag",)),
        ListCase(
            f"/assessment/projects/?year={_ASSESS_YEAR}",
            assessment.PROJECTS,
            ("assess_project",),
        ),
        ListCase(f"/assessment/?year={_ASSESS_YEAR}", assessment.RATINGS, ("assess_rating",)),
        ListCase(
            "/assessment/warnings/?history=1",
            assessment.WARNINGS,
            ("assess_warning",),
            setup=_cleared_warning,
        ),
        ListCase(
            "/orgs/",
            org_tables.ORGS,
            ("org",),
            "q=龙桥社区第一网格党支部",
            {"name": "龙桥社区第一网格党支部"},
        ),
        ListCase(
            "/areas/",
            territory_tables.AREAS,
            ("area",),
            "q=龙桥社区第二网格",
            {"name": "龙桥社区第二网格"},
        ),
        ListCase(
            "/members/elections/",
            members.ELECTIONS,
            ("election_org",),
            "org={grid_branch}",
            {"org": "龙桥社区第一网格党支部"},
        ),
        ListCase(
            f"/assessment/scores/?year={_ASSESS_YEAR}",
            assessment.SCORES,
            ("assess_score",),
        ),
        ListCase(
            "/assessment/rankings/",
            assessment.RANKINGS,
            ("assess_ranking",),
            setup=_second_ranking,
        ),
        ListCase(
            "/assessment/rectifications/",
            assessment.RECTIFICATIONS,
            ("assess_rectification",),
            "state=closed",
            {"state": "已销号"},
            setup=_second_rectification,
        ),
        ListCase(
            "/cases/inbox/",
            events.INBOX,
            (),
            "box=doing",
            {"state": "处置中"},
            user="t-sort-dept",
            setup=_inbox_events,
        ),
        ListCase("/dashboard/compliance/", dashboard.COMPLIANCE, ("dashboard_compliance",)),
        ListCase(
            "/dashboard/arrears/",
            dashboard.ARREARS,
            ("dashboard_arrears",),
            "level=leave",
            {"name": "排序欠缴党员"},
            setup=_second_arrears,
        ),
        ListCase(
            "/users/invitations/",
            accounts.INVITATIONS,
            ("people_invitation", "people_registration"),
        ),
        ListCase(
            f"/assessment/schemes/?year={_ASSESS_YEAR}",
            assessment.SCHEMES,
            ("assess_rating",),
        ),
        ListCase(
            "/members/jobs/",
            members.JOBS,
            ("import_job", "export_job"),
        ),
    ]


CASES = cases()


def _prepare(world, case: ListCase):
    for name in case.factories:
        crossscope.FACTORIES[name](world)
    if case.setup:
        case.setup(world)


def _export(client, url: str) -> list[list]:
    r = client.post(url, {"export": "xlsx"})
    assert r.status_code == 200, (url, r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/vnd.openxml"), url
    rows = [list(row.values) for row in excel.read_rows(r.content)]
    body = []
    for row in rows[1:]:
        if not any(v not in (None, "") for v in row):
            break  # the blank row before the footer "导出人…"
        body.append(row)
    return rows[0], body


def _join(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_sort_key_orders_the_rows_both_ways(case, world, client):
    _prepare(world, case)
    client.force_login(world.users[case.user])
    url = case.path(world)
    assert case.table.sort_columns, f"{case}: no sortable column"
    for key in case.table.sort_columns:
        page = client.get(_join(url, f"sort={key}"))
        assert page.status_code == 200, (case, key, page.status_code)
        html = page.content.decode()
        if case.headers:
            assert 'aria-sort="ascending"' in html, (case, key)
            assert f"sort=-{key}" in html, (case, key)  # the header's link turns it round
        if not case.exports:
            continue
        _, asc = _export(client, _join(url, f"sort={key}"))
        _, desc = _export(client, _join(url, f"sort=-{key}"))
        assert len(asc) >= 2, (case, key, asc)
        assert asc == list(reversed(desc)) and asc != desc, (case, key, asc, desc)


@pytest.mark.parametrize("case", [c for c in CASES if c.exports], ids=str)
def test_export_writes_the_filtered_rows_and_is_audited(case, world, client):
    _prepare(world, case)
    client.force_login(world.users[case.user])
    url = case.path(world)
    headers, everything = _export(client, url)
    assert headers == case.table.headers
    assert everything, case
    query = case.filter.format(**{k: o.pk for k, o in world.orgs.items()})
    url = _join(url, query) if query else url
    _, rows = _export(client, url)
    assert rows and len(rows) <= len(everything), (case, rows)
    index = {c.key: i for i, c in enumerate(case.table.columns)}
    for key, value in case.expect.items():
        assert {r[index[key]] for r in rows} == {value}, (case, key, rows)
    entry = AuditEntry.objects.filter(action="list.export").latest("id")
    assert entry.object_type == case.table.object_type
    assert entry.after["rows"] == len(rows)
    # A GET naming the export shows the page: only the form's POST exports.
    r = client.get(_join(url, "export=xlsx"))
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html"), case
