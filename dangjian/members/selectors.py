"""Reads of the member registry: each takes the acting user and reads through
``Model.objects.visible_to(user, action)``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone

from dangjian.core import crypto, scope, tree
from dangjian.core.conf import setting
from dangjian.core.months import add_months
from dangjian.core.validation import ALL_CONTROL_RE
from dangjian.members.models import (
    Category,
    CommunityCheckin,
    Education,
    Ethnicity,
    Gender,
    Member,
    MemberCategory,
    MemberTransfer,
    MobileRegistration,
    Occupation,
    Status,
    TransferKind,
    TransferState,
    UnitRole,
    UnitRoleCode,
)
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

# --- bands -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    low: object  # inclusive (age in years, or a date); None: open
    high: object  # age: inclusive; date: exclusive; None: open


AGE_BANDS = (
    Band("le30", "30岁及以下", None, 30),
    Band("31_40", "31至40岁", 31, 40),
    Band("41_50", "41至50岁", 41, 50),
    Band("51_60", "51至60岁", 51, 60),
    Band("61_70", "61至70岁", 61, 70),
    Band("ge71", "71岁及以上", 71, None),
)
AGE_BAND_BY_CODE = {b.code: b for b in AGE_BANDS}

# The join periods of the party's internal statistics (党内统计).
JOIN_PERIODS = (
    Band("before_1949_10", "1949年9月及以前", None, dt.date(1949, 10, 1)),
    Band("1949_10_1966_04", "1949年10月至1966年4月", dt.date(1949, 10, 1), dt.date(1966, 5, 1)),
    Band("1966_05_1976_10", "1966年5月至1976年10月", dt.date(1966, 5, 1), dt.date(1976, 11, 1)),
    Band("1976_11_1978_12", "1976年11月至1978年12月", dt.date(1976, 11, 1), dt.date(1979, 1, 1)),
    Band("1979_01_2002_10", "1979年1月至2002年10月", dt.date(1979, 1, 1), dt.date(2002, 11, 1)),
    Band("2002_11_2012_10", "2002年11月至2012年10月", dt.date(2002, 11, 1), dt.date(2012, 11, 1)),
    Band("2012_11_now", "2012年11月以来", dt.date(2012, 11, 1), None),
)


def age_band_q(band: Band, today: dt.date) -> Q:
    """Members whose age today falls in ``band``, as a range on the birth date."""
    q = Q()
    if band.low is not None:
        q &= Q(birth_date__lte=add_months(today, -12 * band.low))
    if band.high is not None:
        q &= Q(birth_date__gt=add_months(today, -12 * (band.high + 1)))
    return q


def join_period_q(band: Band) -> Q:
    q = Q()
    if band.low is not None:
        q &= Q(joined_on__gte=band.low)
    if band.high is not None:
        q &= Q(joined_on__lt=band.high)
    return q


# --- the registry ----------------------------------------------------------------------------

_ID_RE = re.compile(r"^\d{17}[\dXx]$")


def _clean_q(q: str | None) -> str:
    """A search text: stripped, control characters dropped (PostgreSQL refuses NUL), at most 50."""
    return ALL_CONTROL_RE.sub("", q or "").strip()[:50]


def _bad(field: str, message: str = "取值不在允许范围内") -> ValidationError:
    return ValidationError({field: [message]})


def member_list(
    user,
    *,
    org: int | None = None,
    area: int | None = None,
    org_area: int | None = None,
    category: str | None = None,
    status: str | None = None,
    age_band: str | None = None,
    education: str | None = None,
    occupation: str | None = None,
    gender: str | None = None,
    ethnicity: str | None = None,
    join_year: int | None = None,
    q: str | None = None,
    include_left: bool = False,
    action: str = "members.view",
):
    """The members ``user`` may see, filtered: ``org`` (its subtree), ``area`` (residence in
    its subtree), ``org_area`` (organization anchored in its subtree), category, status, age band, education, join year, and ``q``: part of the
    name, a prefix of the name's pinyin initials, or a whole 18-character ID number (through
    the blind index). Files transferred out of the system are left out unless asked for."""
    qs = Member.objects.visible_to(user, action)
    today = timezone.localdate()
    if org is not None:
        node = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), user, "organizations.view", pk=org
        )
        qs = qs.filter(tree.subtree_q("org_path", node.path))
    if area is not None:
        node = scope.get_visible(Area.objects.defer("boundary"), user, "territory.view", pk=area)
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if org_area is not None:
        # Members of the organizations anchored in the area's subtree (the dashboard's count).
        node = scope.get_visible(
            Area.objects.defer("boundary"), user, "territory.view", pk=org_area
        )
        qs = qs.filter(tree.subtree_q("org__area_path", node.path))
    if category:
        if category not in Category.values:
            raise _bad("category", f"党员类别取值无效，可选：{'、'.join(Category.values)}")
        qs = qs.filter(pk__in=MemberCategory.objects.filter(code=category).values("member_id"))
    for field, choices, value in (
        ("status", Status, status),
        ("education", Education, education),
        ("occupation", Occupation, occupation),
        ("gender", Gender, gender),
        ("ethnicity", Ethnicity, ethnicity),
    ):
        if value:
            if value not in choices.values:
                raise _bad(field, f"取值无效，可选：{'、'.join(choices.values)}")
            qs = qs.filter(**{field: value})
    if age_band:
        band = AGE_BAND_BY_CODE.get(age_band)
        if band is None:
            raise _bad("age_band", f"年龄段取值无效，可选：{'、'.join(AGE_BAND_BY_CODE)}")
        qs = qs.filter(age_band_q(band, today))
    if join_year is not None:
        if not 1921 <= join_year <= today.year:
            raise _bad("join_year", f"入党年份应在1921至{today.year}之间")
        qs = qs.filter(
            joined_on__gte=dt.date(join_year, 1, 1), joined_on__lt=dt.date(join_year + 1, 1, 1)
        )
    text = _clean_q(q)
    if text:
        if _ID_RE.match(text):
            qs = qs.filter(id_number_index=crypto.blind_index("id_number", text))
        elif text.isascii() and text.isalpha():
            qs = qs.filter(Q(name__contains=text) | Q(name_pinyin__startswith=text.upper()))
        else:
            qs = qs.filter(name__contains=text)
    if not include_left:
        qs = qs.filter(left_on__isnull=True)
    return (
        qs.select_related("org", "unit")
        .defer("org__contact_phone", "unit__boundary")
        .prefetch_related("category_rows")
        .order_by("org_path", "id")
    )


def member_get(
    user, pk: int, action: str = "members.view", *, view_action: str | None = None
) -> Member:
    qs = (
        Member.objects.select_related("org", "unit")
        .defer("org__contact_phone", "unit__boundary")
        .prefetch_related("category_rows")
    )
    return scope.get_visible(qs, user, action, view_action=view_action, pk=pk)


def member_detail_extras(user, member: Member) -> dict:
    """What the file shows beside its fields: check-ins, mobile registrations, transfers."""
    return {
        "checkins": list(
            member.checkins.select_related("community")
            .defer("community__boundary")
            .order_by("-reported_on")
        ),
        "mobile": list(member.mobile_registrations.order_by("-left_on", "-id")[:5]),
        "transfers": list(member.transfers.order_by("-created_at", "-id")[:10]),
    }


# --- statistics --------------------------------------------------------------------------------


GROUPED_DIMENSIONS = (
    ("status", Status),
    ("gender", Gender),
    ("education", Education),
    ("occupation", Occupation),
)


def _listed(counts: dict, choices) -> list[dict]:
    """Every code of ``choices`` in order, then "未填写" and any code outside the choices."""
    counts = dict(counts)
    out = [
        {"code": c.value, "label": str(c.label), "count": counts.pop(c.value, 0)} for c in choices
    ]
    blank = counts.pop("", 0) + counts.pop(None, 0)
    if blank:
        out.append({"code": "", "label": "未填写", "count": blank})
    out += [{"code": code, "label": code, "count": n} for code, n in sorted(counts.items()) if n]
    return out


def member_stats(user, *, org: int | None = None, area: int | None = None) -> dict:
    """Counts of the visible members under a node of either tree, by status, gender,
    ethnicity, age band, education, occupation, category and join period. ``area`` counts
    members whose residence lies in that subtree (still within the user's ``members.view``
    reach).

    Three queries instead of one per dimension: one GROUP BY over the five coded columns
    together (a few hundred combinations at most, summed per column here), one over the age
    band and the join period (two CASE expressions), one over the categories."""
    today = timezone.localdate()
    base = Member.objects.visible_to(user, "members.view").filter(left_on__isnull=True)
    node = None
    if org is not None:
        o = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), user, "organizations.view", pk=org
        )
        base = base.filter(tree.subtree_q("org_path", o.path))
        node = {"type": "org", "id": o.pk, "name": o.name}
    if area is not None:
        a = scope.get_visible(Area.objects.defer("boundary"), user, "territory.view", pk=area)
        base = base.filter(tree.subtree_q("area_path", a.path))
        node = {"type": "area", "id": a.pk, "name": a.name} if node is None else node
    base = base.order_by()
    fields = [f for f, _choices in GROUPED_DIMENSIONS] + ["ethnicity"]
    per_field: dict[str, dict] = {f: {} for f in fields}
    total = 0
    for row in base.values(*fields).annotate(n=Count("pk")).values_list(*fields, "n"):
        n = row[-1]
        total += n
        for f, code in zip(fields, row, strict=False):
            per_field[f][code] = per_field[f].get(code, 0) + n

    def case(bands, q_of):
        return Case(
            *[When(q_of(b), then=Value(b.code)) for b in bands],
            default=Value(""),
            output_field=models.CharField(),
        )

    age_of = {}
    join_of = {}
    banded_rows = (
        base.annotate(
            age_band_code=case(AGE_BANDS, lambda b: age_band_q(b, today)),
            join_period_code=case(JOIN_PERIODS, join_period_q),
        )
        .values("age_band_code", "join_period_code")
        .annotate(n=Count("pk"))
        .values_list("age_band_code", "join_period_code", "n")
    )
    for age_code, join_code, n in banded_rows:
        age_of[age_code] = age_of.get(age_code, 0) + n
        join_of[join_code] = join_of.get(join_code, 0) + n

    def banded(counts: dict, bands) -> list[dict]:
        out = [{"code": b.code, "label": b.label, "count": counts.get(b.code, 0)} for b in bands]
        if counts.get(""):
            out.append({"code": "", "label": "未填写", "count": counts[""]})
        return out

    cat_counts = dict(
        MemberCategory.objects.filter(member__in=base.values("pk"))
        .order_by()
        .values("code")
        .annotate(n=Count("pk"))
        .values_list("code", "n")
    )
    ethnicity_counts = per_field["ethnicity"]
    return {
        "node": node,
        "as_of": today,
        "total": total,
        "by_status": _listed(per_field["status"], Status),
        "by_gender": _listed(per_field["gender"], Gender),
        "by_ethnicity": [
            {"code": c.value, "label": str(c.label), "count": ethnicity_counts[c.value]}
            for c in Ethnicity
            if ethnicity_counts.get(c.value)
        ],
        "by_age_band": banded(age_of, AGE_BANDS),
        "by_education": _listed(per_field["education"], Education),
        "by_occupation": _listed(per_field["occupation"], Occupation),
        "by_category": [
            {"code": c.value, "label": str(c.label), "count": cat_counts.get(c.value, 0)}
            for c in Category
        ],
        "by_join_period": banded(join_of, JOIN_PERIODS),
    }


# --- mobile members ------------------------------------------------------------------------------


def _setting(key: str, default: int) -> int:
    return int(setting(key, default))


def mobile_rules() -> dict[str, int]:
    """Months after which each warning fires (DOMAIN.md, "Members"; local settings may differ)."""
    return {
        "out_of_contact": _setting("MOBILE_OUT_OF_CONTACT_MONTHS", 6),
        # Counted from the suspension (``Member.suspended_on``), not from the last contact.
        "out_of_contact_removal": _setting("MOBILE_REMOVAL_AFTER_MONTHS", 24),
        "report_overdue": _setting("MOBILE_REPORT_MONTHS", 12),
        "should_transfer": _setting("MOBILE_TRANSFER_MONTHS", 6),
    }


WARNING_LABELS = {
    "out_of_contact": "失联满6个月，应按规定停止党籍",
    "out_of_contact_removal": "停止党籍满2年仍未恢复联系，应予除名",
    "report_overdue": "超过1年未向党组织汇报",
    "should_transfer": "外出满6个月且地点固定，应转接组织关系",
}


def warning_q(code: str, today: dt.date) -> Q:
    if code not in WARNING_LABELS:
        raise _bad("warning", f"预警类型取值无效，可选：{'、'.join(WARNING_LABELS)}")
    months = mobile_rules()[code]
    cutoff = add_months(today, -months)
    if code == "out_of_contact":  # not yet suspended
        return Q(last_contact_on__lte=cutoff) & ~Q(member__status=Status.SUSPENDED)
    if code == "out_of_contact_removal":
        return Q(member__status=Status.SUSPENDED, member__suspended_on__lte=cutoff)
    if code == "report_overdue":
        return Q(last_report_on__lte=cutoff) | Q(last_report_on__isnull=True, left_on__lte=cutoff)
    return Q(fixed_place=True, left_on__lte=cutoff)  # should_transfer


def warnings_of(reg: MobileRegistration, today: dt.date | None = None) -> list[str]:
    """The warnings a registration raises today (an ended one raises none)."""
    if not reg.active:
        return []
    today = today or timezone.localdate()
    rules = mobile_rules()
    out = []
    member = reg.member
    if member.status == Status.SUSPENDED:
        since = member.suspended_on
        if since and since <= add_months(today, -rules["out_of_contact_removal"]):
            out.append("out_of_contact_removal")
    elif reg.last_contact_on <= add_months(today, -rules["out_of_contact"]):
        out.append("out_of_contact")
    if (reg.last_report_on or reg.left_on) <= add_months(today, -rules["report_overdue"]):
        out.append("report_overdue")
    if reg.fixed_place and reg.left_on <= add_months(today, -rules["should_transfer"]):
        out.append("should_transfer")
    return out


def mobile_list(
    user, *, active: bool | None = True, warning: str | None = None, member: int | None = None
):
    qs = MobileRegistration.objects.visible_to(user, "members.view")
    if active is not None:
        qs = qs.filter(active=active)
    if warning:
        qs = qs.filter(warning_q(warning, timezone.localdate()), active=True)
    if member is not None:
        qs = qs.filter(member_id=member)
    return (
        qs.select_related("member", "card_issuer", "host_org")
        .defer(
            "member__id_number",
            "member__phone",
            "card_issuer__contact_phone",
            "host_org__contact_phone",
        )
        .order_by("-left_on", "-id")
    )


def mobile_get(user, pk: int, action: str = "members.view") -> MobileRegistration:
    qs = MobileRegistration.objects.select_related("member", "card_issuer", "host_org").defer(
        "member__id_number",
        "member__phone",
        "card_issuer__contact_phone",
        "host_org__contact_phone",
    )
    return scope.get_visible(qs, user, action, pk=pk)


def mobile_warnings(user, today: dt.date | None = None) -> list[dict]:
    """Every warning on the active registrations the user may see, most severe first."""
    today = today or timezone.localdate()
    any_q = Q()
    for code in WARNING_LABELS:
        any_q |= warning_q(code, today)
    out = []
    for reg in mobile_list(user).filter(any_q):
        for code in warnings_of(reg, today):
            out.append({"registration": reg, "code": code, "label": WARNING_LABELS[code]})
    order = list(WARNING_LABELS)
    out.sort(key=lambda w: (order.index(w["code"]), w["registration"].last_contact_on))
    return out


# --- community check-in ----------------------------------------------------------------------------


def checkin_list(
    user, *, community: int | None = None, kind: str | None = None, q: str | None = None
):
    qs = CommunityCheckin.objects.visible_to(user, "members.checkin_view")
    if community is not None:
        node = scope.get_visible(
            Area.objects.defer("boundary"), user, "territory.view", pk=community
        )
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if kind == "member":
        qs = qs.filter(member__isnull=False)
    elif kind == "org":
        qs = qs.filter(party_org__isnull=False)
    elif kind:
        raise _bad("kind", "报到类型应为member（党员）或org（党组织）")
    text = _clean_q(q)
    if text:
        qs = qs.filter(Q(name__contains=text) | Q(work_unit__contains=text))
    return (
        qs.select_related("community")
        .defer("community__boundary")
        .order_by("area_path", "-reported_on", "-id")
    )


def checkin_get(user, pk: int) -> CommunityCheckin:
    qs = CommunityCheckin.objects.select_related("community").defer("community__boundary")
    return scope.get_visible(qs, user, "members.checkin_view", pk=pk)


# --- transfers ---------------------------------------------------------------------------------------


def transfer_list(
    user, *, state: str | None = None, kind: str | None = None, member: int | None = None
):
    qs = MemberTransfer.objects.visible_to(user, "members.view")
    if state:
        if state not in TransferState.values:
            raise _bad("state", f"状态取值无效，可选：{'、'.join(TransferState.values)}")
        qs = qs.filter(state=state)
    if kind:
        if kind not in TransferKind.values:
            raise _bad("kind", f"类型取值无效，可选：{'、'.join(TransferKind.values)}")
        qs = qs.filter(kind=kind)
    if member is not None:
        qs = qs.filter(member_id=member)
    return qs.order_by("-created_at", "-id")


def transfer_get(user, pk: int) -> MemberTransfer:
    return scope.get_visible(
        MemberTransfer.objects.prefetch_related("steps"), user, "members.view", pk=pk
    )


def _area_node(user, area: int | None):
    if area is None:
        return None
    return scope.get_visible(Area.objects.defer("boundary"), user, "territory.view", pk=area)


def _yes_no(field: str, value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _bad(field, "应为true或false")


def unit_role_list(
    user, *, area: int | None = None, role: str | None = None, serving: bool | None = True
):
    qs = UnitRole.objects.visible_to(user, "members.view")
    node = _area_node(user, area)
    if node is not None:
        qs = qs.filter(tree.subtree_q("area_path", node.path))
    if role:
        if role not in UnitRoleCode.values:
            raise _bad("role", f"角色取值无效，可选：{'、'.join(UnitRoleCode.values)}")
        qs = qs.filter(role=role)
    if _yes_no("serving", serving) is not None:
        qs = qs.filter(ended_on__isnull=serving)
    return qs.select_related("unit").defer("unit__boundary").order_by("area_path", "role", "id")


def unit_role_get(user, pk: int) -> UnitRole:
    qs = UnitRole.objects.select_related("unit").defer("unit__boundary")
    return scope.get_visible(qs, user, "members.view", pk=pk)
