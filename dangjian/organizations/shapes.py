"""What each form of organization records and the rules of DOMAIN.md (Structure) on it.

- every form sits on the kinds it can take (a 联合党支部 is a branch, a 大工委 a street 党工委);
- a branch (regular or temporary) is formed with 3 or more full members (a rule: refused);
- a temporary organization names its project and the day it is expected to end;
- a joint branch covers 2 to 5 units, each with fewer than 3 full members of its own
  (3 or more must form their own branch) and together at least 3 (rules: refused);
- a 联建 committee covers 2 or more villages (Areas of kind village the actor can see);
- a 大工委 / 大党委 lists its members from resident units (name, unit, post, 专职 or 兼职);
- size, as common practice (warnings with the count): more than 50 members in a branch →
  党总支, more than 100 in a branch or general branch → 基层党委; a branch whose registry holds
  fewer than 3 full members is told so too.

``clean_shape`` checks everything and answers what to store; ``write_shape`` stores it. The
services (``services.org_create``, ``org_update``) call both inside their transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from dangjian.core.validation import Errors, clean_text
from dangjian.core.validators import (
    PARTY_FOUNDED,
    clean_credit_code,
    parse_date_field,
    plan_ceiling,
    validate_date_in_range,
)
from dangjian.organizations.headcount import Headcount
from dangjian.organizations.models import (
    CoveredVillage,
    JointUnit,
    OrgForm,
    OrgKind,
    PartyOrg,
    ResidentUnitMember,
)
from dangjian.territory.models import Area, AreaKind

# The kinds each form can take.
FORM_KINDS: dict[str, frozenset[str]] = {
    OrgForm.REGULAR: frozenset(OrgKind.values),
    OrgForm.TEMPORARY: frozenset(
        {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE, OrgKind.GROUP}
    ),
    OrgForm.JOINT: frozenset({OrgKind.BRANCH}),
    OrgForm.CROSS_VILLAGE: frozenset({OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH}),
    OrgForm.STREET_JOINT: frozenset({OrgKind.WORKING_COMMITTEE}),
    OrgForm.COMMUNITY_JOINT: frozenset({OrgKind.COMMITTEE}),
}
# Where a 大工委 / 大党委 is anchored.
FORM_ANCHORS = {
    OrgForm.STREET_JOINT: (AreaKind.STREET,),
    OrgForm.COMMUNITY_JOINT: (AreaKind.COMMUNITY,),
}

MIN_BRANCH_FULL = 3  # 3+ full members form a branch (rule)
JOINT_MIN_UNITS = 2
JOINT_MAX_UNITS = 5  # a joint branch covers at most 5 units (rule)
MIN_VILLAGES = 2
MAX_VILLAGES = 50
MAX_RESIDENT_MEMBERS = 100
BRANCH_NORMAL_MAX = 50  # more than 50 → 党总支 (common practice: a warning)
GENERAL_BRANCH_NORMAL_MAX = 100  # more than 100 → 基层党委 (common practice: a warning)

# The inputs a form adds to the common fields (keys of ``details``).
DETAIL_KEYS = (
    "founding_full_members",
    "project_name",
    "ends_on",
    "joint_units",
    "villages",
    "resident_unit_members",
)


@dataclass
class Shape:
    """What ``write_shape`` stores: the columns on the organization and its child rows
    (``None``: leave those rows as they are)."""

    columns: dict = field(default_factory=dict)
    joint_units: list[dict] | None = None
    villages: list[Area] | None = None
    resident_unit_members: list[dict] | None = None


def _int(errors: Errors, key: str, value, label: str) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors.add(key, f"{label}应为整数")
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.add(key, f"{label}应为整数")
        return None
    if number != value and not isinstance(value, str):
        errors.add(key, f"{label}应为整数")
        return None
    if not 0 <= number <= 100_000:
        errors.add(key, f"{label}应在0到100000之间")
        return None
    return number


def _list(errors: Errors, key: str, value, label: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors.add(key, f"{label}应为列表")
        return []
    return list(value)


def _date(errors: Errors, key: str, value, label: str) -> dt.date | None:
    try:
        day = parse_date_field(value, field=key, label=label)
        validate_date_in_range(
            day, field=key, label=label, earliest=PARTY_FOUNDED, latest=plan_ceiling()
        )
    except ValidationError as exc:
        errors.take(exc)
        return None
    return day


def _joint_units(errors: Errors, raw: list) -> list[dict]:
    key = "joint_units"
    if len(raw) < JOINT_MIN_UNITS:
        errors.add(key, f"联合党支部应覆盖至少{JOINT_MIN_UNITS}个单位（一个单位请单独成立党支部）")
    if len(raw) > JOINT_MAX_UNITS:
        errors.add(key, f"联合党支部覆盖的单位一般不超过{JOINT_MAX_UNITS}个，现填{len(raw)}个")
    units, names = [], set()
    for i, item in enumerate(raw, start=1):
        where = f"第{i}个单位"
        if not isinstance(item, dict):
            errors.add(key, f"{where}格式错误")
            continue
        name = clean_text(item.get("name"))
        if not name:
            errors.add(key, f"{where}：请填写单位名称")
            continue
        if len(name) > 100:
            errors.add(key, f"{where}：单位名称不能超过100个字")
            continue
        if name in names:
            errors.add(key, f"单位“{name}”重复")
            continue
        names.add(name)
        sub = Errors()
        full = _int(sub, key, item.get("full_members"), f"单位“{name}”的正式党员人数")
        if full is None and not sub:
            sub.add(key, f"请填写单位“{name}”的正式党员人数")
        try:
            code, _reason = clean_credit_code(item.get("credit_code"), field=key)
        except ValidationError as exc:
            for message in exc.messages:
                sub.add(key, f"单位“{name}”：{message}")
            code = ""
        if full is not None and full >= MIN_BRANCH_FULL:
            sub.add(
                key,
                f"单位“{name}”有正式党员{full}名：正式党员{MIN_BRANCH_FULL}名以上的单位应单独成立"
                f"党支部，联合党支部只联合正式党员不足{MIN_BRANCH_FULL}名的单位",
            )
        for messages in sub.values():
            for message in messages:
                errors.add(key, message)
        if not sub:
            units.append({"name": name, "credit_code": code, "full_members": full})
    total = sum(u["full_members"] for u in units)
    if units and len(units) == len(raw) and total < MIN_BRANCH_FULL:
        errors.add(
            key,
            f"各单位正式党员合计{total}名，不足{MIN_BRANCH_FULL}名，不能成立联合党支部",
        )
    return units


def _villages(errors: Errors, actor, raw: list) -> list[Area]:
    key = "villages"
    ids = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit():
            errors.add(key, "联建村应填写区域编号")
            return []
        ids.append(int(item))
    if len(set(ids)) != len(ids):
        errors.add(key, "联建村有重复")
        return []
    if len(ids) < MIN_VILLAGES:
        errors.add(key, f"联建党组织应覆盖至少{MIN_VILLAGES}个村")
        return []
    if len(ids) > MAX_VILLAGES:
        errors.add(key, f"联建村不能超过{MAX_VILLAGES}个")
        return []
    found = {
        a.pk: a
        for a in Area.objects.visible_to(actor, "territory.view")
        .filter(pk__in=ids)
        .only("pk", "name", "kind", "path")
    }
    villages = []
    for pk in ids:
        area = found.get(pk)
        if area is None:
            errors.add(key, f"未找到区域{pk}，或不在您的查看范围内")
        elif area.kind != AreaKind.VILLAGE:
            errors.add(key, f"“{area.name}”是{area.get_kind_display()}，联建党组织只能覆盖村")
        else:
            villages.append(area)
    return villages


def _resident_members(errors: Errors, raw: list) -> list[dict]:
    key = "resident_unit_members"
    if len(raw) > MAX_RESIDENT_MEMBERS:
        errors.add(key, f"驻区单位委员不能超过{MAX_RESIDENT_MEMBERS}名")
        return []
    out = []
    for i, item in enumerate(raw, start=1):
        where = f"第{i}名驻区单位委员"
        if not isinstance(item, dict):
            errors.add(key, f"{where}格式错误")
            continue
        row = {
            "unit_name": clean_text(item.get("unit_name")),
            "person_name": clean_text(item.get("person_name")),
            "post": clean_text(item.get("post")),
        }
        limits = {"unit_name": ("驻区单位", 100), "person_name": ("姓名", 50), "post": ("职务", 50)}
        bad = False
        for k, (label, limit) in limits.items():
            if not row[k]:
                errors.add(key, f"{where}：请填写{label}")
                bad = True
            elif len(row[k]) > limit:
                errors.add(key, f"{where}：{label}不能超过{limit}个字")
                bad = True
        full_time = item.get("full_time", False)
        if not isinstance(full_time, bool):
            errors.add(key, f"{where}：“专职”应为是或否")
            bad = True
        sub = Errors()
        starts = _date(sub, key, item.get("starts_on"), f"{where}的任职日期")
        ends = _date(sub, key, item.get("ends_on"), f"{where}的离任日期")
        if starts and ends and ends < starts:
            sub.add(key, f"{where}：离任日期不能早于任职日期")
        for messages in sub.values():
            for message in messages:
                errors.add(key, message)
        if not bad and not sub:
            out.append({**row, "full_time": full_time, "starts_on": starts, "ends_on": ends})
    return out


def clean_shape(
    *,
    actor,
    kind: str,
    form: str,
    area: Area,
    details: dict,
    org: PartyOrg | None = None,
    established_on: dt.date | None = None,
) -> Shape:
    """Check what ``form`` and ``kind`` ask for; raise one ValidationError naming every bad
    field. ``details`` holds only the keys given (``DETAIL_KEYS``); on an update (``org``) a
    key left out keeps what is stored, checked again against the new form and kind."""
    errors = Errors()
    shape = Shape()
    if kind in OrgKind.values and form in OrgForm.values and kind not in FORM_KINDS[form]:
        kinds = "、".join(str(OrgKind(k).label) for k in OrgKind.values if k in FORM_KINDS[form])
        errors.add("form", f"{OrgForm(form).label}党组织只能是{kinds}")
    anchors = FORM_ANCHORS.get(form)
    if anchors and area.kind not in anchors:
        where = "、".join(str(AreaKind(a).label) for a in anchors)
        errors.add("area", f"{OrgForm(form).label}应设在{where}")

    # 3+ full members form a branch (regular and temporary; a joint branch counts its units).
    if "founding_full_members" in details:
        founding = _int(
            errors, "founding_full_members", details["founding_full_members"], "正式党员人数"
        )
    else:
        founding = org.founding_full_members if org is not None else None
    if kind == OrgKind.BRANCH and form in (OrgForm.REGULAR, OrgForm.TEMPORARY):
        creating_branch = org is None or org.kind != OrgKind.BRANCH
        if founding is None and creating_branch and "founding_full_members" not in errors:
            errors.add("founding_full_members", "请填写成立党支部时的正式党员人数")
        elif founding is not None and founding < MIN_BRANCH_FULL:
            errors.add(
                "founding_full_members",
                f"正式党员{founding}名，不足{MIN_BRANCH_FULL}名，不能单独成立党支部；"
                f"可与邻近单位联合成立联合党支部",
            )
    shape.columns["founding_full_members"] = founding

    # temporary: the project and its end
    given = {k: details[k] for k in ("project_name", "ends_on") if k in details}
    if form == OrgForm.TEMPORARY:
        project = clean_text(given.get("project_name", org.project_name if org is not None else ""))
        ends_raw = given.get("ends_on", org.ends_on if org is not None else None)
        ends = _date(errors, "ends_on", ends_raw, "预计撤销日期")
        # Demanded when it becomes temporary (or is cleared): an organization recorded before
        # these fields existed keeps taking other changes.
        newly = org is None or org.form != OrgForm.TEMPORARY
        if not project and (newly or "project_name" in given):
            errors.add("project_name", "临时党组织请填写所服务的项目或任务")
        elif len(project) > 100:
            errors.add("project_name", "项目或任务不能超过100个字")
        if ends is None and "ends_on" not in errors and (newly or "ends_on" in given):
            errors.add("ends_on", "临时党组织请填写预计撤销日期")
        elif ends is not None and established_on and ends < established_on:
            errors.add("ends_on", "预计撤销日期不能早于成立日期")
        shape.columns.update(project_name=project, ends_on=ends)
    else:
        for key, value in given.items():
            if value not in (None, ""):
                errors.add(key, "只有临时党组织填写项目和预计撤销日期")
        shape.columns.update(project_name="", ends_on=None)

    # joint: the units covered
    if form == OrgForm.JOINT:
        if "joint_units" in details:
            raw = _list(errors, "joint_units", details["joint_units"], "覆盖单位")
            shape.joint_units = _joint_units(errors, raw)
        elif org is None or org.form != OrgForm.JOINT:
            errors.add("joint_units", "联合党支部请填写覆盖的单位（2至5个）")
    elif details.get("joint_units"):
        errors.add("joint_units", "只有联合党支部填写覆盖单位")
    else:
        shape.joint_units = []

    # cross-village: the villages covered
    if form == OrgForm.CROSS_VILLAGE:
        if "villages" in details:
            raw = _list(errors, "villages", details["villages"], "联建村")
            shape.villages = _villages(errors, actor, raw)
        elif org is None or org.form != OrgForm.CROSS_VILLAGE:
            errors.add("villages", f"联建党组织请选择覆盖的村（至少{MIN_VILLAGES}个）")
    elif details.get("villages"):
        errors.add("villages", "只有联建党组织填写联建村")
    else:
        shape.villages = []

    # 大工委 / 大党委: members from resident units
    if form in (OrgForm.STREET_JOINT, OrgForm.COMMUNITY_JOINT):
        if "resident_unit_members" in details:
            raw = _list(errors, "resident_unit_members", details["resident_unit_members"], "委员")
            shape.resident_unit_members = _resident_members(errors, raw)
    elif details.get("resident_unit_members"):
        errors.add("resident_unit_members", "只有大工委、大党委填写驻区单位委员")
    else:
        shape.resident_unit_members = []
    errors.check()
    return shape


def write_shape(org: PartyOrg, shape: Shape) -> dict:
    """Store the columns on ``org`` (not saved here) and replace the child rows given;
    answers the child rows as written, for the audit snapshot."""
    for key, value in shape.columns.items():
        setattr(org, key, value)
    written: dict = {}
    if shape.joint_units is not None:
        gone, _ = JointUnit.objects.filter(org=org).delete()
        JointUnit.objects.bulk_create([JointUnit(org=org, **u) for u in shape.joint_units])
        if gone or shape.joint_units:
            written["joint_units"] = [
                f"{u['name']}（正式党员{u['full_members']}名）" for u in shape.joint_units
            ]
    if shape.villages is not None:
        gone, _ = CoveredVillage.objects.filter(org=org).delete()
        CoveredVillage.objects.bulk_create(
            [CoveredVillage(org=org, area=a) for a in shape.villages]
        )
        if gone or shape.villages:
            written["villages"] = [a.pk for a in shape.villages]
    if shape.resident_unit_members is not None:
        gone, _ = ResidentUnitMember.objects.filter(org=org).delete()
        ResidentUnitMember.objects.bulk_create(
            [ResidentUnitMember(org=org, **m) for m in shape.resident_unit_members]
        )
        if gone or shape.resident_unit_members:
            written["resident_unit_members"] = [
                f"{m['person_name']}（{m['unit_name']}，{m['post']}）"
                for m in shape.resident_unit_members
            ]
    return written


# --- size: common practice, told as warnings with the count ---------------------------------


def size_warnings(org: PartyOrg, count: Headcount, kind: str | None = None) -> list[dict]:
    """What the size rules of common practice say of ``org`` as ``kind`` (default its own):
    each a ``{"code", "message", "count"}``."""
    kind = kind or org.kind
    out = []
    n = count.members
    if kind == OrgKind.BRANCH and n > GENERAL_BRANCH_NORMAL_MAX:
        out.append(
            {
                "code": "over_general_branch_size",
                "message": f"党员{n}名，超过{GENERAL_BRANCH_NORMAL_MAX}名，一般应设立基层党委",
                "count": n,
            }
        )
    elif kind == OrgKind.BRANCH and n > BRANCH_NORMAL_MAX:
        out.append(
            {
                "code": "over_branch_size",
                "message": f"党员{n}名，超过{BRANCH_NORMAL_MAX}名，一般应设立党总支",
                "count": n,
            }
        )
    elif kind == OrgKind.GENERAL_BRANCH and n > GENERAL_BRANCH_NORMAL_MAX:
        out.append(
            {
                "code": "over_general_branch_size",
                "message": f"党员{n}名，超过{GENERAL_BRANCH_NORMAL_MAX}名，一般应设立基层党委",
                "count": n,
            }
        )
    if (
        kind == OrgKind.BRANCH
        and org.form != OrgForm.TEMPORARY
        and count.members > 0
        and count.full < MIN_BRANCH_FULL
    ):
        out.append(
            {
                "code": "few_full_members",
                "message": f"党员名册中正式党员{count.full}名，不足{MIN_BRANCH_FULL}名",
                "count": count.full,
            }
        )
    return out


def assert_open(org: PartyOrg, what: str) -> None:
    """A dissolved organization takes no change and no new child."""
    from dangjian.core.errors import Conflict

    if org.dissolved_on is not None:
        raise Conflict(f"{org.name}已于{org.dissolved_on:%Y-%m-%d}撤销，不能{what}")


def visible_villages(actor, org: PartyOrg) -> list[Area]:
    """The villages of a 联建 organization the actor can see."""
    ids = org.covered_villages.values_list("area_id", flat=True)
    return list(
        Area.objects.visible_to(actor, "territory.view")
        .filter(pk__in=list(ids))
        .only("pk", "name", "kind", "path")
        .order_by("path")
    )
