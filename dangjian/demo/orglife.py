"""Demo organizational life: open bases with menus, yearly plans, a past year of sessions
with realistic gaps (most branches keep up, some slip once, a few are lax) so the compliance
board shows green, amber and red, attendance rolls, and a few sessions still to come.

Called once by ``dangjian.demo.generator.seed`` after the members are written, for both
scales; it reads the orgs and members back with a few ``values_list`` queries and writes in
bulk. At city scale the roll (attendance rows) is written for members' meetings only, to keep
the seed to minutes; the small city gets a roll for every session.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import struct
import zlib
from collections import defaultdict

from django.utils import timezone

from dangjian.cadres.models import Cadre, CadrePosition, Committee
from dangjian.core.files import file_store_bytes
from dangjian.core.months import add_months, month_key
from dangjian.demo.terms import seed_terms
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.orglife import compliance, rules
from dangjian.orglife.models import (
    ActivityKind,
    Attendance,
    AttendanceStatus,
    AttendeeRole,
    Base,
    BaseActivity,
    CheckinMethod,
    Plan,
    Rating,
    Session,
    SessionState,
    SessionType,
)

BATCH = 5000

TOPICS = {
    SessionType.MEMBERS_MEETING: [
        "学习贯彻党的二十届四中全会精神",
        "讨论接收预备党员",
        "季度工作总结",
    ],
    SessionType.COMMITTEE_MEETING: ["研究本月支部工作", "讨论党员发展计划", "部署网格治理任务"],
    SessionType.GROUP_MEETING: ["学习党章", "交流网格服务体会", "讨论楼栋议事事项"],
    SessionType.PARTY_LESSON: ["书记讲党课：践行初心使命", "党史专题党课", "党纪学习教育专题党课"],
    SessionType.THEME_DAY: [
        "重温入党誓词",
        "志愿服务进小区",
        "参观红色教育基地",
        "环境整治主题党日",
    ],
    SessionType.REVIEW_MEETING: ["年度组织生活会：批评与自我批评"],
    SessionType.MEMBER_EVALUATION: ["年度民主评议党员"],
    SessionType.HEART_TALK: ["支部书记与党员谈心谈话"],
}
BASES = [
    ("木兰社区开放式组织生活基地", ["现场观摩“三会一课”", "专题讲座", "志愿服务"]),
    ("湄洲岛妈祖文化党建基地", ["党性教育", "文化寻访", "互动实践"]),
    ("莆田革命历史纪念馆", ["重温入党誓词", "革命史讲解", "党课"]),
    ("城厢区党群服务中心", ["党员志愿服务", "政策宣讲", "素质拓展"]),
]
KIND_CYCLE = [ActivityKind.PARTY_SPIRIT, ActivityKind.OUTREACH, ActivityKind.PRACTICE]


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


def _months_back(today: dt.date, n: int) -> list[tuple[int, int]]:
    """The ``n`` months before ``today``'s, oldest first, as (year, month)."""
    return [(d.year, d.month) for d in (add_months(today, -i) for i in range(n, 0, -1))]


def seed_orglife(b, users: dict, progress: bool = False) -> dict:
    """Write the demo organizational life for the city ``b`` built; return the counts."""
    rng = random.Random(f"dangjian-orglife-{b.scale}")
    today = timezone.localdate()
    city = b.scale == "city"
    orgs = list(
        PartyOrg.objects.filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.GROUP))
        .values_list("id", "path", "kind", "parent_id", "area_id", "area_path", "domain")
        .order_by("path")
    )
    branches = {o[0]: o for o in orgs if o[2] != OrgKind.GROUP}
    groups_of: dict[int, list] = defaultdict(list)
    for o in orgs:
        if o[2] == OrgKind.GROUP and o[3] in branches:
            groups_of[o[3]].append(o)
    members_of: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    group_members: dict[int, list[tuple[int, str, bool]]] = defaultdict(list)
    branch_of_group = {g[0]: bid for bid, gs in groups_of.items() for g in gs}
    for mid, name, status, org_id in Member.objects.filter(
        left_on__isnull=True, status__in=(Status.FULL, Status.PROBATIONARY)
    ).values_list("id", "name", "status", "org_id"):
        row = (mid, name, status == Status.FULL)
        if org_id in branches:
            members_of[org_id].append(row)
        elif org_id in branch_of_group:
            members_of[branch_of_group[org_id]].append(row)
            group_members[org_id].append(row)

    # bases: Putian's 20 open bases at city scale, four in the small city
    communities = list(
        PartyOrg.objects.filter(kind=OrgKind.COMMITTEE, area__kind__in=("community", "village"))
        .values_list("id", "path", "area_id", "area_path", "name")
        .order_by("path")[: 20 if city else 4]
    )
    base_rows = []
    for i, (oid, opath, aid, apath, oname) in enumerate(communities):
        name = BASES[i % len(BASES)][0]
        base_rows.append(
            Base(
                name=name if i < len(BASES) else f"{oname}开放式组织生活基地",
                org_id=oid,
                org_path=opath,
                area_id=aid,
                area_path=apath,
                address=f"{oname}党群服务中心",
                capacity=rng.choice((40, 60, 80, 120)),
                is_open=True,
                description="党性教育+素质拓展+互动实践",
            )
        )
    Base.objects.bulk_create(base_rows)
    BaseActivity.objects.bulk_create(
        [
            BaseActivity(base=base, title=t, kind=KIND_CYCLE[j % 3], description="")
            for i, base in enumerate(base_rows)
            for j, t in enumerate(BASES[i % len(BASES)][1])
        ]
    )
    Plan.objects.bulk_create(
        [
            Plan(
                org_id=bid,
                org_path=o[1],
                year=today.year,
                title=f"{today.year}年度组织生活计划",
            )
            for bid, o in branches.items()
        ],
        batch_size=BATCH,
    )

    # A year back; in January and February from January of last year, so that the last full
    # year's board is whole while the new year has little due yet.
    back = 12 + (today.month - 1 if today.month < 3 else 0)
    months = [*_months_back(today.replace(day=1), back), (today.year, today.month)]
    sessions: list[Session] = []
    rolls: list[tuple[int, list, str]] = []  # (index into sessions, roster, type)

    now = timezone.now()
    # The secretary of each branch as the compliance board reads it (set below, after terms).
    secretary_of: dict[int, int] = {}
    reviewers = _reviewers(b, users)

    def add(org, st, day, hour, roster, *, held=True, topic=None):
        start = _aware(day, hour)
        base = (
            rng.choice(base_rows)
            if base_rows and st == SessionType.THEME_DAY and rng.random() < 0.2
            else None
        )
        # 六有 (DOMAIN.md): a host and a recorder from the roster (the secretary hosts the
        # branch's meetings and gives the party lessons), the upper level's review a few days
        # after the meeting (most of them; never in the future).
        ids = [r[0] for r in roster]
        sec = secretary_of.get(org[0])
        if st == SessionType.GROUP_MEETING or sec is None:
            host = ids[0] if ids else None
        elif st == SessionType.PARTY_LESSON and rng.random() < 0.3 and len(ids) > 1:
            host = rng.choice(ids)  # a committee member or a leading cadre gives this one
        else:
            host = sec
        others = [i for i in ids if i != host]
        recorder = rng.choice(others[:5]) if others else host
        held_at = start + dt.timedelta(hours=2) if held else None
        reviewed_at = None
        if held and rng.random() < 0.9:
            reviewed_at = held_at + dt.timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 6))
            if reviewed_at > now:
                reviewed_at = None
        s = Session(
            org_id=org[0],
            org_path=org[1],
            session_type=st,
            topic=topic or rng.choice(TOPICS[st]),
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2 if st != SessionType.HEART_TALK else 1),
            month=month_key(day),
            place=base.name if base else "党群服务中心会议室",
            base=base,
            host_id=host if held else None,
            recorder_id=recorder if held else None,
            minutes=("会议学习了有关精神，与会党员结合实际交流发言，形成会议意见。" * 4)
            if held
            else "",
            state=SessionState.HELD if held else SessionState.SCHEDULED,
            held_at=held_at,
            reviewed_by=_reviewer(reviewers, org[1]) if reviewed_at else None,
            reviewed_at=reviewed_at,
            review_note="记录完整，同意归档。" if reviewed_at else "",
            checkin_nonce=secrets.token_hex(8),
        )
        sessions.append(s)
        if not city or st == SessionType.MEMBERS_MEETING or not held:
            rolls.append((len(sessions) - 1, roster, st))

    committee_min = 7
    seats_of = seed_committees(rng, branches, members_of, today, committee_min)
    # Terms and elections (issue 14): some due, overdue, postponed, replaced, vacant.
    terms = seed_terms(random.Random(f"dangjian-terms-{b.scale}"), branches, members_of, today)
    for branch_id, _name, member_id, _h, _s in compliance.secretary_lessons(
        PartyOrg.objects.filter(pk__in=list(branches)), today.year
    ):
        if member_id is not None:
            secretary_of[branch_id] = member_id
    for bid, o in branches.items():
        roster = members_of.get(bid, [])
        full = sum(1 for r in roster if r[2])
        if not roster:
            continue  # nobody to meet: no session is recorded for an empty branch
        r = rng.random()
        slip = 0.0 if r < 0.6 else (0.04 if r < 0.85 else 0.3)
        for y, m in months:
            current = (y, m) == (today.year, today.month)
            # This month only up to yesterday: a session later today has not been held yet.
            last_day = today.day - 1 if current else 28
            if last_day < 1:
                continue

            def day_in(lo=1, hi=last_day, y=y, m=m):
                return dt.date(y, m, rng.randint(lo, max(lo, hi)))

            if rng.random() >= slip:
                add(o, SessionType.THEME_DAY, day_in(), 9, roster)
            if full >= committee_min and rng.random() >= slip:
                add(o, SessionType.COMMITTEE_MEETING, day_in(), 15, seats_of[bid])
            for g in groups_of.get(bid, []):
                if rng.random() >= slip:
                    add(g, SessionType.GROUP_MEETING, day_in(), 19, group_members.get(g[0], []))
            if m % 3 == 0 and not current:
                if rng.random() >= slip:
                    add(o, SessionType.MEMBERS_MEETING, day_in(), 9, roster)
                if rng.random() >= slip:
                    add(o, SessionType.PARTY_LESSON, day_in(), 15, roster)
            if m == 12 and not current:
                for st in (
                    SessionType.REVIEW_MEETING,
                    SessionType.MEMBER_EVALUATION,
                    SessionType.HEART_TALK,
                ):
                    if rng.random() >= slip:
                        add(o, st, day_in(), 9, roster)
            if y == today.year and m == 6 and not current and rng.random() >= slip * 2:
                add(o, SessionType.HEART_TALK, day_in(), 15, roster)
        # something still to come, for the calendar and the mobile page
        if rng.random() < (0.05 if city else 1.0):
            soon = today + dt.timedelta(days=rng.randint(1, 10))
            add(
                o,
                SessionType.THEME_DAY,
                soon,
                9,
                roster,
                held=False,
                topic="主题党日：学习身边榜样",
            )

    # the demo member's branch: one session today, open for check-in
    demo = users.get("demo-member")
    mine = (
        Member.objects.filter(user=demo).values_list("org_id", flat=True).first() if demo else None
    )
    if mine:
        bid = mine if mine in branches else branch_of_group.get(mine)
        if bid:
            now = timezone.localtime()
            start = now.replace(minute=0, second=0, microsecond=0)
            s = Session(
                org_id=bid,
                org_path=branches[bid][1],
                session_type=SessionType.THEME_DAY,
                topic="主题党日：扫码签到演示",
                starts_at=start,
                ends_at=start + dt.timedelta(hours=3),
                month=month_key(start.date()),
                place="党群服务中心会议室",
                state=SessionState.SCHEDULED,
                checkin_nonce=secrets.token_hex(8),
            )
            sessions.append(s)
            rolls.append((len(sessions) - 1, members_of.get(bid, []), SessionType.THEME_DAY))

    Session.objects.bulk_create(sessions, batch_size=BATCH)
    _photos(rng, [s for s in sessions if s.state == SessionState.HELD])
    att: list[Attendance] = []
    ratings: list[Rating] = []
    n_att = 0
    judged: list[Session] = []
    for idx, roster, st in rolls:
        s = sessions[idx]
        committee = st == SessionType.COMMITTEE_MEETING
        # A few meetings are thinly attended: short of the quorum, kept but not counted.
        thin = rng.random() < 0.05
        entitled = present_voters = 0
        for mid, name, has_vote in roster:
            if s.state == SessionState.HELD:
                x = rng.random() * (2.0 if thin else 1.0)
                if x < 0.82:
                    status, reason, ok = AttendanceStatus.PRESENT, "", False
                elif x < 0.92:
                    status, reason, ok = AttendanceStatus.LEAVE, "外出务工", True
                else:
                    status, reason, ok = AttendanceStatus.ABSENT, "未签到", False
            else:
                status, reason, ok = AttendanceStatus.PENDING, "", False
            present = status == AttendanceStatus.PRESENT
            entitled += 1 if (has_vote or committee) else 0
            present_voters += 1 if present and (has_vote or committee) else 0
            att.append(
                Attendance(
                    session_id=s.pk,
                    member_id=mid,
                    member_name=name,
                    org_path=s.org_path,
                    role=AttendeeRole.COMMITTEE if committee else AttendeeRole.MEMBER,
                    has_vote=has_vote,
                    status=status,
                    reason=reason,
                    leave_approved=ok,
                    method=(CheckinMethod.QR if rng.random() < 0.7 else CheckinMethod.RECORDER)
                    if present
                    else "",
                    checked_in_at=s.starts_at if present else None,
                )
            )
            if present and rng.random() < (0.3 if city else 0.8):
                ratings.append(
                    Rating(session_id=s.pk, member_id=mid, score=rng.choice((3, 4, 4, 5, 5)))
                )
        if s.state == SessionState.HELD and st in QUORUM_TYPES:
            check = (
                rules.committee_check(seats=entitled, present=present_voters)
                if committee
                else rules.quorum_check(entitled=entitled, present=present_voters)
            )
            s.quorum_ok, s.quorum_note = check.ok, "" if check.ok else check.message
            judged.append(s)
        if len(att) >= BATCH:
            Attendance.objects.bulk_create(att, batch_size=BATCH)
            n_att += len(att)
            att = []
    Attendance.objects.bulk_create(att, batch_size=BATCH)
    n_att += len(att)
    Rating.objects.bulk_create(ratings, batch_size=BATCH)
    Session.objects.bulk_update(judged, ["quorum_ok", "quorum_note"], batch_size=BATCH)
    return {
        "orglife_bases": len(base_rows),
        "orglife_plans": len(branches),
        "orglife_sessions": len(sessions),
        "orglife_attendance": n_att,
        "orglife_ratings": len(ratings),
        "orglife_committees": OrgCommittee.objects.filter(status=CommitteeStatus.CURRENT).count(),
        "orglife_invalid_sessions": sum(1 for s in judged if s.quorum_ok is False),
        **terms,
    }


def _reviewers(b, users: dict) -> list[tuple[str, object]]:
    """Who reviews (督查) a branch's records: the street's staff under the demo street, the
    county's under the demo county, the city's elsewhere (the narrowest first)."""
    d = b.demo
    out = []
    for username, key in (("demo-street", "street_org"), ("demo-county", "county_org")):
        if users.get(username) is not None and d.get(key) is not None:
            out.append((d[key].path, users[username]))
    if users.get("demo-city") is not None:
        out.append(("", users["demo-city"]))
    return out


def _reviewer(reviewers, path: str):
    for prefix, user in reviewers:
        if path.startswith(prefix):
            return user
    return None


def _png(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> bytes:
    """A small solid-colour PNG: the demo's stand-in for a photo of the meeting."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PHOTO_COLOURS = ((196, 30, 58), (230, 180, 80), (90, 140, 200), (120, 170, 110), (200, 120, 90))


def _photos(rng, held: list[Session]) -> None:
    """One or two photos for nearly every held session (a few records still lack them), from
    five stored through ``core.files`` like an upload."""
    stored = [
        file_store_bytes(actor=None, name=f"会议照片{i + 1}.png", content=_png(rgb))
        for i, rgb in enumerate(PHOTO_COLOURS)
    ]
    through = Session.photos.through
    rows = []
    for s in held:
        if rng.random() < 0.05:
            continue
        for f in rng.sample(stored, 1 if rng.random() < 0.6 else 2):
            rows.append(through(session_id=s.pk, storedfile_id=f.pk))
    through.objects.bulk_create(rows, batch_size=BATCH)


QUORUM_TYPES = (SessionType.MEMBERS_MEETING, SessionType.COMMITTEE_MEETING)
POSTS = [
    CommitteePost.SECRETARY,
    CommitteePost.DEPUTY_SECRETARY,
    CommitteePost.ORGANIZATION,
    CommitteePost.PUBLICITY,
    CommitteePost.DISCIPLINE,
]
LIANGXIN = (OrgDomain.NON_PUBLIC, OrgDomain.SOCIAL_ORG)


def seed_committees(rng, branches, members_of, today: dt.date, committee_min: int) -> dict:
    """A current committee for each branch, elected two years ago for the branch's term (5
    years for villages and communities, else 3): with ``committee_min`` full members or more,
    five of its full members (three in one branch out of four); with fewer, only a secretary
    (and a deputy in one branch out of two with three full members or more), as the rules
    allow (DOMAIN.md: fewer than 7 full members elect a secretary and deputy). A branch
    anchored to its village or community has the two committees' party secretary as its
    secretary when that member belongs to it. In a 两新 branch the secretary is full-time
    (专职) one time out of two. Returns the seats (member rows) per branch with a committee
    proper, the committee meetings' roster."""
    start = today.replace(year=today.year - 2, month=1, day=1)
    cadre_secretary = dict(
        Cadre.objects.filter(
            committee=Committee.PARTY,
            position=CadrePosition.SECRETARY,
            ended_on__isnull=True,
            member__isnull=False,
        ).values_list("area_id", "member_id")
    )
    committees: list[OrgCommittee] = []
    picked: dict[int, list] = {}
    for bid, o in branches.items():
        full = [r for r in members_of.get(bid, []) if r[2]]
        if not full:
            continue
        lead = cadre_secretary.get(o[4])
        if lead is not None and o[6] in (OrgDomain.VILLAGE, OrgDomain.COMMUNITY):
            full = [r for r in full if r[0] == lead] + [r for r in full if r[0] != lead]
        years = 5 if o[6] in (OrgDomain.VILLAGE, OrgDomain.COMMUNITY) else 3
        committees.append(
            OrgCommittee(
                org_id=bid,
                org_path=o[1],
                elected_on=start,
                term_start=start,
                term_end=start.replace(year=start.year + years) - dt.timedelta(days=1),
            )
        )
        if len(full) >= committee_min:
            picked[bid] = full[: 3 if rng.random() < 0.25 else 5]
        else:
            picked[bid] = full[: 2 if len(full) >= 3 and rng.random() < 0.5 else 1]
    OrgCommittee.objects.bulk_create(committees, batch_size=BATCH)
    seats = []
    for c in committees:
        o = branches[c.org_id]
        full_time = o[6] in LIANGXIN and rng.random() < 0.5
        for i, (mid, name, _vote) in enumerate(picked[c.org_id]):
            seats.append(
                CommitteeSeat(
                    committee_id=c.pk,
                    member_id=mid,
                    member_name=name,
                    org_path=c.org_path,
                    post=POSTS[i],
                    full_time=full_time and i == 0,
                    starts_on=c.term_start,
                )
            )
    CommitteeSeat.objects.bulk_create(seats, batch_size=BATCH)
    return {
        bid: [(mid, name, True) for mid, name, _v in rows]
        for bid, rows in picked.items()
        if len(rows) >= 3
    }
