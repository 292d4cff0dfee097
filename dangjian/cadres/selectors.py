"""Reads of village and community cadres (两委干部), reserves and mentor pairs: each takes the
acting user and reads through ``Model.objects.visible_to(user, action)`` (the village's area)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from dangjian.cadres.models import (
    COLLEGE_OR_ABOVE,
    Cadre,
    CadrePosition,
    Committee,
    MentorPair,
    ReserveCadre,
)
from dangjian.core import scope, tree
from dangjian.core.conf import setting
from dangjian.members.models import (
    Education,
    Gender,
    years_between,
)
from dangjian.members.selectors import Band, _area_node, _bad, _clean_q, _yes_no
from dangjian.territory.models import AreaKind

# --- village and community cadres (两委干部) ----------------------------------------------------

CADRE_AGE_BANDS = (
    Band("le35", "35岁及以下", None, 35),
    Band("36_45", "36至45岁", 36, 45),
    Band("46_55", "46至55岁", 46, 55),
    Band("ge56", "56岁及以上", 56, None),
)
CADRE_TARGET_LABELS = {
    "village_cadre_college_share": "村两委干部大专及以上学历占比（不含社区）",
    "secretary_college_share": "村党组织书记大专及以上学历占比（不含社区）",
}


def cadre_targets() -> dict[str, float]:
    """The cadre structure targets (settings.DANGJIAN["CADRE_TARGETS"]; Nantong's "8595")."""
    conf = setting("CADRE_TARGETS", None) or {}
    defaults = {"village_cadre_college_share": 0.85, "secretary_college_share": 0.95}
    return {k: float(conf.get(k, v)) for k, v in defaults.items()}


def cadre_list(
    user,
    *,
    area: int | None = None,
    committee: str | None = None,
    position: str | None = None,
    education: str | None = None,
    one_shoulder: bool | None = None,
    cross_holding: bool | None = None,
    college: bool | None = None,
    serving: bool | None = True,
    q: str | None = None,
    action: str = "members.view",
):
    """The cadres ``user`` may see (by the village's ``area_path``), filtered: ``area`` (its
    subtree), committee, position, education, the flags, college degree or above, serving
    (default) or past, and ``q`` (part of the name or a prefix of its pinyin initials)."""
    qs = Cadre.objects.visible_to(user, action)
    node = _area_node(user, area)
    if node is not None:
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    for field, choices, value in (
        ("committee", Committee, committee),
        ("position", CadrePosition, position),
        ("education", Education, education),
    ):
        if value:
            if value not in choices.values:
                raise _bad(field, f"取值无效，可选：{'、'.join(choices.values)}")
            qs = qs.filter(**{field: value})
    for field, value in (("one_shoulder", one_shoulder), ("cross_holding", cross_holding)):
        if _yes_no(field, value) is not None:
            qs = qs.filter(**{field: value})
    if _yes_no("college", college) is not None:
        college_q = Q(education__in=COLLEGE_OR_ABOVE)
        qs = qs.filter(college_q if college else ~college_q)
    if _yes_no("serving", serving) is not None:
        qs = qs.filter(ended_on__isnull=serving)
    text = _clean_q(q)
    if text:
        if text.isascii() and text.isalpha():
            qs = qs.filter(Q(name__contains=text) | Q(name_pinyin__startswith=text.upper()))
        else:
            qs = qs.filter(name__contains=text)
    return (
        qs.select_related("area")
        .defer("area__boundary")
        .order_by("area_path", "committee", "position", "id")
    )


def cadre_get(user, pk: int, action: str = "members.view", *, view_action=None) -> Cadre:
    qs = Cadre.objects.select_related("area").defer("area__boundary")
    return scope.get_visible(qs, user, action, view_action=view_action, pk=pk)


def reserve_cadre_list(
    user, *, area: int | None = None, serving: bool | None = True, q: str | None = None
):
    qs = ReserveCadre.objects.visible_to(user, "members.view")
    node = _area_node(user, area)
    if node is not None:
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if _yes_no("serving", serving) is not None:
        qs = qs.filter(ended_on__isnull=serving)
    text = _clean_q(q)
    if text:
        qs = qs.filter(name__contains=text)
    return qs.select_related("area").defer("area__boundary").order_by("area_path", "id")


def reserve_cadre_get(user, pk: int) -> ReserveCadre:
    qs = ReserveCadre.objects.select_related("area").defer("area__boundary")
    return scope.get_visible(qs, user, "members.view", pk=pk)


def mentor_pair_list(user, *, area: int | None = None, active: bool | None = True):
    qs = MentorPair.objects.visible_to(user, "members.view")
    node = _area_node(user, area)
    if node is not None:
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if _yes_no("active", active) is not None:
        qs = qs.filter(ended_on__isnull=active)
    return qs.select_related("mentor", "mentee").order_by("area_path", "-started_on", "id")


def mentor_pair_get(user, pk: int) -> MentorPair:
    return scope.get_visible(
        MentorPair.objects.select_related("mentor", "mentee"), user, "members.view", pk=pk
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def cadre_stats(user, *, area: int | None = None, today: dt.date | None = None) -> dict:
    """The structure of the serving two-committee cadres under an Area node (everything the
    user may see when none is given): seats, villages covered, average age and age bands,
    women, college degree or above (all cadres and the secretaries), 一肩挑 (share of the
    party secretaries who also head the villagers' or residents' committee) and 交叉任职
    (share of the cadres sitting on both committees), against the targets in the settings.

    One query reads the few columns of the serving seats; the figures are exact."""
    today = today or timezone.localdate()
    base = Cadre.objects.visible_to(user, "members.view").filter(ended_on__isnull=True)
    node = _area_node(user, area)
    if node is not None:
        base = base.filter(tree.subtree_q("area_path", node.path))
    rows = list(
        base.order_by().values_list(
            "area_id",
            "committee",
            "position",
            "one_shoulder",
            "cross_holding",
            "party_member",
            "gender",
            "birth_date",
            "education",
            "area__kind",
        )
    )
    total = len(rows)
    ages = [years_between(r[7], today) for r in rows]
    college = [r[8] in COLLEGE_OR_ABOVE for r in rows]
    secretaries = [
        i for i, r in enumerate(rows) if r[1] == Committee.PARTY and r[2] == CadrePosition.SECRETARY
    ]
    one_shoulder = sum(1 for i in secretaries if rows[i][3])
    cross = sum(1 for r in rows if r[4])
    women = sum(1 for r in rows if r[6] == Gender.FEMALE)
    college_n = sum(college)
    secretary_college = sum(1 for i in secretaries if college[i])
    committee_counts = {c: 0 for c in Committee.values}
    for r in rows:
        committee_counts[r[1]] = committee_counts.get(r[1], 0) + 1
    band_counts = {b.code: 0 for b in CADRE_AGE_BANDS}
    for age in ages:
        for b in CADRE_AGE_BANDS:
            if (b.low is None or age >= b.low) and (b.high is None or age <= b.high):
                band_counts[b.code] += 1
                break
    # "8595" is about villages: a community's cadres and secretaries are left out of the
    # targets' shares (the all-cadre figures above still count them).
    village = [i for i, r in enumerate(rows) if r[9] == AreaKind.VILLAGE]
    village_secretaries = [i for i in secretaries if rows[i][9] == AreaKind.VILLAGE]
    actual = {
        "village_cadre_college_share": _share(sum(1 for i in village if college[i]), len(village)),
        "secretary_college_share": _share(
            sum(1 for i in village_secretaries if college[i]), len(village_secretaries)
        ),
    }
    targets = [
        {
            "code": code,
            "label": CADRE_TARGET_LABELS[code],
            "target": target,
            "actual": actual[code],
            "met": actual[code] is not None and actual[code] >= target,
        }
        for code, target in cadre_targets().items()
    ]
    reserves = ReserveCadre.objects.visible_to(user, "members.view").filter(ended_on__isnull=True)
    pairs = MentorPair.objects.visible_to(user, "members.view").filter(ended_on__isnull=True)
    if node is not None:
        reserves = reserves.filter(tree.subtree_q("area_path", node.path))
        pairs = pairs.filter(tree.subtree_q("area_path", node.path))
    return {
        "node": {"type": "area", "id": node.pk, "name": node.name} if node else None,
        "as_of": today,
        "cadres": total,
        "villages": len({r[0] for r in rows}),
        "secretaries": len(secretaries),
        "average_age": round(sum(ages) / total, 1) if total else None,
        "by_age_band": [
            {"code": b.code, "label": b.label, "count": band_counts[b.code]}
            for b in CADRE_AGE_BANDS
        ],
        "by_committee": [
            {"code": c.value, "label": str(c.label), "count": committee_counts[c.value]}
            for c in Committee
        ],
        "women": women,
        "women_share": _share(women, total),
        "college": college_n,
        "college_share": _share(college_n, total),
        "secretary_college": secretary_college,
        "secretary_college_share": _share(secretary_college, len(secretaries)),
        "one_shoulder": one_shoulder,
        "one_shoulder_rate": _share(one_shoulder, len(secretaries)),
        "cross_holding": cross,
        "cross_holding_rate": _share(cross, total),
        "party_members": sum(1 for r in rows if r[5]),
        "reserve_cadres": reserves.count(),
        "mentor_pairs": pairs.count(),
        "targets": targets,
    }
