"""Demo terms and elections (issue 14), on top of the committees the organizational-life seeder
records (all elected on 1 January two years ago): some terms moved back so their election is
overdue or due within the reminder window, a third of the overdue ones postponed with an
approval, a predecessor committee (older, fewer with a college degree, no women) for a share of
the village and community branches so the before/after comparison has something to show, and
a few secretaries who left (the post vacant). Written in bulk, before the sessions are judged,
so the committee meetings are judged against the committees as they end up."""

from __future__ import annotations

import datetime as dt

from dangjian.core.months import add_years
from dangjian.members.models import Member
from dangjian.members.models.committee import (
    CommitteePost,
    CommitteeSeat,
    CommitteeStatus,
    OrgCommittee,
)
from dangjian.organizations.models import OrgDomain

BATCH = 2000
VILLAGE_COMMUNITY = (OrgDomain.VILLAGE, OrgDomain.COMMUNITY)
POSTS = (
    CommitteePost.SECRETARY,
    CommitteePost.DEPUTY_SECRETARY,
    CommitteePost.ORGANIZATION,
    CommitteePost.PUBLICITY,
    CommitteePost.DISCIPLINE,
)


def seed_terms(rng, branches, members_of, today: dt.date) -> dict:
    committees = list(
        OrgCommittee.objects.filter(status=CommitteeStatus.CURRENT).order_by("org_path", "id")
    )
    seats = list(CommitteeSeat.objects.filter(committee__in=committees).order_by("id"))
    seats_of: dict[int, list[CommitteeSeat]] = {}
    for s in seats:
        seats_of.setdefault(s.committee_id, []).append(s)
    moved, postponed, predecessors, vacant = [], [], [], []
    for c in committees:
        years = 5 if branches[c.org_id][6] in VILLAGE_COMMUNITY else 3
        r = rng.random()
        if r < 0.15:  # overdue
            end = today - dt.timedelta(days=rng.randint(10, 200))
        elif r < 0.25:  # within the reminder window
            end = today + dt.timedelta(days=rng.randint(5, 175))
        else:
            end = None
        if end is not None:
            start = add_years(end + dt.timedelta(days=1), -years)
            c.term_start = c.elected_on = start
            c.term_end = end
            for s in seats_of.get(c.pk, []):
                s.starts_on = start
            moved.append(c)
            # The first overdue one always, then one in three: the small city shows one too.
            if end < today and (not postponed or rng.random() < 1 / 3):
                c.postponed_to = min(
                    end + dt.timedelta(days=rng.randint(120, 365)), add_years(end, 1)
                )
                c.postpone_document_no = f"组通〔{end.year}〕{rng.randint(1, 60)}号"
                c.postpone_document_date = end - dt.timedelta(days=rng.randint(5, 40))
                c.postpone_reason = "与村（社区）“两委”集中换届同步进行"
                postponed.append(c)
        elif (
            branches[c.org_id][6] in VILLAGE_COMMUNITY
            and len(seats_of.get(c.pk, [])) >= 3  # a committee proper, not a lone secretary
            and rng.random() < 0.4
        ):
            predecessors.append(c)
        if (
            end is None
            and c not in predecessors
            and len(seats_of.get(c.pk, [])) == 5
            and (not vacant or rng.random() < 0.04)
        ):
            vacant.append(c)
    OrgCommittee.objects.bulk_update(
        moved,
        [
            "term_start",
            "elected_on",
            "term_end",
            "postponed_to",
            "postpone_document_no",
            "postpone_document_date",
            "postpone_reason",
        ],
        batch_size=BATCH,
    )
    CommitteeSeat.objects.bulk_update(
        [s for c in moved for s in seats_of.get(c.pk, [])], ["starts_on"], batch_size=BATCH
    )
    _predecessors(rng, predecessors, seats_of, members_of)
    ended = []
    for c in vacant:
        sec = next(s for s in seats_of[c.pk] if s.post == CommitteePost.SECRETARY)
        sec.ends_on = today - dt.timedelta(days=rng.randint(20, 200))
        sec.end_reason = rng.choice(("调离", "辞职", "退休"))
        ended.append(sec)
    CommitteeSeat.objects.bulk_update(ended, ["ends_on", "end_reason"], batch_size=BATCH)
    return {
        "terms_overdue": sum(1 for c in moved if c.term_end < today),
        "terms_reminder": sum(1 for c in moved if c.term_end >= today),
        "terms_postponed": len(postponed),
        "terms_predecessors": len(predecessors),
        "terms_vacant_secretaries": len(ended),
    }


def _predecessors(rng, currents, seats_of, members_of) -> None:
    """The committee before each of ``currents``: the oldest full members of the branch (the
    ones seated now among them when the branch is small), elected one term earlier."""
    full_ids = {mid for c in currents for mid, _n, full in members_of.get(c.org_id, []) if full}
    born = dict(Member.objects.filter(pk__in=full_ids).values_list("pk", "birth_date"))
    olds = []
    picks = []
    for c in currents:
        years = (c.term_end - c.term_start).days // 365 + 1
        start = add_years(c.term_start, -years)
        ended = c.term_start - dt.timedelta(days=1)
        olds.append(
            OrgCommittee(
                org_id=c.org_id,
                org_path=c.org_path,
                elected_on=start,
                term_start=start,
                term_end=add_years(start, years) - dt.timedelta(days=1),
                ended_on=ended,
                status=CommitteeStatus.PAST,
            )
        )
        full = [(mid, name) for mid, name, f in members_of.get(c.org_id, []) if f]
        full.sort(key=lambda r: born.get(r[0]) or dt.date(1970, 1, 1))
        picks.append(full[: 5 if rng.random() < 0.6 else 3])
    OrgCommittee.objects.bulk_create(olds, batch_size=BATCH)
    CommitteeSeat.objects.bulk_create(
        [
            CommitteeSeat(
                committee_id=old.pk,
                member_id=mid,
                member_name=name,
                org_path=old.org_path,
                post=POSTS[i],
                starts_on=old.term_start,
                ends_on=old.ended_on,
            )
            for old, rows in zip(olds, picks, strict=True)
            for i, (mid, name) in enumerate(rows)
        ],
        batch_size=BATCH,
    )
