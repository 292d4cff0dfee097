"""Before and after an election (换届前后对比), as the articles report a 换届: the new committee
against the one it replaced — average age, the shares aged 35 and 40 or under, college degree
or above (大专及以上, Nantong's "8595" measure), women, 一肩挑 (the secretary also heads the
villagers' or residents' committee) and 交叉任职 (members also on the other committee), the
last two from the village and community cadres (``cadres.Cadre``), hence in this app.

The old committee is counted as it stood on its last day (the eve of the election: seats that
left mid-term are not counted), the new one on its first day; ages on those days. The cadre
flags are read from the cadre rows serving on the old committee's last day and, for the new
committee, on the day read (today, or its own last day once it is past): the villagers'
committee is elected after the party committee, so its first day would miss them. The cadre
figures are given for village and community organizations only (``None`` elsewhere).

Reads only: the organization must be visible to the user (``organizations.view``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dangjian.cadres.models import COLLEGE_OR_ABOVE, Cadre
from dangjian.core import scope, tree
from dangjian.members.committee_services import _village_or_community
from dangjian.members.models import Gender, Member, years_between
from dangjian.members.models.committee import CommitteePost, CommitteeSeat, OrgCommittee
from dangjian.organizations.models import PartyOrg

VIEW = "organizations.view"
YOUNG, YOUNGER = 35, 40


@dataclass
class Side:
    """One committee as counted: its seats (member ids, posts, full-time) and the day."""

    committee: OrgCommittee | None
    day: dt.date | None
    cadre_day: dt.date | None
    seats: list[tuple[int, str, bool]]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _serving(seats, day: dt.date | None):
    if day is None:
        return list(seats)
    return [s for s in seats if s[3] <= day and (s[4] is None or s[4] >= day)]


def _sides(pairs, today: dt.date) -> list[tuple[Side, Side, bool]]:
    """(old, new, village_or_community) for each (old committee or None, new committee)."""
    ids = [c.pk for pair in pairs for c in pair[:2] if c is not None]
    by_committee: dict[int, list] = defaultdict(list)
    for row in (
        CommitteeSeat.objects.filter(committee_id__in=ids)
        .order_by("id")
        .values_list("committee_id", "member_id", "post", "full_time", "starts_on", "ends_on")
    ):
        by_committee[row[0]].append((row[1], row[2], row[3], row[4], row[5]))
    out = []
    for old, new, village in pairs:
        old_day = old.ended_on if old is not None else None
        old_seats = _serving(by_committee.get(old.pk, []), old_day) if old else []
        new_seats = _serving(by_committee.get(new.pk, []), new.term_start)
        new_cadre_day = min(today, new.ended_on) if new.ended_on else today
        out.append(
            (
                Side(old, old_day, old_day, [(s[0], s[1], s[2]) for s in old_seats]),
                Side(new, new.term_start, new_cadre_day, [(s[0], s[1], s[2]) for s in new_seats]),
                village,
            )
        )
    return out


def _people(sides) -> tuple[dict, dict]:
    member_ids = {m for side in sides for m, _p, _f in side.seats}
    people = {
        row[0]: row[1:]
        for row in Member.objects.filter(pk__in=member_ids).values_list(
            "pk", "birth_date", "gender", "education"
        )
    }
    cadres: dict[int, list] = defaultdict(list)
    for row in Cadre.objects.filter(member_id__in=member_ids).values_list(
        "member_id", "one_shoulder", "cross_holding", "term_start", "ended_on"
    ):
        cadres[row[0]].append(row[1:])
    return people, cadres


def _cadre_flags(cadres, member_id: int, day: dt.date | None) -> tuple[bool, bool]:
    rows = [
        r
        for r in cadres.get(member_id, [])
        if day is None or (r[2] <= day and (r[3] is None or r[3] >= day))
    ]
    return any(r[0] for r in rows), any(r[1] for r in rows)


@dataclass
class Tally:
    """Counts summed over one or more committees (pooled, as a report sums its villages)."""

    committees: int = 0
    seats: int = 0
    age_sum: int = 0
    aged: int = 0
    young: int = 0
    younger: int = 0
    college: int = 0
    women: int = 0
    full_time: int = 0
    # village and community committees only
    vc_committees: int = 0
    vc_seats: int = 0
    secretaries: int = 0
    one_shoulder: int = 0
    cross_holding: int = 0

    def add(self, side: Side, village: bool, people, cadres) -> None:
        if side.committee is None:
            return
        self.committees += 1
        if village:
            self.vc_committees += 1
        for member_id, post, full_time in side.seats:
            self.seats += 1
            self.full_time += int(full_time)
            birth, gender, education = people.get(member_id, (None, "", ""))
            if birth is not None and side.day is not None:
                age = years_between(birth, side.day)
                self.age_sum += age
                self.aged += 1
                self.young += int(age <= YOUNG)
                self.younger += int(age <= YOUNGER)
            self.college += int(education in COLLEGE_OR_ABOVE)
            self.women += int(gender == Gender.FEMALE)
            if village:
                self.vc_seats += 1
                shoulder, cross = _cadre_flags(cadres, member_id, side.cadre_day)
                self.cross_holding += int(cross)
                if post == CommitteePost.SECRETARY:
                    self.secretaries += 1
                    self.one_shoulder += int(shoulder)

    def out(self) -> dict:
        vc = self.vc_committees > 0
        return {
            "committees": self.committees,
            "seats": self.seats,
            "average_age": round(self.age_sum / self.aged, 1) if self.aged else None,
            "aged_35_or_under": self.young,
            "aged_35_or_under_share": _share(self.young, self.aged),
            "aged_40_or_under": self.younger,
            "aged_40_or_under_share": _share(self.younger, self.aged),
            "college": self.college,
            "college_share": _share(self.college, self.seats),
            "women": self.women,
            "women_share": _share(self.women, self.seats),
            "full_time": self.full_time,
            "one_shoulder": self.one_shoulder if vc else None,
            "one_shoulder_rate": _share(self.one_shoulder, self.secretaries) if vc else None,
            "cross_holding": self.cross_holding if vc else None,
            "cross_holding_rate": _share(self.cross_holding, self.vc_seats) if vc else None,
        }


def _change(old: dict, new: dict) -> dict:
    """new − old for each figure both sides have (ages in years, shares in points of 1)."""
    keys = (
        "seats",
        "average_age",
        "aged_35_or_under_share",
        "aged_40_or_under_share",
        "college_share",
        "women_share",
        "one_shoulder_rate",
        "cross_holding_rate",
    )
    out = {}
    for k in keys:
        a, b = old.get(k), new.get(k)
        out[k] = None if a is None or b is None else round(b - a, 4)
    return out


def _predecessor(committees: list[OrgCommittee], new: OrgCommittee) -> OrgCommittee | None:
    earlier = [c for c in committees if c.term_start < new.term_start]
    return max(earlier, key=lambda c: (c.term_start, c.pk)) if earlier else None


def _compare(pairs, today) -> tuple[dict, dict]:
    sides = _sides(pairs, today)
    people, cadres = _people([s for trio in sides for s in trio[:2]])
    old_t, new_t = Tally(), Tally()
    for old, new, village in sides:
        old_t.add(old, village, people, cadres)
        new_t.add(new, village, people, cadres)
    return old_t.out(), new_t.out()


def _committee_ref(c: OrgCommittee | None, day) -> dict | None:
    if c is None:
        return None
    return {
        "id": c.pk,
        "elected_on": c.elected_on,
        "term_start": c.term_start,
        "term_end": c.term_end,
        "ended_on": c.ended_on,
        "as_of": day,
    }


def election_comparison(user, org_id: int, committee_id: int, *, today=None) -> dict:
    """The committee ``committee_id`` of ``org_id`` (an election) against its predecessor."""
    today = today or timezone.localdate()
    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone").select_related("area"), user, VIEW, pk=org_id
    )
    committees = list(OrgCommittee.objects.visible_to(user, VIEW).filter(org_id=org.pk))
    new = next((c for c in committees if c.pk == committee_id), None)
    if new is None:
        raise Http404("未找到")
    old = _predecessor(committees, new)
    village = _village_or_community(org)
    old_out, new_out = _compare([(old, new, village)], today)
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "village_or_community": village,
        "old_committee": _committee_ref(old, old.ended_on if old else None),
        "new_committee": _committee_ref(new, new.term_start),
        "old": old_out if old else None,
        "new": new_out,
        "change": _change(old_out, new_out) if old else None,
    }


def elections_comparison(user, *, year: int, org: int | None = None, today=None) -> dict:
    """Every election in ``year`` (a committee whose term started that year and replaced an
    earlier one) in the user's reach (``org``: a subtree), the old committees pooled against
    the new ones; first committees (no predecessor) are counted apart."""
    today = today or timezone.localdate()
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年份应在2000至2100之间"]})
    qs = OrgCommittee.objects.visible_to(user, VIEW).filter(
        term_start__gte=dt.date(year, 1, 1), term_start__lte=dt.date(year, 12, 31)
    )
    if org is not None:
        node = scope.get_visible(PartyOrg.objects.defer("contact_phone"), user, VIEW, pk=org)
        qs = qs.filter(tree.subtree_q("org_path", node.path))
    news = list(
        qs.select_related("org__area").only(
            "id",
            "org_id",
            "elected_on",
            "term_start",
            "term_end",
            "ended_on",
            "org__domain",
            "org__area__level",
        )
    )
    earlier: dict[int, list[OrgCommittee]] = defaultdict(list)
    for c in OrgCommittee.objects.filter(
        Q(org_id__in={n.org_id for n in news}), term_start__lt=dt.date(year, 12, 31)
    ).only("id", "org_id", "term_start", "term_end", "ended_on", "elected_on"):
        earlier[c.org_id].append(c)
    pairs = []
    first = 0
    for n in news:
        old = _predecessor(earlier[n.org_id], n)
        if old is None:
            first += 1
            continue
        pairs.append((old, n, _village_or_community(n.org)))
    old_out, new_out = _compare(pairs, today)
    return {
        "year": year,
        "elections": len(pairs),
        "first_committees": first,
        "village_or_community_elections": sum(1 for p in pairs if p[2]),
        "old": old_out,
        "new": new_out,
        "change": _change(old_out, new_out),
    }


def latest_comparison(user, org, current: OrgCommittee | None) -> dict | None:
    """The comparison of the serving committee ``current`` (read by the caller in the user's
    scope) with the one it replaced, for the organization's page; ``None`` when there is no
    serving committee or it is the first."""
    if current is None:
        return None
    if not OrgCommittee.objects.filter(org_id=org.pk, term_start__lt=current.term_start).exists():
        return None
    return election_comparison(user, org.pk, current.pk)


# (label, key, kind) of the rows the console shows: kind "n" a count, "age" years, "share" a
# share shown in percent.
ROWS = (
    ("委员人数", "seats", "n"),
    ("平均年龄（岁）", "average_age", "age"),
    ("35岁及以下占比", "aged_35_or_under_share", "share"),
    ("40岁及以下占比", "aged_40_or_under_share", "share"),
    ("大专及以上学历占比", "college_share", "share"),
    ("女性委员", "women", "n"),
    ("女性占比", "women_share", "share"),
    ("书记、主任“一肩挑”", "one_shoulder_rate", "share"),
    ("交叉任职比例", "cross_holding_rate", "share"),
)


def _fmt(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "age":
        return f"{value:.1f}"
    return str(value)


def _fmt_change(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "share":
        return f"{value * 100:+.1f}个百分点"
    if kind == "age":
        return f"{value:+.1f}岁"
    return f"{value:+g}"


def comparison_rows(cmp: dict) -> list[dict]:
    """The comparison as table rows for the console (old, new, change), in Chinese."""
    out = []
    for label, key, kind in ROWS:
        old = cmp["old"].get(key) if cmp.get("old") else None
        new = cmp["new"].get(key)
        if key in ("one_shoulder_rate", "cross_holding_rate") and new is None and old is None:
            continue
        change = cmp["change"].get(key) if cmp.get("change") and key in cmp["change"] else None
        out.append(
            {
                "label": label,
                "old": _fmt(old, kind),
                "new": _fmt(new, kind),
                "change": _fmt_change(change, kind) if kind != "n" or change is not None else "—",
            }
        )
    return out
