"""Demo household visits (驻点直联): a visit team per village and community and the last
``VISIT_WEEKS`` weeks of visits, linked to the demo events reported by visits.
``seed_visits`` is called by ``demo.cases.seed_events`` once the events are written.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from dangjian.cases.models import Event, Source
from dangjian.demo import names

BATCH = 2000
VISIT_WEEKS = 8
# The share of a village's households its team visits in a week (drawn per village and week).
VISIT_SHARE = (0.25, 0.6)
VISIT_NOTES = (
    "家中老人身体尚可，宣传了防诈骗知识",
    "了解家庭生活情况，无特殊诉求",
    "宣传垃圾分类和文明养犬",
    "走访独居老人，提醒用电用气安全",
    "征求对社区服务的意见建议",
    "宣传医保缴费和防溺水安全",
    "住户外出，留下联系卡",
)
CITY_VISIT_VILLAGES = 6  # at city scale: the demo street's villages only (the seed stays fast)


def seed_visits(b, users: dict, rng: random.Random) -> dict:
    """A visit team per village and community and the last ``VISIT_WEEKS`` weeks of visits,
    so the coverage table and the records have something to show. The demo community's team
    has the demo secretary, grid worker and member; the others are named teams whose visits
    carry a visitor's name. Listed households (the small city) are visited by row; at city
    scale the doors are named. A few visits link the demo events reported by visits in their
    grid that day. Bulk written, deterministic for a scale."""
    from dangjian.cases.models import VisitRecord, VisitTeam
    from dangjian.cases.visits.services import WEEKDAYS, _household_key, week_of
    from dangjian.territory.models import AreaKind, Household

    village_kinds = (AreaKind.VILLAGE, AreaKind.COMMUNITY)
    if b.scale == "city":
        street = b.demo["street"]
        villages = [v for v in b.kids[street.path] if v.kind in village_kinds]
        villages = villages[:CITY_VISIT_VILLAGES]
    else:
        villages = [v for v in b.areas[4] if v.kind in village_kinds]
    if not villages:
        return {"visit_teams": 0, "visit_records": 0}
    today = timezone.localdate()
    community = b.demo["community"]
    teams = []
    for v in villages:
        teams.append(
            VisitTeam(
                area=v,
                area_path=v.path,
                name=f"{v.name}驻点直联小组",
                weekday=rng.choice(list(WEEKDAYS)[:5]),
            )
        )
    VisitTeam.objects.bulk_create(teams)
    teams = {
        t.area_path: t for t in VisitTeam.objects.filter(area_path__in=[v.path for v in villages])
    }
    demo_team = teams.get(community.path)
    people = [users.get(u) for u in ("demo-community", "demo-grid", "demo-member")]
    people = [u for u in people if u is not None]
    if demo_team is not None and people:
        demo_team.members.set([u for u in people if u.username != "demo-community"])
        demo_team.staff.set([u for u in people if u.username == "demo-community"])

    listed: dict[str, list[tuple]] = {}
    for pk, unit_id, path, label in (
        Household.objects.filter(area_path__in=[u.path for u in _units_of(b, villages)])
        .order_by("area_path", "id")
        .values_list("pk", "unit_id", "area_path", "door")
    ):
        listed.setdefault(path[: len(villages[0].path)], []).append((pk, unit_id, path, label))
    visit_events: dict[tuple, list[int]] = {}
    for pk, grid_id, reported in Event.objects.filter(
        source=Source.VISIT,
        grid__path__in=[g.path for v in villages for g in b.kids[v.path]],
        reported_at__gte=timezone.now() - dt.timedelta(weeks=VISIT_WEEKS),
    ).values_list("pk", "grid_id", "reported_at"):
        visit_events.setdefault((grid_id, timezone.localtime(reported).date()), []).append(pk)

    records, links = [], []
    demo_names = [u.real_name or u.username for u in people]
    for v in villages:
        team = teams[v.path]
        homes = listed.get(v.path) or [
            (None, u.pk, u.path, f"{u.name}{room}室")
            for u in _units_of(b, [v])
            for room in range(101, 101 + max(min(u.households, 6), 1))
        ]
        visitors = demo_names if team is demo_team and demo_names else [names.person_name(rng)]
        grid_of = {u.pk: g for g in b.kids[v.path] for u in b.kids.get(g.path, [])}
        for w in range(VISIT_WEEKS):
            monday = week_of(today) - dt.timedelta(weeks=w)
            share = rng.uniform(*VISIT_SHARE)
            for hh_pk, unit_id, path, label in rng.sample(homes, round(len(homes) * share)):
                day = monday + dt.timedelta(days=(team.weekday or 1) - 1 + rng.choice((0, 0, 1)))
                if day > today:
                    day = today - dt.timedelta(days=rng.randrange(0, 3))
                    if day < monday:
                        continue
                rec = VisitRecord(
                    team=team,
                    village_id=v.pk,
                    area_id=unit_id,
                    area_path=path,
                    household_id=hh_pk,
                    household_label=label,
                    household_key=_household_key(hh_pk, unit_id, label),
                    visited_on=day,
                    week=monday,
                    visitor_name=rng.choice(visitors),
                    notes=rng.choice(VISIT_NOTES),
                )
                records.append(rec)
                grid = grid_of.get(unit_id)
                waiting = visit_events.get((grid.pk, day)) if grid is not None else None
                if waiting:
                    links.append((rec, waiting.pop()))
    VisitRecord.objects.bulk_create(records, batch_size=BATCH)
    if demo_team is not None and people:
        grid_user = users.get("demo-grid")
        mine = [r for r in records if r.team_id == demo_team.pk]
        if grid_user is not None:
            VisitRecord.objects.filter(pk__in=[r.pk for r in mine if r.pk]).update(
                visitor=grid_user
            )
            VisitRecord.visitors.through.objects.bulk_create(
                [
                    VisitRecord.visitors.through(visitrecord_id=r.pk, user_id=grid_user.pk)
                    for r in mine
                    if r.pk
                ],
                batch_size=BATCH,
            )
    if any(r.pk is None for r, _e in links):
        links = []
    VisitRecord.events.through.objects.bulk_create(
        [VisitRecord.events.through(visitrecord_id=r.pk, event_id=e) for r, e in links],
        batch_size=BATCH,
    )
    return {"visit_teams": len(teams), "visit_records": len(records)}


def _units_of(b, villages) -> list:
    return [u for v in villages for g in b.kids[v.path] for u in b.kids.get(g.path, [])]
