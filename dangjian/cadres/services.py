"""Writes of village and community cadres (两委干部), reserve cadres and mentor pairs: each atomic,
validated in full (Chinese messages naming the field), scoped by the village's area and audited."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.cadres.models import (
    COMMITTEE_POSITIONS,
    Cadre,
    CadrePosition,
    Committee,
    MentorPair,
    ReserveCadre,
)
from dangjian.core import audit, scope
from dangjian.core.months import add_months
from dangjian.core.pinyin import initials
from dangjian.core.validation import Errors, clean_text
from dangjian.members.models import (
    Education,
    Gender,
    Member,
)
from dangjian.members.sanctions import under_probation
from dangjian.members.services.fields import CADRE_FIELD_LABELS, EARLIEST_BIRTH, _as_date
from dangjian.members.services.registry import _linked_member, _managed_area
from dangjian.territory.models import Area, AreaKind

CADRE_AREA_KINDS = (AreaKind.VILLAGE, AreaKind.COMMUNITY)
CADRE_TERM_MONTHS = 60  # village and community committees: 5 years (DOMAIN.md, "Structure")
CADRE_TERM_MAX_MONTHS = 72  # an election may move by at most one year
CADRE_MIN_AGE = 18

CADRE_UPDATABLE = (
    "name",
    "member",
    "committee",
    "position",
    "one_shoulder",
    "cross_holding",
    "party_member",
    "gender",
    "birth_date",
    "education",
    "term_start",
    "term_end",
    "ended_on",
)


def _bool(errors: Errors, field: str, value, default: bool = False) -> bool:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    errors.add(field, f"{CADRE_FIELD_LABELS[field]}应为是或否")
    return default


def _person_fields(errors: Errors, values: dict, member: Member | None, explicit: set) -> dict:
    """Name, gender, birth date and education of a cadre or reserve cadre; from the linked
    member file where not given, and refused where given and contradicting it."""
    out = {}
    today = timezone.localdate()
    name = clean_text(values.get("name"))
    if member is not None:
        if name and "name" in explicit and name != member.name:
            errors.add("name", f"姓名与所选党员档案不符（档案姓名为{member.name}）")
        name = name or member.name
    if not name:
        errors.add("name", "请填写姓名")
    elif len(name) > 50:
        errors.add("name", "姓名不能超过50个字")
    out["name"] = name

    gender = clean_text(values.get("gender"))
    if member is not None and not gender:
        gender = member.gender
    if not gender:
        errors.add("gender", "请填写性别")
    elif gender not in Gender.values:
        errors.add("gender", "性别应为“男”或“女”")
    elif member is not None and "gender" in explicit and gender != member.gender:
        errors.add("gender", "性别与所选党员档案不符")
    out["gender"] = gender

    birth = _as_date(errors, "birth_date", values.get("birth_date"))
    if member is not None:
        if birth and "birth_date" in explicit and birth != member.birth_date:
            errors.add(
                "birth_date",
                f"出生日期与所选党员档案不符（档案为{member.birth_date.isoformat()}）",
            )
        birth = birth or member.birth_date
    if birth is None:
        if "birth_date" not in errors:
            errors.add("birth_date", "请填写出生日期")
    elif birth < EARLIEST_BIRTH:
        errors.add("birth_date", "出生日期不能早于1900年")
    elif birth > add_months(today, -12 * CADRE_MIN_AGE):
        errors.add("birth_date", f"村(社区)干部应年满{CADRE_MIN_AGE}周岁，请核对出生日期")
    out["birth_date"] = birth

    education = clean_text(values.get("education"))
    if member is not None and not education:
        education = member.education
    if not education:
        errors.add("education", "请填写学历")
    elif education not in Education.values:
        errors.add(
            "education",
            f"学历取值无效，可选：{'、'.join(str(c.label) for c in Education)}",
        )
    out["education"] = education
    return out


def _committee_for(area: Area, committee: str) -> str | None:
    """Why ``committee`` does not fit ``area``, or None."""
    if committee == Committee.VILLAGERS and area.kind != AreaKind.VILLAGE:
        return "社区设居民委员会，不设村民委员会"
    if committee == Committee.RESIDENTS and area.kind != AreaKind.COMMUNITY:
        return "村设村民委员会，不设居民委员会"
    return None


def clean_cadre_fields(
    errors: Errors,
    values: dict,
    *,
    area: Area,
    member: Member | None,
    explicit: set,
    exclude_pk: int | None = None,
) -> dict:
    """Every own field of a cadre checked against the rules of the two committees."""
    today = timezone.localdate()
    out = _person_fields(errors, values, member, explicit)

    committee = clean_text(values.get("committee"))
    if not committee:
        errors.add("committee", "请选择所属组织（党组织委员会、村民委员会或居民委员会）")
    elif committee not in Committee.values:
        errors.add(
            "committee", f"所属组织取值无效，可选：{'、'.join(str(c.label) for c in Committee)}"
        )
    elif message := _committee_for(area, committee):
        errors.add("committee", message)
    out["committee"] = committee

    position = clean_text(values.get("position"))
    allowed = COMMITTEE_POSITIONS.get(committee, ())
    if not position:
        errors.add("position", "请选择职务")
    elif position not in CadrePosition.values:
        errors.add(
            "position", f"职务取值无效，可选：{'、'.join(str(c.label) for c in CadrePosition)}"
        )
    elif allowed and position not in allowed:
        errors.add(
            "position",
            f"{Committee(committee).label}的职务应为{'、'.join(str(CadrePosition(p).label) for p in allowed)}",
        )
    out["position"] = position

    one_shoulder = _bool(errors, "one_shoulder", values.get("one_shoulder"))
    if one_shoulder and not (committee == Committee.PARTY and position == CadrePosition.SECRETARY):
        errors.add("one_shoulder", "只有党组织书记可以兼任村(居)民委员会主任（“一肩挑”）")
    out["one_shoulder"] = one_shoulder
    cross = _bool(errors, "cross_holding", values.get("cross_holding"))
    out["cross_holding"] = cross or one_shoulder  # the one-shoulder secretary sits on both

    party_member = _bool(errors, "party_member", values.get("party_member"), default=True)
    if member is not None:
        party_member = True
    if committee == Committee.PARTY and not party_member:
        errors.add("party_member", "党组织委员会成员须为中共党员")
    out["party_member"] = party_member

    start = _as_date(errors, "term_start", values.get("term_start"))
    if start is None:
        if "term_start" not in errors:
            errors.add("term_start", "请填写任期开始日期")
    elif start > today:
        errors.add("term_start", "任期开始日期不能晚于今天")
    elif out["birth_date"] and start < add_months(out["birth_date"], 12 * CADRE_MIN_AGE):
        errors.add("term_start", f"任职时应年满{CADRE_MIN_AGE}周岁，请核对任期开始日期")
    out["term_start"] = start
    end = _as_date(errors, "term_end", values.get("term_end"))
    if end is None and start is not None and "term_end" not in errors:
        end = add_months(start, CADRE_TERM_MONTHS)
    if start and end:
        if end <= start:
            errors.add("term_end", "任期届满日期应晚于任期开始日期")
        elif end > add_months(start, CADRE_TERM_MAX_MONTHS):
            errors.add("term_end", "村(社区)两委每届任期5年，提前或推迟换届不超过1年")
    out["term_end"] = end
    ended = _as_date(errors, "ended_on", values.get("ended_on"))
    if ended is not None:
        if ended > today:
            errors.add("ended_on", "离任日期不能晚于今天")
        elif start and ended < start:
            errors.add("ended_on", "离任日期不能早于任期开始日期")
    out["ended_on"] = ended

    if ended is None and not errors.get("committee") and not errors.get("position"):
        _check_seats(errors, out, area, member, exclude_pk)
    return out


def _check_seats(errors: Errors, out: dict, area: Area, member, exclude_pk) -> None:
    """One serving secretary per party committee, one serving director per villagers' or
    residents' committee, and no director beside a one-shoulder secretary."""
    serving = Cadre.objects.filter(area=area, ended_on__isnull=True)
    if exclude_pk:
        serving = serving.exclude(pk=exclude_pk)
    committee, position = out["committee"], out["position"]
    if position in (CadrePosition.SECRETARY, CadrePosition.DIRECTOR):
        other = serving.filter(committee=committee, position=position).first()
        if other is not None:
            errors.add(
                "position",
                f"{area.name}{Committee(committee).label}已有{CadrePosition(position).label}"
                f"{other.name}，请先登记其离任",
            )
    if position == CadrePosition.DIRECTOR:
        shoulder = serving.filter(one_shoulder=True).first()
        if shoulder is not None:
            errors.add(
                "position",
                f"{area.name}实行书记、主任“一肩挑”，主任由书记{shoulder.name}兼任",
            )
    if out["one_shoulder"]:
        director = serving.filter(position=CadrePosition.DIRECTOR).first()
        if director is not None:
            errors.add(
                "one_shoulder",
                f"{area.name}已有主任{director.name}，请先登记其离任再实行“一肩挑”",
            )
    if member is not None and serving.filter(member=member).exists():
        errors.add(
            "member",
            f"该党员已在{area.name}两委任职：同时在另一委员会任职的，请在原任职记录中登记交叉任职",
        )


def _cadre_save(obj) -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:  # a concurrent twin got there first
        raise ValidationError({"position": ["该职务已有人在任，请刷新后重试"]}) from exc


def _cadre_start(actor, area, member) -> tuple[Area, Errors, Member | None]:
    """What every cadre write starts with: the village or community the actor manages, the
    error collector and the linked member file (if any, and visible)."""
    area = _managed_area(actor, area, kinds=CADRE_AREA_KINDS, what="村(社区)")
    errors = Errors()
    return area, errors, _linked_member(errors, actor, member)


@transaction.atomic
def cadre_create(
    *,
    actor,
    area: Area | None,
    committee: str = "",
    position: str = "",
    name: str = "",
    member: Member | None = None,
    one_shoulder: bool = False,
    cross_holding: bool = False,
    party_member: bool | None = None,
    gender: str = "",
    birth_date=None,
    education: str = "",
    term_start=None,
    term_end=None,
) -> Cadre:
    """A new seat on a village's or community's two committees (两委)."""
    area, errors, linked = _cadre_start(actor, area, member)
    values = {
        "name": name,
        "committee": committee,
        "position": position,
        "one_shoulder": one_shoulder,
        "cross_holding": cross_holding,
        "party_member": party_member,
        "gender": gender,
        "birth_date": birth_date,
        "education": education,
        "term_start": term_start,
        "term_end": term_end,
    }
    explicit = {k for k, v in values.items() if v not in (None, "")}
    clean = clean_cadre_fields(errors, values, area=area, member=linked, explicit=explicit)
    check_standing(errors, linked, clean.get("committee"), clean.get("term_start"))
    errors.check()
    cadre = Cadre(area=area, area_path=area.path, member=linked, **clean)
    cadre.name_pinyin = initials(cadre.name)
    _cadre_save(cadre)
    audit.record(actor=actor, action="cadre.create", obj=cadre, after=audit.snapshot(cadre))
    scope.assert_visible(cadre, actor, "members.view")
    return cadre


@transaction.atomic
def cadre_update(*, actor, cadre: Cadre, **changes) -> Cadre:
    """Change a seat: the person's data, the position, the flags, the term, or its end
    (``ended_on``: the cadre left). The village stays: a move elsewhere is a new seat."""
    cadre = scope.get_visible(
        Cadre.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=cadre.pk,
    )
    if "area" in changes:
        raise ValidationError({"area": ["村(社区)不可修改：到其他村(社区)任职请新增任职记录"]})
    unknown = sorted(set(changes) - set(CADRE_UPDATABLE))
    if unknown:
        raise ValidationError({unknown[0]: ["该字段不可修改"]})
    area = Area.objects.defer("boundary").get(pk=cadre.area_id)
    before = audit.snapshot(cadre)
    errors = Errors()
    if "member" in changes:
        linked = _linked_member(errors, actor, changes["member"])
    else:
        linked = Member.objects.all().filter(pk=cadre.member_id).first()
    values = {f: getattr(cadre, f) for f in CADRE_UPDATABLE if f != "member"}
    values.update({k: v for k, v in changes.items() if k != "member"})
    explicit = set(changes) - {"member"}
    if "member" in changes and linked is not None:
        # A newly linked file supplies the person's data unless given in the same change.
        for key in ("name", "gender", "birth_date", "education"):
            if key not in changes:
                values[key] = ""
    clean = clean_cadre_fields(
        errors, values, area=area, member=linked, explicit=explicit, exclude_pk=cadre.pk
    )
    errors.check()
    for key, value in clean.items():
        setattr(cadre, key, value)
    cadre.member = linked
    cadre.name_pinyin = initials(cadre.name)
    _cadre_save(cadre)
    b, a = audit.diff(before, audit.snapshot(cadre))
    if a:
        audit.record(
            actor=actor,
            action="cadre.leave" if "ended_on" in a and cadre.ended_on else "cadre.update",
            obj=cadre,
            before=b,
            after=a,
        )
    scope.assert_visible(cadre, actor, "members.view")
    return cadre


@transaction.atomic
def reserve_cadre_create(
    *,
    actor,
    area: Area | None,
    name: str = "",
    member: Member | None = None,
    gender: str = "",
    birth_date=None,
    education: str = "",
    intended_position: str = "",
    added_on=None,
) -> ReserveCadre:
    """A reserve cadre (后备干部) of a village or community."""
    area, errors, linked = _cadre_start(actor, area, member)
    values = {
        "name": name,
        "gender": gender,
        "birth_date": birth_date,
        "education": education,
    }
    explicit = {k for k, v in values.items() if v not in (None, "")}
    clean = _person_fields(errors, values, linked, explicit)
    intended = clean_text(intended_position)
    if intended and intended not in CadrePosition.values:
        errors.add(
            "intended_position",
            f"培养方向取值无效，可选：{'、'.join(str(c.label) for c in CadrePosition)}",
        )
    day = _as_date(errors, "added_on", added_on) or timezone.localdate()
    if day > timezone.localdate():
        errors.add("added_on", "纳入后备日期不能晚于今天")
    if (
        linked is not None
        and ReserveCadre.objects.filter(member=linked, area=area, ended_on__isnull=True).exists()
    ):
        errors.add("member", "该党员已是本村(社区)的后备干部")
    errors.check()
    reserve = ReserveCadre.objects.create(
        area=area,
        area_path=area.path,
        member=linked,
        intended_position=intended,
        added_on=day,
        **clean,
    )
    audit.record(
        actor=actor, action="reserve_cadre.create", obj=reserve, after=audit.snapshot(reserve)
    )
    scope.assert_visible(reserve, actor, "members.view")
    return reserve


@transaction.atomic
def mentor_pair_create(
    *, actor, mentor: Cadre | None, mentee: ReserveCadre | None, started_on=None, goal: str = ""
) -> MentorPair:
    """导师帮带: a serving cadre takes on a reserve cadre of the same village or community."""
    errors = Errors()
    if mentor is None:
        errors.add("mentor", "请选择导师")
    if mentee is None:
        errors.add("mentee", "请选择帮带对象")
    errors.check()
    mentor = scope.get_visible(
        Cadre, actor, "members.manage", view_action="members.view", pk=mentor.pk
    )
    mentee = scope.get_visible(
        ReserveCadre, actor, "members.manage", view_action="members.view", pk=mentee.pk
    )
    if mentor.ended_on:
        errors.add("mentor", "导师已离任")
    if mentee.ended_on:
        errors.add("mentee", "该后备干部已退出后备")
    if mentor.area_id != mentee.area_id:
        errors.add("mentee", "导师与帮带对象应在同一村(社区)")
    day = _as_date(errors, "started_on", started_on) or timezone.localdate()
    if day > timezone.localdate():
        errors.add("started_on", "结对日期不能晚于今天")
    goal = clean_text(goal)
    if len(goal) > 200:
        errors.add("goal", "帮带目标不能超过200个字")
    if MentorPair.objects.filter(mentor=mentor, mentee=mentee, ended_on__isnull=True).exists():
        errors.add("mentee", "二人已结对帮带")
    errors.check()
    pair = MentorPair.objects.create(
        mentor=mentor, mentee=mentee, area_path=mentee.area_path, started_on=day, goal=goal
    )
    audit.record(
        actor=actor,
        action="mentor_pair.create",
        obj=pair,
        after=audit.snapshot(pair),
    )
    scope.assert_visible(pair, actor, "members.view")
    return pair


# --- roles of members on units (党员中心户, 楼栋长) --------------------------------------------


def check_standing(errors, member: Member | None, committee: str | None, day) -> None:
    """A seat on a party committee is elected: a member under 留党察看 on the first day of
    the term may not stand (422 on ``member``)."""
    if member is None or committee != Committee.PARTY or not isinstance(day, dt.date):
        return
    if under_probation(member, day):
        errors.add(
            "member",
            f"{member.name}在{day:%Y-%m-%d}正在留党察看期间，不符合“受留党察看处分的党员"
            "在察看期间没有被选举权”的规定，不能担任党组织委员会委员",
        )
