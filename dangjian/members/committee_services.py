"""Writes of the committee as elected: ``committee_record`` records a new term (and closes the
current one). DOMAIN.md Structure: 7+ full members elect a committee of 3–5 (at most 7), fewer
have a secretary (and deputy); terms: village and community committees 5 years, other branch
and general-branch committees 3 years, grassroots committees (基层党委) 3–5 (per organization,
``PartyOrg.term_years``, default ``COMMITTEE_TERM_YEARS_GRASSROOTS``)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core import audit, scope, tree
from dangjian.core.conf import setting
from dangjian.core.errors import Conflict
from dangjian.core.months import add_years
from dangjian.core.validation import Errors
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.territory.models import LEVEL_OF, Area, AreaKind

VILLAGE_LEVEL = LEVEL_OF[AreaKind.VILLAGE]

MANAGE = "organizations.manage"
VIEW = "organizations.view"
BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
# DOMAIN.md: 7+ full members elect a committee of 3-5, at most 7; fewer: secretary (and deputy).
# 6 or 7 seats are accepted with a warning (超过5人); more than 7 are refused.
COMMITTEE_MIN_FULL = 7
SEATS_MIN, SEATS_USUAL_MAX, SEATS_MAX = 3, 5, 7
SMALL_POSTS = (CommitteePost.SECRETARY, CommitteePost.DEPUTY_SECRETARY)
# Term lengths (DOMAIN.md Structure), each a setting with this default.
TERM_DEFAULTS = {
    "COMMITTEE_TERM_YEARS_VILLAGE_COMMUNITY": 5,
    "COMMITTEE_TERM_YEARS_BRANCH": 3,
    "COMMITTEE_TERM_YEARS_GRASSROOTS": 5,
}
GRASSROOTS_RANGE = (3, 5)
# An election may move by at most one year with approval.
POSTPONE_MAX_YEARS = 1


def _term_setting(key: str) -> int:
    return int(setting(key, TERM_DEFAULTS[key]))


def _village_or_community(org: PartyOrg) -> bool:
    """A village or community organization: of that domain and serving a village, a community
    or a grid or unit inside one (by the level of its area, as the approvers are told apart):
    a township 党委 of the 农村 sector and a street 党工委 are grassroots committees."""
    if org.domain not in (OrgDomain.VILLAGE, OrgDomain.COMMUNITY):
        return False
    cached = org._state.fields_cache.get("area")
    if cached is not None:
        level = cached.level
    else:
        level = Area.objects.filter(pk=org.area_id).values_list("level", flat=True).first()
    return (level or 0) >= VILLAGE_LEVEL


def term_years(org: PartyOrg) -> int:
    """Village and community organizations: 5; other branches and general branches: 3;
    grassroots committees: the organization's own ``term_years`` (3-5), else the setting (5).
    Each default is a setting (``TERM_DEFAULTS``)."""
    if _village_or_community(org):
        return _term_setting("COMMITTEE_TERM_YEARS_VILLAGE_COMMUNITY")
    if org.kind in BRANCH_KINDS:
        return _term_setting("COMMITTEE_TERM_YEARS_BRANCH")
    low, high = GRASSROOTS_RANGE
    if org.term_years and low <= org.term_years <= high:
        return org.term_years
    return _term_setting("COMMITTEE_TERM_YEARS_GRASSROOTS")


def term_source(org: PartyOrg) -> str:
    """Where ``term_years`` comes from, in words (shown beside it)."""
    if _village_or_community(org):
        return "村、社区党组织每届任期"
    if org.kind in BRANCH_KINDS:
        return "党支部、党总支每届任期"
    low, high = GRASSROOTS_RANGE
    if org.term_years and low <= org.term_years <= high:
        return "本组织设定的任期"
    return "基层党委默认任期"


def term_end(org: PartyOrg, term_start: dt.date) -> dt.date:
    """The last day of the term: the day before the anniversary."""
    return add_years(term_start, term_years(org)) - dt.timedelta(days=1)


def full_member_count(org: PartyOrg) -> int:
    return Member.objects.filter(
        tree.subtree_q("org_path", org.path), status=Status.FULL, left_on__isnull=True
    ).count()


def _date(errors: Errors, field: str, value, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors.add(field, "请填写日期")
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, "日期格式应为 2026-01-31")
        return None


def _seat_rows(errors: Errors, org: PartyOrg, seats) -> list[tuple[Member, str, bool]]:
    rows: list[tuple[Member, str, bool]] = []
    seen: set[int] = set()
    for i, seat in enumerate(seats or []):
        field = f"seats[{i}]"
        post = str((seat or {}).get("post") or "")
        if post not in CommitteePost.values:
            errors.add(
                f"{field}.post",
                f"职务取值无效，可选：{'、'.join(str(label) for label in CommitteePost.labels)}",
            )
            continue
        raw = (seat or {}).get("member_id")
        try:
            member_id = int(raw)
        except (TypeError, ValueError):
            errors.add(f"{field}.member_id", "请选择党员")
            continue
        m = Member.objects.filter(pk=member_id).only("id", "name", "org_path", "status").first()
        if m is None or not tree.is_within(m.org_path, org.path):
            errors.add(f"{field}.member_id", f"党员{member_id}不是本组织的党员")
            continue
        if m.status != Status.FULL:
            errors.add(f"{field}.member_id", f"{m.name}不是正式党员，不能当选委员")
            continue
        if m.pk in seen:
            errors.add(f"{field}.member_id", f"{m.name}重复")
            continue
        seen.add(m.pk)
        rows.append((m, post, bool((seat or {}).get("full_time"))))
    return rows


def _check_size(
    errors: Errors, org: PartyOrg, posts: list[str], full: int, *, field: str = "seats"
) -> list[str]:
    """The composition rules on the posts of the seats serving together; answers the
    warnings (6 or 7 seats: more than the usual 5)."""
    n = len(posts)
    secretaries = sum(1 for post in posts if post == CommitteePost.SECRETARY)
    if secretaries == 0:
        errors.add(field, "须有一名书记")
    elif secretaries > 1:
        errors.add(field, "书记只能有一名")
    if org.kind in BRANCH_KINDS and full < COMMITTEE_MIN_FULL:
        if n > 2 or any(post not in SMALL_POSTS for post in posts):
            errors.add(
                field,
                f"正式党员{full}人，不足{COMMITTEE_MIN_FULL}人，不设委员会，只设书记（和副书记）",
            )
        return []
    if not SEATS_MIN <= n <= SEATS_MAX:
        errors.add(
            field,
            f"正式党员{full}人，应选举委员{SEATS_MIN}至{SEATS_USUAL_MAX}人"
            f"（最多{SEATS_MAX}人），现为{n}人",
        )
        return []
    if n > SEATS_USUAL_MAX:
        return [
            f"委员会{n}人，超过{SEATS_USUAL_MAX}人（一般3至{SEATS_USUAL_MAX}人，最多{SEATS_MAX}人）"
        ]
    return []


@transaction.atomic
def committee_record(*, actor, org, term_start, seats, elected_on=None) -> OrgCommittee:
    """Record a newly elected committee of ``org`` (seats: ``member_id``, ``post``,
    ``full_time``); the current committee, if any, ends the day before ``term_start``."""
    if org is None:
        raise ValidationError({"org": ["请选择党组织"]})
    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone").select_for_update(),
        actor,
        MANAGE,
        view_action=VIEW,
        pk=org.pk,
    )
    errors = Errors()
    if org.kind == OrgKind.GROUP:
        errors.add("org", "党小组不设委员会")
    start = _date(errors, "term_start", term_start)
    elected = _date(errors, "elected_on", elected_on, required=False) or start
    if start and elected and elected > start:
        errors.add("elected_on", "选举日期不能晚于任期开始")
    full = full_member_count(org)
    rows = _seat_rows(errors, org, seats)
    warnings: list[str] = []
    if not errors:
        warnings = _check_size(errors, org, [post for _m, post, _f in rows], full)
    errors.check()
    current = (
        OrgCommittee.objects.select_for_update()
        .filter(org=org, status=CommitteeStatus.CURRENT)
        .first()
    )
    before = None
    if current is not None:
        if start <= current.term_start:
            raise Conflict(
                f"本届委员会任期自{current.term_start:%Y-%m-%d}开始，新一届任期须晚于该日期"
            )
        before = {"committee": current.pk, "term_start": current.term_start.isoformat()}
        ended = start - dt.timedelta(days=1)
        current.status = CommitteeStatus.PAST
        current.ended_on = ended
        current.save(update_fields=["status", "ended_on"])
        current.seats.filter(ends_on__isnull=True).update(ends_on=ended)
    committee = OrgCommittee.objects.create(
        org=org,
        org_path=org.path,
        elected_on=elected,
        term_start=start,
        term_end=term_end(org, start),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    CommitteeSeat.objects.bulk_create(
        [
            CommitteeSeat(
                committee=committee,
                member=m,
                member_name=m.name,
                org_path=org.path,
                post=post,
                full_time=full_time,
                starts_on=start,
            )
            for m, post, full_time in rows
        ]
    )
    audit.record(
        actor=actor,
        action="members.committee.record",
        obj=committee,
        before=before,
        after={
            "org": org.pk,
            "elected_on": elected.isoformat(),
            "term_start": start.isoformat(),
            "term_end": committee.term_end.isoformat(),
            "seats": [
                {"member": m.pk, "post": post, "full_time": full_time}
                for m, post, full_time in rows
            ],
        },
        object_repr=str(committee),
    )
    committee.warnings = warnings
    return committee
