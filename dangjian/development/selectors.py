"""Reads of member development: each takes the acting user and reads through
``Applicant.objects.visible_to(user, action)``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.core import scope, tree
from dangjian.core.ids import MAX_PK
from dangjian.development import steps as S
from dangjian.development.models import (
    Applicant,
    ApplicantStatus,
    ApplicantStep,
    DevelopmentTarget,
    PersonRole,
    ResponsiblePerson,
    Stage,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

VIEW = "development.view"
OPEN_STATUSES = (ApplicantStatus.ACTIVE, ApplicantStatus.CONFIRMED)


def _pk(value, field: str) -> int:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: ["必须是整数"]}) from None
    if not 0 < pk < MAX_PK:
        raise ValidationError({field: ["编号超出范围"]})
    return pk


def visible(user):
    return Applicant.objects.visible_to(user, VIEW)


def node_of(user, *, org=None, area=None):
    """The board's node: a visible organization or area (404 otherwise), or None."""
    if org not in (None, "") and area not in (None, ""):
        raise ValidationError({"org": ["org与area只能选择其一"]})
    if org not in (None, ""):
        return scope.get_visible(
            PartyOrg.objects.defer("contact_phone"),
            user,
            "organizations.view",
            pk=_pk(org, "org"),
        )
    if area not in (None, ""):
        return scope.get_visible(
            Area.objects.defer("boundary"), user, "territory.view", pk=_pk(area, "area")
        )
    return None


def _within(qs, node, prefix: str = ""):
    if node is None:
        return qs
    name = "org_path" if isinstance(node, PartyOrg) else "area_path"
    return qs.filter(
        **{f"{prefix}{name}__gte": node.path, f"{prefix}{name}__lt": tree.path_end(node.path)}
    )


def applicant_list(user, *, q="", stage=None, status=None, org=None, area=None, overdue=False):
    qs = visible(user).select_related("org")
    node = node_of(user, org=org, area=area)
    qs = _within(qs, node)
    if q:
        qs = qs.filter(name__contains=q.strip()[:50])
    if stage not in (None, ""):
        try:
            stage_n = int(stage)
        except (TypeError, ValueError):
            stage_n = 0
        if stage_n not in Stage.values:
            raise ValidationError({"stage": ["阶段应为1至5"]})
        qs = qs.filter(stage=stage_n, status=ApplicantStatus.ACTIVE)
    if status not in (None, ""):
        if status not in ApplicantStatus.values:
            raise ValidationError(
                {"status": [f"状态取值无效，可选：{'、'.join(ApplicantStatus.values)}"]}
            )
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, next_due__lt=timezone.localdate())
    return qs.order_by("org_path", "id")


def applicant_get(user, pk) -> Applicant:
    return scope.get_visible(
        Applicant.objects.select_related("org", "member"), user, VIEW, pk=_pk(pk, "id")
    )


def history(applicant: Applicant) -> list[ApplicantStep]:
    rows = list(
        ApplicantStep.objects.filter(applicant_id=applicant.pk)
        .select_related("approving_org")
        .prefetch_related("people")
        .order_by("id")
    )
    return rows


def people(applicant: Applicant) -> dict[str, list[ResponsiblePerson]]:
    out: dict[str, list[ResponsiblePerson]] = {PersonRole.CONTACT: [], PersonRole.SPONSOR: []}
    for p in ResponsiblePerson.objects.filter(applicant_id=applicant.pk).order_by("id"):
        out[p.role].append(p)
    return out


@dataclass
class NextMove:
    number: int | None
    label: str
    earliest: dt.date | None
    due: dt.date | None
    due_rule: str
    ready: bool
    overdue: bool
    why: list[str] = field(default_factory=list)


def next_move(a: Applicant, today: dt.date | None = None) -> NextMove:
    today = today or timezone.localdate()
    n = a.next_step
    if n is None:
        return NextMove(None, "", None, None, "", False, False)
    from dangjian.development.services import earliest_explained

    earliest, why = earliest_explained(a)
    return NextMove(
        n,
        S.STEPS[n].label,
        earliest,
        a.next_due,
        a.next_due_rule,
        earliest is None or earliest <= today,
        bool(a.next_due and a.next_due < today),
        why,
    )


# --- the board --------------------------------------------------------------------------------

BOARD_ROWS = 50


def _step_counts(user, node, year: int, group_len: int | None = None):
    """Activists (step 3), candidates (step 7) and new members (step 17) taken in ``year``,
    in the subtree of ``node`` (and per child subtree when ``group_len`` is given)."""
    qs = ApplicantStep.objects.filter(
        number__in=(3, 7, S.MEMBER_STEP),
        date__gte=dt.date(year, 1, 1),
        date__lt=dt.date(year + 1, 1, 1),
    )
    sq = scope.scope_q(Applicant, user, VIEW, prefix="applicant__")
    if sq is None:
        return {} if group_len else {"activists": 0, "candidates": 0, "new_members": 0}
    qs = _within(qs.filter(sq), node, prefix="applicant__")
    aggregates = {
        "activists": Count("id", filter=Q(number=3)),
        "candidates": Count("id", filter=Q(number=7)),
        "new_members": Count("id", filter=Q(number=S.MEMBER_STEP)),
    }
    if group_len is None:
        return qs.aggregate(**aggregates)
    name = "org_path" if isinstance(node, PartyOrg) else "area_path"
    rows = (
        qs.annotate(prefix=Substr(f"applicant__{name}", 1, group_len))
        .values("prefix")
        .annotate(**aggregates)
        .order_by()
    )
    return {r["prefix"]: r for r in rows}


def _target_for(nodes: list, year: int) -> dict[int, DevelopmentTarget]:
    if not nodes:
        return {}
    key = "org_id" if isinstance(nodes[0], PartyOrg) else "area_id"
    rows = DevelopmentTarget.objects.filter(year=year, **{f"{key}__in": [n.pk for n in nodes]})
    return {getattr(t, key): t for t in rows}


def _target_row(node, target, actual) -> dict:
    out = {
        "node_id": node.pk,
        "node_name": node.name,
        "tree": "org" if isinstance(node, PartyOrg) else "area",
        "target_id": target.pk if target else None,
    }
    for key in ("activists", "candidates", "new_members"):
        out[key] = {
            "target": getattr(target, key) if target else 0,
            "actual": (actual or {}).get(key, 0) or 0,
        }
    return out


def board(user, *, org=None, area=None, year=None) -> dict:
    today = timezone.localdate()
    year = _pk(year, "year") if year not in (None, "") else today.year
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": ["年度应在2000至2100之间"]})
    node = node_of(user, org=org, area=area)
    if node is None:
        reach = scope.reach_of(user, VIEW)
        top = sorted(reach.org_paths, key=len)
        if top:
            node = PartyOrg.objects.filter(path=top[0]).defer("contact_phone").first()
    qs = _within(visible(user), node)
    stages = {s: 0 for s in Stage.values}
    statuses = {s: 0 for s in ApplicantStatus.values}
    for row in qs.values("status", "stage").annotate(n=Count("id")).order_by():
        statuses[row["status"]] += row["n"]
        if row["status"] == ApplicantStatus.ACTIVE:
            stages[row["stage"]] += row["n"]
    open_qs = qs.filter(status__in=OPEN_STATUSES).select_related("org")
    overdue_qs = open_qs.filter(next_due__lt=today)
    overdue_count = overdue_qs.count()
    overdue = list(overdue_qs.order_by("next_due", "id")[:BOARD_ROWS])
    ready_qs = open_qs.filter(Q(next_earliest__isnull=True) | Q(next_earliest__lte=today))
    ready_count = ready_qs.count()
    ready = list(ready_qs.order_by(F("next_earliest").asc(nulls_first=True), "id")[:BOARD_ROWS])
    upcoming = list(
        open_qs.filter(next_earliest__gt=today).order_by("next_earliest", "id")[:BOARD_ROWS]
    )
    targets = None
    children_rows: list[dict] = []
    if node is not None:
        own = _target_for([node], year).get(node.pk)
        targets = _target_row(node, own, _step_counts(user, node, year))
        model = PartyOrg if isinstance(node, PartyOrg) else Area
        perm = "organizations.view" if model is PartyOrg else "territory.view"
        base = model.objects.visible_to(user, perm).filter(parent_id=node.pk)
        children = list(
            base.defer("contact_phone" if model is PartyOrg else "boundary").order_by("path")[:200]
        )
        if children:
            length = len(children[0].path)
            counts = _step_counts(user, node, year, group_len=length)
            tmap = _target_for(children, year)
            children_rows = [_target_row(c, tmap.get(c.pk), counts.get(c.path)) for c in children]
    return {
        "node": node,
        "year": year,
        "today": today,
        "stages": stages,
        "statuses": statuses,
        "overdue": overdue,
        "overdue_count": overdue_count,
        "ready_count": ready_count,
        "ready": ready,
        "upcoming": upcoming,
        "targets": targets,
        "children": children_rows,
    }


def target_list(user, *, year=None, org=None, area=None):
    qs = DevelopmentTarget.objects.visible_to(user, VIEW).select_related("org", "area")
    if year not in (None, ""):
        qs = qs.filter(year=_pk(year, "year"))
    node = node_of(user, org=org, area=area)
    if node is not None:
        key = "org" if isinstance(node, PartyOrg) else "area"
        qs = qs.filter(**{key: node})
    return qs.order_by("-year", "org_path", "area_path", "id")


def portal_applicants(user):
    """What the mobile page shows: one's own applications and those one is a contact of."""
    return (
        Applicant.objects.visible_to(user, scope.PERSONAL)
        .filter(status__in=OPEN_STATUSES)
        .select_related("org")
        .order_by("id")
    )
