"""Writes of the member registry: each atomic, validated in full before saving (Chinese
messages naming the field), scoped, audited with masked values, and re-checked for visibility
after writing."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.core import audit, crypto, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.gcpause import collection_paused
from dangjian.core.pinyin import initials
from dangjian.core.validators import (
    FILTER_CEILING,
    FILTER_FLOOR,
    date_range_message,
    id_number_birth_date,
    id_number_gender,
    validate_id_number,
    validate_mobile,
    validate_phone,
)
from dangjian.members.models import (
    COMMITTEE_POSITIONS,
    OPEN_TRANSFER_STATES,
    TRANSFER_FLOW,
    Cadre,
    CadrePosition,
    Category,
    CheckinService,
    Committee,
    CommunityCheckin,
    Education,
    Ethnicity,
    Gender,
    Member,
    MemberCategory,
    MemberTransfer,
    MentorPair,
    MobileRegistration,
    MobileReport,
    Occupation,
    ReserveCadre,
    Status,
    TransferKind,
    TransferState,
    TransferStep,
    UnitRole,
    UnitRoleCode,
    add_months,
    sides_q,
)
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind

FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "ethnicity": "民族",
    "birth_date": "出生日期",
    "id_number": "身份证号码",
    "phone": "手机号码",
    "education": "学历",
    "occupation": "职业",
    "work_unit": "工作单位",
    "joined_on": "入党日期",
    "confirmed_on": "转正日期",
    "status": "党员状态",
    "suspended_on": "停止党籍日期",
    "categories": "党员类别",
    "org": "所在党组织",
    "unit": "居住网格单元",
    "user": "关联账号",
}
OWN_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "occupation",
    "work_unit",
    "joined_on",
    "confirmed_on",
    "status",
    "categories",
)
_OWN_FIELD_SET = frozenset(OWN_FIELDS)  # for the import's per-row filter (a tuple scans)
EARLIEST_JOIN = dt.date(1921, 7, 1)
EARLIEST_BIRTH = dt.date(1900, 1, 1)
MIN_JOIN_AGE = 18
RESIDENCE_MIN_LEVEL = 4  # village/community, grid or unit
PHOTO_MAX_BYTES = 2 * 1024 * 1024
ACTIVE_STATUSES = (Status.PROBATIONARY, Status.FULL)


# The codes of each choice, once: ``TextChoices.values`` builds a new list on every call,
# which an import of 100,000 rows would do a million times.
GENDER_CODES = frozenset(Gender.values)
ETHNICITY_CODES = frozenset(Ethnicity.values)
EDUCATION_CODES = frozenset(Education.values)
OCCUPATION_CODES = frozenset(Occupation.values)
STATUS_CODES = frozenset(Status.values)
CATEGORY_CODES = frozenset(Category.values)


class Errors(dict):
    """Messages per field, collected so one answer names every bad value."""

    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(str(message))

    def check(self) -> None:
        if self:
            raise ValidationError({k: list(v) for k, v in self.items()})


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# The same characters as ``_CONTROL_RE``, for ``str.translate`` (faster than the regex).
_CONTROL_DELETE = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _text(value) -> str:
    """Stripped text without control characters (PostgreSQL refuses NUL in text)."""
    return "" if value is None else str(value).translate(_CONTROL_DELETE).strip()


def _as_date(errors: Errors, field: str, value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            errors.add(field, f"{FIELD_LABELS.get(field, field)}格式应为YYYY-MM-DD")
            return None
    # A typo far in the past or future (0001-01-01, 9999-12-31) is refused before any
    # arithmetic on it can overflow; each field's own rule narrows it further.
    if message := date_range_message(
        value,
        earliest=FILTER_FLOOR,
        latest=FILTER_CEILING,
        label=FIELD_LABELS.get(field) or CADRE_FIELD_LABELS.get(field, "日期"),
    ):
        errors.add(field, message)
        return None
    return value


def _label(choices, code) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


# --- validation shared by create, update and import ----------------------------------------


def clean_member_fields(
    values: dict, *, explicit: set[str], today: dt.date | None = None
) -> tuple[dict, Errors]:
    """Normalized own fields of a member and every refusal, per field, in Chinese.

    ``explicit`` names the fields the caller gave: birth date and gender are derived from an ID
    number unless given explicitly, and an explicit value that contradicts the ID is refused.
    """
    today = today or timezone.localdate()
    errors = Errors()
    out: dict = {}

    name = _text(values.get("name"))
    if not name:
        errors.add("name", "请填写姓名")
    elif len(name) > 50:
        errors.add("name", "姓名不能超过50个字")
    out["name"] = name

    id_number = crypto.normalize("id_number", _text(values.get("id_number")))
    out["id_number"] = id_number
    derived_birth = derived_gender = None
    if id_number:
        try:
            validate_id_number(id_number, today=today)
        except ValidationError as exc:
            errors.add("id_number", exc.messages[0])
        else:
            derived_birth, derived_gender = (
                id_number_birth_date(id_number),
                id_number_gender(id_number),
            )

    gender = _text(values.get("gender"))
    if gender and gender not in GENDER_CODES:
        errors.add("gender", "性别应为“男”或“女”")
    elif derived_gender:
        if gender and "gender" in explicit and gender != derived_gender:
            errors.add(
                "gender", f"性别与身份证号码不符（身份证号码显示为{Gender(derived_gender).label}）"
            )
        gender = derived_gender
    elif not gender and not id_number:  # a bad ID number is reported as such, not as this
        errors.add("gender", "请填写性别（或填写身份证号码）")
    out["gender"] = gender

    birth = _as_date(errors, "birth_date", values.get("birth_date"))
    if derived_birth:
        if birth and "birth_date" in explicit and birth != derived_birth:
            errors.add(
                "birth_date",
                f"出生日期与身份证号码不符（身份证号码显示为{derived_birth.isoformat()}）",
            )
        birth = derived_birth
    if birth is None:
        if "birth_date" not in errors and not id_number:
            errors.add("birth_date", "请填写出生日期（或填写身份证号码）")
    elif birth > today:
        errors.add("birth_date", "出生日期不能晚于今天")
    elif birth < EARLIEST_BIRTH:
        errors.add("birth_date", "出生日期不能早于1900年")
    out["birth_date"] = birth

    ethnicity = _text(values.get("ethnicity"))
    if not ethnicity:
        errors.add("ethnicity", "请填写民族")
    elif ethnicity not in ETHNICITY_CODES:
        errors.add("ethnicity", "民族代码无效，应为国家标准（GB/T 3304）代码，如汉族为01")
    out["ethnicity"] = ethnicity

    phone = crypto.normalize("phone", _text(values.get("phone")))
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            errors.add("phone", exc.messages[0])
    out["phone"] = phone

    for field, choices, codes in (
        ("education", Education, EDUCATION_CODES),
        ("occupation", Occupation, OCCUPATION_CODES),
    ):
        code = _text(values.get(field))
        if code and code not in codes:
            errors.add(
                field,
                f"{FIELD_LABELS[field]}取值无效，可选：{'、'.join(str(c.label) for c in choices)}",
            )
        out[field] = code

    work_unit = _text(values.get("work_unit"))
    if len(work_unit) > 100:
        errors.add("work_unit", "工作单位不能超过100个字")
    out["work_unit"] = work_unit

    status = _text(values.get("status"))
    if not status:
        errors.add("status", "请填写党员状态")
    elif status not in STATUS_CODES:
        errors.add("status", f"党员状态取值无效，可选：{'、'.join(str(c.label) for c in Status)}")
    out["status"] = status

    joined = _as_date(errors, "joined_on", values.get("joined_on"))
    if joined is None:
        if "joined_on" not in errors:
            errors.add("joined_on", "请填写入党日期")
    elif joined > today:
        errors.add("joined_on", "入党日期不能晚于今天")
    elif joined < EARLIEST_JOIN:
        errors.add("joined_on", "入党日期不能早于1921年7月1日")
    elif birth and joined < add_months(birth, 12 * MIN_JOIN_AGE):
        errors.add("joined_on", "入党时应年满18周岁，请核对入党日期和出生日期")
    out["joined_on"] = joined

    confirmed = _as_date(errors, "confirmed_on", values.get("confirmed_on"))
    if confirmed is not None:
        if status == Status.PROBATIONARY:
            errors.add("confirmed_on", "预备党员尚未转正，不应填写转正日期")
        elif confirmed > today:
            errors.add("confirmed_on", "转正日期不能晚于今天")
        elif joined and confirmed < joined:
            errors.add("confirmed_on", "转正日期不能早于入党日期")
    elif status == Status.FULL and "confirmed_on" not in errors:
        errors.add("confirmed_on", "正式党员须填写转正日期")
    out["confirmed_on"] = confirmed

    raw = values.get("categories") or []
    if isinstance(raw, str):
        raw = [raw]
    codes: list[str] = []
    for code in raw:
        code = _text(code)
        if code not in CATEGORY_CODES:
            errors.add(
                "categories",
                f"党员类别“{code}”无效，可选：{'、'.join(str(c.label) for c in Category)}",
            )
        elif code not in codes:
            codes.append(code)
    if Category.IN_SERVICE in codes and Category.RETIRED in codes:
        errors.add("categories", "在职党员与离退休党员不能同时选择")
    out["categories"] = codes
    return out, errors


def duplicate_message(actor, existing: Member) -> str:
    """Why an ID number is refused: naming the existing file only to whom may see it."""
    if scope.is_visible(existing, actor, "members.view"):
        org_name = (
            PartyOrg.objects.filter(pk=existing.org_id).values_list("name", flat=True).first()
        )
        return f"该身份证号码已登记：{existing.name}（{org_name}，档案编号{existing.pk}）"
    return "该身份证号码已在系统中登记，其档案不在您的查看范围内，请联系上级组织部门核实"


def _check_duplicate(errors: Errors, actor, id_number: str, exclude_pk: int | None = None) -> None:
    if not id_number or "id_number" in errors:
        return
    qs = Member.objects.filter(id_number_index=crypto.blind_index("id_number", id_number))
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    existing = qs.only("pk", "name", "org_id", "org_path", "user_id").first()
    if existing is not None:
        errors.add("id_number", duplicate_message(actor, existing))


def can_manage_members_in(actor, org_path: str, action: str = "members.manage") -> bool:
    """Whether ``actor``'s reach for ``action`` covers members filed under ``org_path``:
    the member file is scoped by the party tree only, so only org-tree grants count."""
    reach = scope.reach_of(actor, action)
    return any(tree.is_within(org_path, p) for p in reach.org_paths)


def _home_org(actor, org) -> PartyOrg:
    if org is None:
        raise ValidationError({"org": ["请选择所在党组织"]})
    found = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=org.pk
    )
    if not can_manage_members_in(actor, found.path):
        raise scope.Forbidden("您没有管理该党组织党员的权限")
    return found


def _residence(errors: Errors, actor, unit) -> Area | None:
    if unit is None:
        return None
    found = scope.get_visible(Area.objects.defer("boundary"), actor, "territory.view", pk=unit.pk)
    if found.level < RESIDENCE_MIN_LEVEL:
        errors.add("unit", "居住地须为村(社区)、网格或单元")
    return found


def _account(errors: Errors, actor, user, member_pk: int | None = None) -> User | None:
    if user is None:
        return None
    found = scope.get_visible(User, actor, "accounts.view", pk=user.pk)
    if found.kind != UserKind.MEMBER:
        errors.add("user", "只能关联党员类型的账号")
    elif Member.objects.filter(user_id=found.pk).exclude(pk=member_pk).exists():
        errors.add("user", "该账号已关联其他党员档案")
    return found


def _apply(member: Member, clean: dict) -> None:
    for field in OWN_FIELDS:
        if field != "categories":
            setattr(member, field, clean[field])
    member.id_number_index = (
        crypto.blind_index("id_number", clean["id_number"]) if clean["id_number"] else ""
    )
    member.phone_index = crypto.blind_index("phone", clean["phone"]) if clean["phone"] else ""
    member.name_pinyin = initials(clean["name"])


def _save(member: Member) -> None:
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        text = str(exc)
        if "id_number" in text or "member_unique_id_number" in text:
            raise ValidationError({"id_number": ["该身份证号码已在系统中登记"]}) from exc
        if "user" in text:
            raise ValidationError({"user": ["该账号已关联其他党员档案"]}) from exc
        raise


def _snapshot(member: Member, categories: list[str]) -> dict:
    return {**audit.snapshot(member), "categories": list(categories)}


_SNAPSHOT_FIELDS: list[tuple[str, str | None]] | None = None


def _import_snapshot(member: Member, categories: list[str]) -> dict:
    """``_snapshot`` for the bulk import: the same dict (the test suite checks), with the
    field list worked out once instead of once per row."""
    return _snapshot_values(
        {attname: getattr(member, attname) for attname, _kind in _snapshot_fields()}, categories
    )


def _snapshot_fields() -> list[tuple[str, str | None]]:
    global _SNAPSHOT_FIELDS
    if _SNAPSHOT_FIELDS is None:
        probe = Member(
            id_number="350302198001010011", phone="13800138000", birth_date=dt.date(2000, 1, 1)
        )
        keys = set(audit.snapshot(probe))
        _SNAPSHOT_FIELDS = [
            (f.attname, getattr(f, "pii_kind", None))
            for f in Member._meta.concrete_fields
            if f.attname in keys
        ]
    return _SNAPSHOT_FIELDS


def _snapshot_values(values: dict, categories: list[str], shared: dict | None = None) -> dict:
    """``_snapshot`` of a member given as its field values by attname. ``shared``: the
    snapshot values of the fields every member of a bulk write has alike (defaults,
    timestamps), worked out once by ``_shared_snapshot`` instead of once per row."""
    out = {}
    for attname, kind in _snapshot_fields():
        if shared is not None and attname in shared:
            out[attname] = shared[attname]
        else:
            out[attname] = _snapshot_value(kind, values[attname])
    out["categories"] = list(categories)
    return out


def _shared_snapshot(values: dict) -> dict:
    """The snapshot values of the fields given in ``values`` (by attname)."""
    return {
        attname: _snapshot_value(kind, values[attname])
        for attname, kind in _snapshot_fields()
        if attname in values
    }


def _snapshot_value(kind: str | None, value):
    """One field as ``audit.snapshot`` writes it: masked when personal, else plain JSON."""
    if kind:
        return crypto.mask(kind, value)
    if value is None or isinstance(value, int | str | bool):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)


def _write_new(
    *, actor, clean: dict, org: PartyOrg, unit: Area | None, user: User | None, note: str = ""
) -> Member:
    member = Member(
        org=org, org_path=org.path, unit=unit, area_path=unit.path if unit else "", user=user
    )
    _apply(member, clean)
    _save(member)
    MemberCategory.objects.bulk_create(
        [MemberCategory(member=member, code=c) for c in clean["categories"]]
    )
    audit.record(
        actor=actor,
        action="member.create",
        obj=member,
        after=_snapshot(member, clean["categories"]),
        note=note,
    )
    return member


def _returning_member(errors: Errors, actor, id_number: str, with_letter: bool) -> Member | None:
    """The file of a member who was transferred out of the system and now comes back with the
    same ID number (重新转入): it is re-admitted rather than refused as a duplicate. Without a
    letter the number is refused, naming that file and saying how to re-admit it."""
    if not id_number or "id_number" in errors:
        return None
    existing = (
        Member.objects.select_for_update()
        .filter(id_number_index=crypto.blind_index("id_number", id_number))
        .exclude(left_on=None)
        .first()
    )
    if existing is None:
        return None
    if not with_letter:
        left = existing.left_on
        errors.add(
            "id_number",
            f"该身份证号码属于{left.year}年{left.month}月{left.day}日已转出系统的党员{existing.name}"
            f"（档案编号{existing.pk}）：重新转入请填写介绍信编号和原党组织名称，原档案将恢复",
        )
        return None
    return existing


def _readmit(
    *, actor, member: Member, clean: dict, org: PartyOrg, unit: Area | None, user: User | None
) -> Member:
    """Bring a file transferred out of the system back into ``org`` with the values given now
    (the history, transfers included, stays with it)."""
    before = _snapshot(member, member.category_codes())
    member.org, member.org_path = org, org.path
    member.unit, member.area_path = unit, unit.path if unit else ""
    if user is not None:
        member.user = user
    member.left_on = None
    _apply(member, clean)
    _save(member)
    _set_categories(member, clean["categories"])
    audit.record(
        actor=actor,
        action="member.readmit",
        obj=member,
        before=before,
        after=_snapshot(member, clean["categories"]),
        note=f"从系统外重新转入（原档案编号{member.pk}）",
    )
    return member


# --- the member's file ---------------------------------------------------------------------


@transaction.atomic
def member_create(
    *,
    actor,
    org: PartyOrg | None,
    name: str = "",
    status: str = "",
    joined_on=None,
    gender: str = "",
    ethnicity: str = "",
    birth_date=None,
    id_number: str = "",
    phone: str = "",
    education: str = "",
    occupation: str = "",
    work_unit: str = "",
    confirmed_on=None,
    categories=(),
    unit: Area | None = None,
    user: User | None = None,
    transfer_letter_number: str = "",
    transfer_from_name: str = "",
) -> Member:
    """A new member file in ``org``. With ``transfer_letter_number`` the member came from
    outside the system (从系统外转入): a completed transfer records the letter."""
    org = _home_org(actor, org)
    values = {
        "name": name,
        "status": status,
        "joined_on": joined_on,
        "gender": gender,
        "ethnicity": ethnicity,
        "birth_date": birth_date,
        "id_number": id_number,
        "phone": phone,
        "education": education,
        "occupation": occupation,
        "work_unit": work_unit,
        "confirmed_on": confirmed_on,
        "categories": list(categories or []),
    }
    explicit = {k for k, v in values.items() if v not in (None, "", [])}
    clean, errors = clean_member_fields(values, explicit=explicit)
    residence = _residence(errors, actor, unit)
    letter, from_name = _text(transfer_letter_number), _text(transfer_from_name)
    if letter and not from_name:
        errors.add("transfer_from_name", "从系统外转入时请填写原党组织名称")
    if from_name and not letter:
        errors.add("transfer_letter_number", "从系统外转入时请填写介绍信编号")
    returning = _returning_member(errors, actor, clean["id_number"], bool(letter))
    account = _account(errors, actor, user, returning.pk if returning else None)
    if returning is None:
        _check_duplicate(errors, actor, clean["id_number"])
    errors.check()
    if returning is not None:
        member = _readmit(
            actor=actor, member=returning, clean=clean, org=org, unit=residence, user=account
        )
    else:
        member = _write_new(actor=actor, clean=clean, org=org, unit=residence, user=account)
    if letter:
        now = timezone.now()
        transfer = MemberTransfer.objects.create(
            member=member,
            member_name=member.name,
            kind=TransferKind.INTO_SYSTEM,
            state=TransferState.COMPLETED,
            to_org=org,
            to_org_path=org.path,
            to_org_name=org.name,
            from_org_name=from_name[:100],
            letter_number=letter[:50],
            requested_by=actor if _is_user(actor) else None,
            completed_at=now,
        )
        _step(transfer, actor, "record", "", TransferState.COMPLETED, f"介绍信编号{letter}", now)
        audit.record(
            actor=actor,
            action="transfer.record",
            obj=transfer,
            org_path=org.path,
            after=audit.snapshot(transfer),
        )
    scope.assert_visible(member, actor, "members.manage")
    return member


UPDATABLE = set(OWN_FIELDS) | {"unit", "user", "suspended_on"}


@transaction.atomic
def member_update(*, actor, member: Member, **changes) -> Member:
    """Change a member's own fields, residence or account. The organization changes only
    through a transfer."""
    member = scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    if "org" in changes:
        raise ValidationError({"org": ["所在党组织须通过组织关系转接变更"]})
    unknown = sorted(set(changes) - UPDATABLE)
    if unknown:
        raise ValidationError({unknown[0]: ["该字段不可修改"]})
    old_categories = member.category_codes()
    before = _snapshot(member, old_categories)
    values = {f: getattr(member, f) for f in OWN_FIELDS if f != "categories"} | {
        "categories": old_categories
    }
    values.update({k: v for k, v in changes.items() if k in OWN_FIELDS})
    if values.get("categories") is None:
        values["categories"] = []
    clean, errors = clean_member_fields(values, explicit=set(changes))
    if "unit" in changes:
        residence = _residence(errors, actor, changes["unit"])
        member.unit, member.area_path = residence, residence.path if residence else ""
    if "user" in changes:
        member.user = _account(errors, actor, changes["user"], member.pk)
    if clean["id_number"] != (member.id_number or ""):
        _check_duplicate(errors, actor, clean["id_number"], exclude_pk=member.pk)
    suspended_on = _suspended_on(errors, member, clean["status"], changes)
    errors.check()
    _apply(member, clean)
    member.suspended_on = suspended_on
    _save(member)
    if "categories" in changes:
        _set_categories(member, clean["categories"])
    b, a = audit.diff(before, _snapshot(member, clean["categories"]))
    audit.record(actor=actor, action="member.update", obj=member, before=b, after=a)
    scope.assert_visible(member, actor, "members.view")
    return member


def _suspended_on(errors: Errors, member: Member, status: str, changes: dict):
    """The suspension date after an update: given, kept, today when the status becomes
    suspended without one; none for any other status."""
    if status != Status.SUSPENDED:
        if changes.get("suspended_on"):
            errors.add("suspended_on", "党员状态不是停止党籍，不能填写停止党籍日期")
        return None
    day = _as_date(errors, "suspended_on", changes.get("suspended_on"))
    if day and day > timezone.localdate():
        errors.add("suspended_on", "停止党籍日期不能晚于今天")
    if day:
        return day
    return member.suspended_on if member.status == Status.SUSPENDED else timezone.localdate()


def _set_categories(member: Member, codes: list[str]) -> None:
    MemberCategory.objects.filter(member=member).exclude(code__in=codes).delete()
    have = set(MemberCategory.objects.filter(member=member).values_list("code", flat=True))
    MemberCategory.objects.bulk_create(
        [MemberCategory(member=member, code=c) for c in codes if c not in have]
    )


def _add_category(member: Member, code: str) -> None:
    MemberCategory.objects.get_or_create(member=member, code=code)


@transaction.atomic
def member_set_photo(*, actor, member: Member, upload) -> Member:
    """The member's photo: an image (JPEG, PNG, GIF or WebP, decided from its bytes) of at
    most ``PHOTO_MAX_BYTES``, kept by ``core.files``. A photo it replaces is deleted through
    ``core.files.file_delete`` (its bytes stay on disk while another stored file shares them)."""
    from dangjian.core import files

    member = scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    if upload is None:
        raise ValidationError({"photo": ["请选择要上传的照片"]})
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": [f"照片不能超过{PHOTO_MAX_BYTES // 1024 // 1024}MB"]})
    stored = files.file_store(actor=actor, upload=upload, kinds=("image",), field="photo")
    if stored.size > PHOTO_MAX_BYTES:  # a size the upload did not declare
        raise ValidationError({"photo": [f"照片不能超过{PHOTO_MAX_BYTES // 1024 // 1024}MB"]})
    old = member.photo
    before = {"photo": member.photo_id}
    member.photo = stored
    member.save(update_fields=["photo", "updated_at"])
    audit.record(
        actor=actor,
        action="member.photo",
        obj=member,
        before=before,
        after={"photo": stored.pk},
        note="更换照片" if old is not None else "更新照片",
    )
    if old is not None:
        files.file_delete(actor=actor, stored=old, note=f"党员{member.pk}的照片被更换")
    scope.assert_visible(member, actor, "members.view")
    return member


@transaction.atomic
def member_remove_photo(*, actor, member: Member) -> Member:
    """Remove the member's photo: the link is cleared and the stored file deleted through
    ``core.files.file_delete``; audited. Needs ``members.manage`` on the file, like the
    upload (out of scope: 404; visible only: 403). No photo to remove: ``Conflict``."""
    from dangjian.core import files

    member = scope.get_visible(
        Member.objects.select_for_update(of=("self",)).select_related("photo"),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    old = member.photo
    if old is None:
        raise Conflict("该党员尚未上传照片，无需删除")
    member.photo = None
    member.save(update_fields=["photo", "updated_at"])
    audit.record(
        actor=actor,
        action="member.photo_remove",
        obj=member,
        before={"photo": old.pk},
        after={"photo": None},
        note="删除照片",
    )
    files.file_delete(actor=actor, stored=old, note=f"党员{member.pk}的照片被删除")
    scope.assert_visible(member, actor, "members.view")
    return member


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _actor_name(actor) -> str:
    return (str(actor) if _is_user(actor) else "系统")[:150]


# --- mobile members (流动党员) ----------------------------------------------------------------


@transaction.atomic
def member_register_mobile(
    *,
    actor,
    member: Member,
    destination: str = "",
    left_on=None,
    fixed_place: bool = False,
    contact_phone: str = "",
    card_number: str = "",
    card_issuer: PartyOrg | None = None,
    host_org: PartyOrg | None = None,
    host_org_name: str = "",
    last_contact_on=None,
) -> MobileRegistration:
    """Register a member as mobile: where they went and since when, the contact, the activity
    card and its issuing committee, and the host organization where they attend."""
    member = scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    if MobileRegistration.objects.filter(member=member, active=True).exists():
        raise Conflict("该党员已登记为流动党员，请先登记返回")
    today = timezone.localdate()
    errors = Errors()
    if member.status not in ACTIVE_STATUSES:
        errors.add("member", f"该党员状态为“{member.get_status_display()}”，不能登记为流动党员")
    if member.left_on:
        errors.add("member", "该党员组织关系已转出系统")
    destination = _text(destination)
    if not destination:
        errors.add("destination", "请填写外出去向")
    elif len(destination) > 200:
        errors.add("destination", "外出去向不能超过200个字")
    left = _as_date(errors, "left_on", left_on)
    if left is None and "left_on" not in errors:
        errors.add("left_on", "请填写外出日期")
    elif left and left > today:
        errors.add("left_on", "外出日期不能晚于今天")
    contact = _as_date(errors, "last_contact_on", last_contact_on) or today
    if contact > today:
        errors.add("last_contact_on", "最近联系日期不能晚于今天")
    elif left and contact < left:
        errors.add("last_contact_on", "最近联系日期不能早于外出日期")
    phone = _text(contact_phone)
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors.add("contact_phone", exc.messages[0])
    card_number = _text(card_number)
    if len(card_number) > 40:
        errors.add("card_number", "活动证号不能超过40个字符")
    issuer = None
    if card_issuer is not None:
        issuer = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=card_issuer.pk
        )
        if issuer.kind not in (OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE):
            errors.add("card_issuer", "流动党员活动证应由基层党委发放，请选择党委")
    elif card_number:
        errors.add("card_issuer", "填写活动证号时请选择发证党委")
    host = None
    if host_org is not None:
        host = scope.get_visible(
            PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=host_org.pk
        )
        if host.pk == member.org_id:
            errors.add("host_org", "流入地党组织不能是本人所在党组织")
    host_name = _text(host_org_name)[:100] or (host.name if host else "")
    errors.check()
    reg = MobileRegistration.objects.create(
        member=member,
        destination=destination,
        fixed_place=bool(fixed_place),
        left_on=left,
        contact_phone=phone,
        contact_phone_index=crypto.blind_index("phone", phone) if phone else "",
        card_number=card_number,
        card_issuer=issuer,
        host_org=host,
        host_org_path=host.path if host else "",
        host_org_name=host_name,
        last_contact_on=contact,
    )
    _add_category(member, Category.MOBILE)
    audit.record(
        actor=actor,
        action="member.mobile_register",
        obj=reg,
        org_path=member.org_path,
        after=audit.snapshot(reg),
    )
    scope.assert_visible(reg, actor, "members.manage")
    return reg


def _home_side_allows(actor, reg: MobileRegistration, action: str) -> bool:
    q = sides_q(MobileRegistration, actor, action, sides=[MobileRegistration.scope_fields])
    return q is not None and MobileRegistration.objects.filter(q, pk=reg.pk).exists()


@transaction.atomic
def mobile_report(
    *,
    actor,
    registration: MobileRegistration,
    kind: str = MobileReport.Kind.REPORT,
    on=None,
    content: str = "",
) -> MobileReport:
    """A report home (at least yearly) or a contact: either keeps the member in contact."""
    reg = scope.get_visible(
        MobileRegistration.objects.select_for_update(of=("self",)),
        actor,
        "members.manage",
        view_action="members.view",
        pk=registration.pk,
    )
    if not reg.active:
        raise Conflict("该党员已返回，流动党员登记已结束")
    errors = Errors()
    if kind not in MobileReport.Kind.values:
        errors.add("kind", "类型应为思想工作汇报或联系")
    today = timezone.localdate()
    day = _as_date(errors, "on", on) or today
    if day > today:
        errors.add("on", "日期不能晚于今天")
    elif day < reg.left_on:
        errors.add("on", "日期不能早于外出日期")
    content = _text(content)
    if len(content) > 500:
        errors.add("content", "内容不能超过500个字")
    errors.check()
    report = MobileReport.objects.create(
        registration=reg,
        kind=kind,
        on=day,
        content=content,
        recorded_by=actor if _is_user(actor) else None,
    )
    reg.last_contact_on = max(reg.last_contact_on, day)
    if kind == MobileReport.Kind.REPORT:
        reg.last_report_on = max(reg.last_report_on or day, day)
    reg.save(update_fields=["last_contact_on", "last_report_on"])
    audit.record(
        actor=actor,
        action=f"member.mobile_{kind}",
        obj=reg,
        org_path=reg.member.org_path,
        note=f"{report.get_kind_display()}（{day.isoformat()}）",
    )
    scope.assert_visible(reg, actor, "members.view")
    return report


@transaction.atomic
def mobile_end(*, actor, registration: MobileRegistration, ended_on=None) -> MobileRegistration:
    """The member came back: the registration ends and the mobile category goes."""
    reg = scope.get_visible(
        MobileRegistration.objects.select_for_update(of=("self",)),
        actor,
        "members.manage",
        view_action="members.view",
        pk=registration.pk,
    )
    if not _home_side_allows(actor, reg, "members.manage"):
        raise scope.Forbidden("只有党员所在党组织可以登记返回")
    if not reg.active:
        raise Conflict("该流动党员登记已结束")
    errors = Errors()
    today = timezone.localdate()
    day = _as_date(errors, "ended_on", ended_on) or today
    if day > today:
        errors.add("ended_on", "返回日期不能晚于今天")
    elif day < reg.left_on:
        errors.add("ended_on", "返回日期不能早于外出日期")
    errors.check()
    reg.active, reg.ended_on = False, day
    reg.save(update_fields=["active", "ended_on"])
    MemberCategory.objects.filter(member_id=reg.member_id, code=Category.MOBILE).delete()
    audit.record(
        actor=actor,
        action="member.mobile_end",
        obj=reg,
        org_path=reg.member.org_path,
        note=f"返回日期{day.isoformat()}",
    )
    return reg


# --- community check-in (双报到) -------------------------------------------------------------

CHECKIN_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.VILLAGE)


def residence_community(member: Member) -> Area | None:
    """The village or community the member's residence lies in."""
    if not member.area_path:
        return None
    paths = [*tree.ancestors_of(member.area_path), member.area_path]
    return (
        Area.objects.defer("boundary")
        .filter(path__in=paths, kind__in=CHECKIN_AREA_KINDS)
        .order_by("-depth")
        .first()
    )


def _community(errors: Errors, actor, community, home: Area | None = None) -> Area | None:
    if community is None:
        if home is None:
            errors.add("community", "请选择报到社区")
        return home
    if home is not None and community.pk == home.pk:
        return home
    found = scope.get_visible(
        Area.objects.defer("boundary"), actor, "territory.view", pk=community.pk
    )
    if found.kind not in CHECKIN_AREA_KINDS:
        errors.add("community", "报到对象须为村(社区)")
    return found


def _reported_on(errors: Errors, value) -> dt.date:
    today = timezone.localdate()
    day = _as_date(errors, "reported_on", value) or today
    if day > today:
        errors.add("reported_on", "报到日期不能晚于今天")
    return day


@transaction.atomic
def member_checkin(
    *,
    actor,
    member: Member,
    community: Area | None = None,
    reported_on=None,
    work_unit: str | None = None,
) -> CommunityCheckin:
    """An in-service member reports to the community where they live (by default the one of
    their residence). The member's organization or the member themself records it."""
    member = scope.get_visible(
        Member, actor, "members.checkin", view_action="members.view", pk=member.pk
    )
    errors = Errors()
    if Category.IN_SERVICE not in member.category_codes():
        errors.add("member", "只有在职党员需要到居住地社区报到")
    if member.status not in ACTIVE_STATUSES or member.left_on:
        errors.add("member", f"该党员状态为“{member.get_status_display()}”，不能报到")
    target = _community(errors, actor, community, residence_community(member))
    day = _reported_on(errors, reported_on)
    unit_name = _text(member.work_unit if work_unit is None else work_unit)
    if len(unit_name) > 100:
        errors.add("work_unit", "工作单位不能超过100个字")
    errors.check()
    checkin = _checkin_write(
        actor,
        "member.checkin",
        "该党员已向该社区报到",
        target,
        day,
        org_path=member.org_path,
        member=member,
        name=member.name,
        work_unit=unit_name,
    )
    scope.assert_visible(member, actor, "members.checkin")
    return checkin


def _checkin_write(
    actor, action: str, taken: str, community: Area, day, *, org_path: str, **who
) -> CommunityCheckin:
    """One check-in of a member or an organization (``who``: the owner and the copied name
    and unit): refused when the same owner already reported to that community; audited."""
    owner = {k: v for k, v in who.items() if k in ("member", "party_org")}
    if CommunityCheckin.objects.filter(community=community, **owner).exists():
        raise Conflict(taken)
    checkin = CommunityCheckin.objects.create(
        community=community, area_path=community.path, reported_on=day, **who
    )
    audit.record(
        actor=actor, action=action, obj=checkin, org_path=org_path, after=audit.snapshot(checkin)
    )
    return checkin


@transaction.atomic
def org_checkin(
    *, actor, org: PartyOrg, community: Area | None, reported_on=None
) -> CommunityCheckin:
    """An agency (or institution, or enterprise) branch reports to a community as an organization."""
    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        actor,
        "members.checkin",
        view_action="organizations.view",
        pk=org.pk,
    )
    errors = Errors()
    if org.domain in (OrgDomain.VILLAGE, OrgDomain.COMMUNITY):
        errors.add("org", "村(社区)党组织不需要到社区报到")
    target = _community(errors, actor, community)
    day = _reported_on(errors, reported_on)
    errors.check()
    checkin = _checkin_write(
        actor,
        "org.checkin",
        "该党组织已向该社区报到",
        target,
        day,
        org_path=org.path,
        party_org=org,
        name=org.name,
        work_unit=org.name,
    )
    scope.assert_visible(org, actor, "organizations.view")
    return checkin


@transaction.atomic
def checkin_service_record(
    *, actor, checkin: CommunityCheckin, served_on=None, content: str = "", hours=None
) -> CheckinService:
    """The community records a service the member (or branch) gave: the service record."""
    checkin = scope.get_visible(
        CommunityCheckin.objects.select_for_update(),
        actor,
        "members.checkin",
        view_action="members.checkin_view",
        pk=checkin.pk,
    )
    errors = Errors()
    today = timezone.localdate()
    day = _as_date(errors, "served_on", served_on) or today
    if day > today:
        errors.add("served_on", "服务日期不能晚于今天")
    elif day < checkin.reported_on:
        errors.add("served_on", "服务日期不能早于报到日期")
    content = _text(content)
    if not content:
        errors.add("content", "请填写服务内容")
    elif len(content) > 200:
        errors.add("content", "服务内容不能超过200个字")
    try:
        amount = Decimal(str(hours)).quantize(Decimal("0.1")) if hours not in (None, "") else None
    except (InvalidOperation, ValueError):
        amount = None
        errors.add("hours", "服务时长应为数字")
    if amount is None and "hours" not in errors:
        errors.add("hours", "请填写服务时长")
    elif amount is not None and not Decimal("0") < amount <= Decimal("24"):
        errors.add("hours", "服务时长应大于0且不超过24小时")
    errors.check()
    service = CheckinService.objects.create(
        checkin=checkin,
        served_on=day,
        content=content,
        hours=amount,
        recorded_by=actor if _is_user(actor) else None,
    )
    CommunityCheckin.objects.filter(pk=checkin.pk).update(
        service_hours=models.F("service_hours") + amount
    )
    checkin.refresh_from_db(fields=["service_hours"])
    audit.record(
        actor=actor,
        action="checkin.service",
        obj=checkin,
        note=f"{day.isoformat()} {content[:100]} {amount}小时",
    )
    scope.assert_visible(checkin, actor, "members.checkin")
    return service


# --- membership transfers (组织关系转接) ------------------------------------------------------


def _step(
    transfer: MemberTransfer, actor, action: str, from_state: str, to_state: str, note: str, at
) -> TransferStep:
    return TransferStep.objects.create(
        transfer=transfer,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor if _is_user(actor) else None,
        actor_name=_actor_name(actor),
        note=note[:500],
        at=at,
    )


@transaction.atomic
def transfer_request(
    *,
    actor,
    member: Member,
    kind: str = TransferKind.INTERNAL,
    to_org: PartyOrg | None = None,
    to_org_name: str = "",
    letter_number: str = "",
    reason: str = "",
    note: str = "",
) -> MemberTransfer:
    """Ask to move a member's membership: inside the system to an organization the actor can
    see, or out of the system (with the letter number at approval at the latest)."""
    member = scope.get_visible(
        Member.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=member.pk,
    )
    errors = Errors()
    if kind not in (TransferKind.INTERNAL, TransferKind.OUT_OF_SYSTEM):
        raise ValidationError({"kind": ["转接类型应为系统内转接或转出系统外"]})
    if member.left_on:
        raise Conflict("该党员组织关系已转出系统")
    if MemberTransfer.objects.filter(member=member, state__in=OPEN_TRANSFER_STATES).exists():
        raise Conflict("该党员已有未办结的组织关系转接")
    if member.status in (Status.REMOVED, Status.DECEASED):
        errors.add("member", f"该党员状态为“{member.get_status_display()}”，不能转接组织关系")
    target = None
    if kind == TransferKind.INTERNAL:
        if to_org is None:
            errors.add("to_org", "请选择转入党组织")
        else:
            # An organization the actor cannot see reads as absent: the transfer is refused.
            target = scope.get_visible(
                PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=to_org.pk
            )
            if target.pk == member.org_id:
                errors.add("to_org", "转入党组织不能是当前所在党组织")
            elif target.kind == OrgKind.GROUP:
                errors.add("to_org", "组织关系应转入党支部（或党总支、党委），不能转入党小组")
        to_name = target.name if target else ""
    else:
        to_name = _text(to_org_name)
        if not to_name:
            errors.add("to_org_name", "请填写转入的系统外党组织名称")
        elif len(to_name) > 100:
            errors.add("to_org_name", "党组织名称不能超过100个字")
    letter, reason = _text(letter_number), _text(reason)
    if len(letter) > 50:
        errors.add("letter_number", "介绍信编号不能超过50个字符")
    if len(reason) > 200:
        errors.add("reason", "转接原因不能超过200个字")
    errors.check()
    from_org = PartyOrg.objects.defer("contact_phone").get(pk=member.org_id)
    transfer = MemberTransfer.objects.create(
        member=member,
        member_name=member.name,
        kind=kind,
        state=TransferState.REQUESTED,
        from_org=from_org,
        from_org_path=from_org.path,
        from_org_name=from_org.name,
        to_org=target,
        to_org_path=target.path if target else "",
        to_org_name=to_name,
        letter_number=letter,
        reason=reason,
        requested_by=actor if _is_user(actor) else None,
    )
    _step(
        transfer,
        actor,
        "request",
        "",
        TransferState.REQUESTED,
        _text(note) or reason,
        timezone.now(),
    )
    audit.record(
        actor=actor,
        action="transfer.request",
        obj=transfer,
        org_path=from_org.path,
        after=audit.snapshot(transfer),
    )
    scope.assert_visible(transfer, actor, "members.view")
    return transfer


def _side_allows(actor, transfer: MemberTransfer, side: str, action: str) -> bool:
    q = sides_q(MemberTransfer, actor, action, sides=[MemberTransfer.SIDE_FIELDS[side]])
    return q is not None and MemberTransfer.objects.filter(q, pk=transfer.pk).exists()


@transaction.atomic
def transfer_transition(
    *, actor, transfer: MemberTransfer, action: str, note: str = "", letter_number: str = ""
) -> MemberTransfer:
    """The one transition service of the transfer workflow (``TRANSFER_FLOW``): checks the move
    and the side, stamps time and actor, writes history; completing an internal transfer moves
    the member, completing one out of the system takes the file out of the registry."""
    transfer = scope.get_visible(
        MemberTransfer.objects.select_for_update(of=("self",)),
        actor,
        "members.view",
        pk=transfer.pk,
    )
    flow = TRANSFER_FLOW.get(transfer.kind, {})
    move = flow.get(action)
    if move is None:
        allowed = "、".join(f"{a}（{m.label}）" for a, m in flow.items()) or "无"
        raise ValidationError({"action": [f"不支持的操作“{action}”，可用操作：{allowed}"]})
    if transfer.state not in move.sources:
        raise Conflict(f"当前状态为“{transfer.get_state_display()}”，不能执行“{move.label}”")
    if not _side_allows(actor, transfer, move.side, "members.manage"):
        side = "转出方" if move.side == "from" else "转入方"
        raise scope.Forbidden(f"只有{side}党组织可以执行“{move.label}”")
    errors = Errors()
    note = _text(note)
    if len(note) > 500:
        errors.add("note", "意见不能超过500个字")
    letter = _text(letter_number)
    if len(letter) > 50:
        errors.add("letter_number", "介绍信编号不能超过50个字符")
    if "letter_number" in move.needs and not (letter or transfer.letter_number):
        errors.add("letter_number", "请填写介绍信编号")
    errors.check()
    before = audit.snapshot(transfer)
    now = timezone.now()
    from_state = transfer.state
    transfer.state = move.target
    if letter:
        transfer.letter_number = letter
    if move.target == TransferState.COMPLETED:
        transfer.completed_at = now
        _complete(actor, transfer, now)
    transfer.save()
    _step(transfer, actor, action, from_state, move.target, note, now)
    b, a = audit.diff(before, audit.snapshot(transfer))
    audit.record(
        actor=actor,
        action=f"transfer.{action}",
        obj=transfer,
        org_path=transfer.from_org_path,
        before=b,
        after=a,
        note=note,
    )
    scope.assert_visible(transfer, actor, "members.view")
    return transfer


def _complete(actor, transfer: MemberTransfer, now) -> None:
    member = Member.objects.select_for_update().get(pk=transfer.member_id)
    before = audit.snapshot(member, ["org", "org_path", "left_on"])
    if transfer.kind == TransferKind.INTERNAL:
        target = PartyOrg.objects.defer("contact_phone").get(pk=transfer.to_org_id)
        member.org, member.org_path = target, target.path
        member.save(update_fields=["org", "org_path", "updated_at"])
    elif transfer.kind == TransferKind.OUT_OF_SYSTEM:
        member.left_on = timezone.localdate(now)
        member.save(update_fields=["left_on", "updated_at"])
        MobileRegistration.objects.filter(member=member, active=True).update(
            active=False, ended_on=member.left_on
        )
    audit.record(
        actor=actor,
        action="member.transfer",
        obj=member,
        before=before,
        after=audit.snapshot(member, ["org", "org_path", "left_on"]),
        note=f"组织关系转接（编号{transfer.pk}）",
    )


def transfer_history(transfer: MemberTransfer) -> list[TransferStep]:
    return list(transfer.steps.all())


# --- Excel import and export ----------------------------------------------------------------

IMPORT_MODES = ("all_or_nothing", "skip_bad")


IMPORT_PROGRESS_EVERY = 1000


def check_import_mode(mode: str) -> None:
    if mode not in IMPORT_MODES:
        raise ValidationError(
            {"mode": ["导入方式应为all_or_nothing（全部成功才导入）或skip_bad（跳过错误行）"]}
        )


def members_import(
    *,
    actor,
    content: bytes,
    mode: str = "all_or_nothing",
    columns: dict | None = None,
    max_rows: int | None = None,
    progress=None,
    checkpoint=None,
) -> dict:
    """Import members from a spreadsheet: the whole file is checked first (reads only); then
    every good row goes in one transaction, or none when ``mode`` is all-or-nothing and any row
    is bad.

    ``max_rows``: the most data rows accepted (default ``excel.MAX_IMPORT_ROWS``, the limit of
    an import inside a request; a background import passes its own). ``progress(stage,
    rows_done, rows_total)`` is told where the import stands (stages: "check", "write").
    ``checkpoint()`` is called between the write's insert batches, inside its transaction:
    whatever it raises (a background job's cancel) rolls the whole write back, so nothing is
    half-written in either mode.

    Answers ``{"created", "errors": [{"row", "column", "message"}], "total", ...}``.
    """
    check_import_mode(mode)
    if not scope.reach_of(actor, "members.manage").org_paths:
        raise scope.Forbidden("您没有导入党员的权限")
    with collection_paused():
        return _import(actor, content, mode, columns, max_rows, progress, checkpoint)


def _import(actor, content: bytes, mode: str, columns, max_rows, progress, checkpoint) -> dict:
    from dangjian.members import excel

    sheet = excel.parse_import(content, columns or {}, max_rows=max_rows)
    rows = sheet.rows
    if progress is not None:
        progress("check", 0, len(rows))
    orgs = _import_orgs(actor, {r.values["org"] for r in rows if r.values.get("org")})
    units = _import_units(actor, {r.values["unit"] for r in rows if r.values.get("unit")})

    problems: list[dict] = []
    good: list[tuple] = []
    seen_ids: dict[str, int] = {}
    today = timezone.localdate()  # once for the whole file, not once per row
    prepared = []
    for done, row in enumerate(rows):
        if progress is not None and done and done % IMPORT_PROGRESS_EVERY == 0:
            progress("check", done, len(rows))
        errors = Errors()
        for key, message in row.errors.items():
            errors.add(key, message)
        values = {k: v for k, v in row.values.items() if k in _OWN_FIELD_SET}
        explicit = {k for k, v in values.items() if v not in (None, "", [])}
        clean, field_errors = clean_member_fields(values, explicit=explicit, today=today)
        if "id_number" in row.errors:  # an unreadable ID cell: its own message says it all
            for key in ("gender", "birth_date"):
                if not values.get(key):
                    field_errors.pop(key, None)
        for key, messages in field_errors.items():
            if key not in errors:
                errors[key] = messages
        org = _pick(errors, "org", row.values.get("org"), orgs, "党组织")
        unit = (
            _pick(errors, "unit", row.values.get("unit"), units, "居住网格单元")
            if row.values.get("unit")
            else None
        )
        if unit is not None and unit.level < RESIDENCE_MIN_LEVEL:
            errors.add("unit", "居住地须为村(社区)、网格或单元")
        index = (
            crypto.blind_index("id_number", clean["id_number"])
            if clean["id_number"] and "id_number" not in errors
            else ""
        )
        if index:
            if index in seen_ids:
                errors.add("id_number", f"与第{seen_ids[index]}行的身份证号码重复")
            else:
                seen_ids[index] = row.number
        prepared.append((row, clean, org, unit, index, errors))

    existing = {
        m.id_number_index: m
        for chunk in _chunks([p[4] for p in prepared if p[4]])
        for m in Member.objects.filter(id_number_index__in=chunk).only(
            "pk", "name", "org_id", "org_path", "user_id", "id_number_index"
        )
    }
    if existing:
        visible = {
            pk
            for chunk in _chunks([m.pk for m in existing.values()])
            for pk in Member.objects.visible_to(actor, "members.view")
            .filter(pk__in=chunk)
            .values_list("pk", flat=True)
        }
        org_names = dict(
            PartyOrg.objects.filter(pk__in={m.org_id for m in existing.values()}).values_list(
                "pk", "name"
            )
        )
    for row, clean, org, unit, index, errors in prepared:
        if index and index in existing and "id_number" not in errors:
            m = existing[index]
            errors.add(
                "id_number",
                f"该身份证号码已登记：{m.name}（{org_names.get(m.org_id)}，档案编号{m.pk}）"
                if m.pk in visible
                else "该身份证号码已在系统中登记，其档案不在您的查看范围内，请联系上级组织部门核实",
            )
        if errors:
            for key, messages in errors.items():
                for message in messages:
                    problems.append(
                        {"row": row.number, "column": sheet.column_name(key), "message": message}
                    )
        else:
            good.append((row, clean, org, unit, index))

    problems.sort(key=lambda p: (p["row"], sheet.column_order(p["column"])))
    if progress is not None:
        progress("write", len(rows), len(rows))
    with transaction.atomic():
        return _finish_import(actor, sheet, mode, good, problems, checkpoint)


def _finish_import(
    actor, sheet, mode: str, good: list[tuple], problems: list[dict], checkpoint=None
) -> dict:
    """The write of an import, in one transaction: the good rows, the visibility re-check and
    the import's audit row."""
    rows = sheet.rows
    created: list[int] = []
    if not (problems and mode == "all_or_nothing"):
        created = _write_imported(actor, good, checkpoint)
        visible_count = sum(
            Member.objects.visible_to(actor, "members.manage").filter(pk__in=chunk).count()
            for chunk in _chunks(created)
        )
        if visible_count != len(created):
            raise Http404("未找到")
    bad_rows = len({p["row"] for p in problems})
    if problems and mode == "all_or_nothing":
        detail = f"共{len(rows)}行，其中{bad_rows}行有误，按“全部成功才导入”未导入任何数据，请修改后重新导入"
    elif problems:
        detail = f"共{len(rows)}行，导入{len(created)}行，跳过有误的{bad_rows}行"
    else:
        detail = f"共{len(rows)}行，全部导入成功"
    audit.record(
        actor=actor,
        action="members.import",
        object_type="members.member",
        object_repr=f"Excel导入党员（{len(created)}/{len(rows)}）",
        note=f"{detail}；导入方式：{mode}",
        after={"created": len(created), "rows": len(rows), "bad_rows": bad_rows, "mode": mode},
    )
    return {
        "created": len(created),
        "total": len(rows),
        "bad_rows": bad_rows,
        "mode": mode,
        "detail": detail,
        "errors": problems,
        "ignored_columns": sheet.ignored,
        "created_ids": created,
    }


def _pick(errors: Errors, key: str, text, candidates: dict, what: str):
    text = _text(text)
    if not text:
        if key == "org":
            errors.add("org", "请填写所在党组织")
        return None
    found = candidates.get(text, [])
    if not found:
        errors.add(key, f"未找到{what}“{text}”，或不在您的管理范围内")
        return None
    if len(found) > 1:
        hint = "请改填组织代码" if key == "org" else "请写成“社区/网格/单元”的形式"
        errors.add(key, f"{what}“{text}”有重名，{hint}")
        return None
    return found[0]


IMPORT_BATCH = 2000
LOOKUP_CHUNK = 900  # values per IN (...) list: under every backend's parameter limit


def _chunks(values, size: int = LOOKUP_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


class _Insert:
    """Rows of one model written in bulk without a model instance per row (the bulk import
    writes 100,000 members, their categories and their audit rows), each value converted as
    ``bulk_create`` converts it: the field's ``get_db_prep_save``, with the plain text and key
    columns passed as they are, since that conversion leaves them unchanged. Columns not given
    take the value a new instance would get (defaults, ``auto_now``/``auto_now_add`` once for
    all rows); ``values`` holds those as Python values (for the audit snapshot).

    On PostgreSQL the rows go through ``COPY ... FROM STDIN``, with keys drawn beforehand from
    the table's sequence when they are wanted back: a parameterized ``INSERT`` of 2,000 rows
    costs the client more than the server (psycopg binds parameters into the statement's text,
    quoting each of some 46,000 values with a regular expression), while COPY's rows are
    formatted in psycopg's C code. Elsewhere a multi-row ``INSERT ... VALUES`` (``RETURNING``
    the keys, as ``bulk_create`` reads them back)."""

    def __init__(self, model, attnames: list[str], connection):
        self.model, self.connection = model, connection
        meta = model._meta
        given = set(attnames)
        fields = [f for f in meta.concrete_fields if not f.primary_key or f.attname in given]
        by_attname = {f.attname: f for f in fields}
        probe = model()
        self.values: dict = {}
        self.constants = []
        constant_fields = [f for f in fields if f.attname not in given]
        for f in constant_fields:
            value = f.pre_save(probe, True)
            self.values[f.attname] = value
            self.constants.append(f.get_db_prep_save(value, connection))
        self.converters = [self._converter(by_attname[a]) for a in attnames]
        qn = connection.ops.quote_name
        self.table, self.pk_column = meta.db_table, meta.pk.column
        self.columns = [qn(by_attname[a].column) for a in attnames]
        self.columns += [qn(f.column) for f in constant_fields]
        self.copy = connection.vendor == "postgresql"
        if self.copy:
            self.batch = IMPORT_BATCH
        else:
            self.batch = max(1, min(IMPORT_BATCH, _max_params(connection) // len(fields)))

    def _converter(self, field):
        if isinstance(field, crypto.EncryptedField) or not isinstance(
            field, models.CharField | models.ForeignKey
        ):
            if type(field) is models.DateField:
                return self.connection.ops.adapt_datefield_value
            return lambda v, f=field, c=self.connection: f.get_db_prep_save(v, c)
        return None

    def _converted(self, chunk: list[list]) -> list[tuple]:
        """The rows of ``chunk`` with each value converted, the constants appended."""
        columns = [list(c) for c in zip(*chunk, strict=True)]
        for i, convert in enumerate(self.converters):
            if convert is not None:
                columns[i] = list(map(convert, columns[i]))
        columns += [[c] * len(chunk) for c in self.constants]
        return list(zip(*columns, strict=True))

    def write(self, rows: list[list], returning: bool = False, checkpoint=None) -> list:
        """Insert ``rows`` (values in the order of ``attnames``); the new keys, in order, when
        ``returning``. ``checkpoint()`` runs before each batch after the first (it may raise
        to stop the write)."""
        if not rows:
            return []
        ids: list = []
        with self.connection.cursor() as cursor:
            keys = self._draw_keys(cursor, len(rows)) if returning and self.copy else None
            for start in range(0, len(rows), self.batch):
                if start and checkpoint is not None:
                    checkpoint()
                chunk = self._converted(rows[start : start + self.batch])
                if self.copy:
                    self._copy(cursor, chunk, keys[start : start + len(chunk)] if keys else None)
                else:
                    ids += self._insert(cursor, chunk, returning)
        if keys is not None:
            ids = keys
        if returning and len(ids) != len(rows):  # pragma: no cover - the database's promise
            raise RuntimeError("插入的行数与返回的编号数不符")
        return ids

    def _draw_keys(self, cursor, count: int) -> list[int]:
        """``count`` new keys from the table's own sequence (as ``INSERT`` would draw them)."""
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [self.connection.ops.quote_name(self.table), self.pk_column, count],
        )
        return [r[0] for r in cursor.fetchall()]

    def _copy(self, cursor, chunk: list[tuple], keys: list[int] | None) -> None:
        columns = self.columns
        if keys is not None:
            columns = [self.connection.ops.quote_name(self.pk_column), *columns]
            chunk = [(k, *row) for k, row in zip(keys, chunk, strict=True)]
        sql = f"COPY {self.connection.ops.quote_name(self.table)} ({', '.join(columns)}) FROM STDIN"
        # The raw cursor's COPY bypasses Django's wrapper: map psycopg's errors (a duplicate
        # ID number) to Django's, as ``execute`` would.
        with self.connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in chunk:
                copy.write_row(row)

    def _insert(self, cursor, chunk: list[tuple], returning: bool) -> list:
        # The driver's own placeholders on the driver's cursor: Django's SQLite cursor would
        # rewrite each of a batch's some 30,000 ``%s`` with a regular expression first.
        sqlite = self.connection.vendor == "sqlite"
        mark = "?" if sqlite else "%s"
        # Django's SQLite cursor is a subclass of the driver's: call the driver's own method.
        execute = partial(sqlite3.Cursor.execute, cursor.cursor) if sqlite else cursor.execute
        row_sql = "(" + ", ".join([mark] * len(self.columns)) + ")"
        sql = (
            f"INSERT INTO {self.connection.ops.quote_name(self.table)} "
            f"({', '.join(self.columns)}) VALUES " + ", ".join([row_sql] * len(chunk))
        )
        if returning:
            sql += f" RETURNING {self.connection.ops.quote_name(self.pk_column)}"
        params = [value for row in chunk for value in row]
        with self.connection.wrap_database_errors:  # as ``execute`` maps the driver's errors
            rows = execute(sql, params)
            return [r[0] for r in rows.fetchall()] if returning else []


def _max_params(connection) -> int:
    """The most parameters one statement may carry."""
    if connection.vendor == "sqlite":  # the compiled limit (999 is only the oldest default)
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return min(connection.features.max_query_params or 65535, 65535)


_MEMBER_COLUMNS = [f for f in OWN_FIELDS if f != "categories"] + [
    "id_number_index",
    "phone_index",
    "name_pinyin",
    "org_id",
    "org_path",
    "unit_id",
    "area_path",
]
_AUDIT_COLUMNS = [
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "after",
    "note",
    "request_id",
    "remote_addr",
    "area_path",
    "org_path",
]


def _write_imported(actor, good: list[tuple], checkpoint=None) -> list[int]:
    """The good rows of an import written in bulk: the members (encrypted by the field, blind
    indexes and pinyin as ``_apply`` sets them), their categories and one audit row each
    (masked, as ``audit.record`` writes it), a few statements per thousand rows. Answers the
    new members' keys, in the order of ``good``. ``checkpoint()`` runs between the batches
    (the caller's transaction rolls everything back when it raises)."""
    from django.db import connections, router

    from dangjian.core import context
    from dangjian.core.models import AuditEntry

    connection = connections[router.db_for_write(Member)]
    # Written in the order of the organization tree, not of the file: most of a member's
    # indexes (organization, its path, residence and its path) then take new entries side by
    # side instead of all over the B-tree; on SQLite that halves the time of the insert into
    # a city's registry. The keys are answered in the order of ``good`` all the same.
    order = sorted(range(len(good)), key=lambda i: (good[i][2].path, good[i][0].number))
    good = [good[i] for i in order]
    pinyin: dict[str, str] = {}
    rows = []
    own = _MEMBER_COLUMNS[: len(OWN_FIELDS) - 1]
    for _row, clean, org, unit, index in good:
        name = clean["name"]
        if name not in pinyin:
            pinyin[name] = initials(name)
        phone = clean["phone"]
        values = [clean[f] for f in own]
        values += [
            index,
            crypto.blind_index("phone", phone) if phone else "",
            pinyin[name],
            org.pk,
            org.path,
            unit.pk if unit is not None else None,
            unit.path if unit is not None else "",
        ]
        rows.append(values)
    members = _Insert(Member, _MEMBER_COLUMNS, connection)
    try:
        # No savepoint: the error ends the whole import's transaction anyway, and on SQLite a
        # savepoint copies every page the insert touches into a journal of its own.
        with transaction.atomic(using=connection.alias, savepoint=False):
            pks = members.write(rows, returning=True, checkpoint=checkpoint)
    except IntegrityError as exc:  # a concurrent write registered one of the ID numbers
        raise ValidationError(
            {"file": ["导入期间有身份证号码已被登记，请重新导入以查看具体行"]}
        ) from exc
    if checkpoint is not None:
        checkpoint()
    categories = _Insert(MemberCategory, ["member_id", "code"], connection)
    categories.write(
        [
            [pk, code]
            for pk, (_row, clean, *_rest) in zip(pks, good, strict=True)
            for code in clean["categories"]
        ],
        checkpoint=checkpoint,
    )
    if checkpoint is not None:
        checkpoint()
    is_user = _is_user(actor)
    actor_name = (actor.get_username() if is_user else "")[:150]
    request_id, remote_addr = context.request_id.get(), context.remote_addr.get()
    shared = _shared_snapshot(members.values)
    audit_rows = []
    for pk, values, (row, clean, *_rest) in zip(pks, rows, good, strict=True):
        snap = dict(zip(_MEMBER_COLUMNS, values, strict=True))
        snap["id"] = pk
        audit_rows.append(
            [
                actor.pk if is_user else None,
                actor_name,
                "member.create",
                "members.member",
                str(pk),
                clean["name"][:200],
                _snapshot_values(snap, clean["categories"], shared),
                f"Excel导入第{row.number}行",
                request_id,
                remote_addr,
                snap["area_path"],
                snap["org_path"],
            ]
        )
    _Insert(AuditEntry, _AUDIT_COLUMNS, connection).write(audit_rows, checkpoint=checkpoint)
    in_file_order = [0] * len(pks)
    for position, pk in zip(order, pks, strict=True):
        in_file_order[position] = pk
    return in_file_order


def _import_orgs(actor, texts: set[str]) -> dict[str, list[PartyOrg]]:
    """Organizations named (or coded) in the file where the actor manages members."""
    if not texts:
        return {}
    out: dict[str, list[PartyOrg]] = {}
    base = PartyOrg.objects.visible_to(actor, "members.manage").defer("contact_phone")
    seen = set()
    for chunk in _chunks(texts, LOOKUP_CHUNK // 2):
        for org in base.filter(models.Q(name__in=chunk) | models.Q(code__in=chunk)):
            if org.pk in seen or not can_manage_members_in(actor, org.path):
                continue
            seen.add(org.pk)
            for key in {org.name, org.code} & texts:
                out.setdefault(key, []).append(org)
    return out


def _unit_segments(text: str) -> list[str]:
    return [
        p.strip()
        for p in text.replace("／", "/").replace("＞", "/").replace(">", "/").split("/")
        if p.strip()
    ]


@dataclass(frozen=True)
class Place:
    """A residence matched by an import: what the import needs of an Area, without building
    a model instance for each of the many candidates a common name like "3号楼" has."""

    pk: int
    path: str
    name: str
    level: int


def _import_units(actor, texts: set[str]) -> dict[str, list[Place]]:
    """Residences named in the file: a unique name, or "社区/网格/单元" down from any level.

    One query per chunk of leaf names and one per chunk of ancestor paths; the candidates are
    indexed by (leaf name, the name before it), so each text looks at a handful of them."""
    if not texts:
        return {}
    parts = {t: _unit_segments(t) for t in texts}
    parts = {t: segs for t, segs in parts.items() if segs}
    leaves = {segs[-1] for segs in parts.values()}
    base = Area.objects.visible_to(actor, "territory.view")
    candidates = [
        Place(*row)
        for chunk in _chunks(leaves)
        for row in base.filter(name__in=chunk).values_list("pk", "path", "name", "level")
    ]
    # A candidate's ancestors are its parent's and the parent: worked out once per parent
    # (the units of one grid share them), not once per candidate.
    width = tree.STEP_WIDTH
    parents = {c.path[:-width] for c in candidates if len(c.path) > width}
    ancestor_paths = {a for p in parents for a in tree.ancestors_of(p)} | parents
    names = {
        path: name
        for chunk in _chunks(ancestor_paths)
        for path, name in Area.objects.filter(path__in=chunk).values_list("path", "name")
    }
    pairs = {(segs[-1], segs[-2]) for segs in parts.values() if len(segs) > 1}
    pair_leaves = {leaf for leaf, _above in pairs}
    chains: dict[str, tuple[list[str], set[str]]] = {}
    by_leaf: dict[str, list[Place]] = {}
    by_pair: dict[tuple[str, str], list[tuple[Place, list[str]]]] = {}
    for c in candidates:
        by_leaf.setdefault(c.name, []).append(c)
        if c.name not in pair_leaves:
            continue
        parent = c.path[:-width]
        if parent not in chains:
            chain = [names.get(p, "") for p in tree.ancestors_of(c.path)]
            chains[parent] = chain, set(chain)
        chain, chain_names = chains[parent]
        for name in chain_names:
            if (c.name, name) in pairs:
                by_pair.setdefault((c.name, name), []).append((c, chain))
    out: dict[str, list[Place]] = {}
    for text, segs in parts.items():
        if len(segs) == 1:
            found = by_leaf.get(segs[0], [])
        else:
            found = [
                c
                for c, chain in by_pair.get((segs[-1], segs[-2]), [])
                if _is_subsequence(segs[:-1], chain)
            ]
        if found:
            out[text] = found
    return out


def _is_subsequence(needles: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(n == h for h in it) for n in needles)


def check_export(*, actor, filters: dict, reveal: bool = False):
    """The queryset an export would write, after checking the filters and the right to
    reveal (the same checks whether the export runs now or in the background)."""
    from dangjian.members import selectors

    if not (actor.can("members.view") and actor.can("members.export")):
        raise scope.Forbidden("您没有导出党员名册的权限")
    qs = selectors.member_list(actor, **filters)
    if reveal and not actor.can("members.reveal_pii"):
        raise scope.Forbidden("您没有导出完整个人信息的权限")
    return qs


def export_org_path(actor, filters: dict) -> str:
    """The scope of an export's audit row: the organization filtered on, else the smallest
    subtree holding all the export covered (``core.audit.covered_paths``)."""
    if filters.get("org"):
        found = PartyOrg.objects.filter(pk=filters["org"]).values_list("path", flat=True).first()
        if found:
            return found
    return audit.covered_paths(Member, actor, "members.view")["org_path"]


def members_export(
    *, actor, filters: dict, reveal: bool = False, progress=None
) -> tuple[bytes, int]:
    """The filtered list as .xlsx: scoped, masked unless ``reveal`` and the actor may reveal
    that member's data, with the exporter's name in the file; audited (an export of nothing
    discloses nothing and writes no audit row). ``progress(rows_done)``: see
    ``excel.export_members``."""
    from dangjian.members import excel

    qs = check_export(actor=actor, filters=filters, reveal=reveal)
    reveal_q = None
    if reveal:
        reveal_q = Member.objects.visible_to(actor, "members.reveal_pii").filter(
            pk=models.OuterRef("pk")
        )
    content, count, revealed = excel.export_members(
        qs, exporter=_actor_name(actor), reveal_q=reveal_q, progress=progress
    )
    if count:
        note = f"导出党员名册{count}条" + (
            f"，其中{revealed}条含完整身份证号码和手机号码" if revealed else "（个人信息已脱敏）"
        )
        audit.record(
            actor=actor,
            action="members.export",
            object_type="members.member",
            object_repr="党员名册",
            org_path=export_org_path(actor, filters),
            note=note,
            after={
                "count": count,
                "revealed": revealed,
                "filters": {k: v for k, v in filters.items() if v not in (None, "")},
            },
        )
    return content, count


# --- village and community cadres (两委干部) --------------------------------------------------

CADRE_AREA_KINDS = (AreaKind.VILLAGE, AreaKind.COMMUNITY)
CADRE_TERM_MONTHS = 60  # village and community committees: 5 years (DOMAIN.md, "Structure")
CADRE_TERM_MAX_MONTHS = 72  # an election may move by at most one year
CADRE_MIN_AGE = 18
CADRE_FIELD_LABELS = {
    "name": "姓名",
    "member": "党员档案",
    "committee": "所属组织",
    "position": "职务",
    "one_shoulder": "“一肩挑”",
    "cross_holding": "交叉任职",
    "party_member": "中共党员",
    "gender": "性别",
    "birth_date": "出生日期",
    "education": "学历",
    "term_start": "任期开始",
    "term_end": "任期届满",
    "ended_on": "离任日期",
    "intended_position": "培养方向",
    "added_on": "纳入后备日期",
}
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


def can_manage_area(actor, area_path: str, action: str = "members.manage") -> bool:
    """Whether ``actor``'s area-tree reach for ``action`` covers ``area_path``: cadres, reserve
    cadres and unit roles are scoped by the village's (or unit's) place in the Area tree."""
    reach = scope.reach_of(actor, action)
    return any(tree.is_within(area_path, p) for p in reach.area_paths)


def _managed_area(actor, area, *, kinds, what: str) -> Area:
    """The village or community (or unit) ``area``: 404 when the actor cannot see it, 403 when
    the actor sees it but does not manage members there."""
    if area is None:
        raise ValidationError({"area": [f"请选择{what}"]})
    found = scope.get_visible(Area.objects.defer("boundary"), actor, "territory.view", pk=area.pk)
    if not can_manage_area(actor, found.path):
        raise scope.Forbidden(f"您没有管理该{what}的权限")
    if found.kind not in kinds:
        raise ValidationError({"area": [f"请选择{what}（当前为{found.get_kind_display()}）"]})
    return found


def _linked_member(errors: Errors, actor, member) -> Member | None:
    if member is None:
        return None
    found = scope.get_visible(Member.objects.all(), actor, "members.view", pk=member.pk)
    if found.left_on:
        errors.add("member", "该党员组织关系已转出系统")
    elif found.status not in ACTIVE_STATUSES:
        errors.add("member", f"该党员状态为“{found.get_status_display()}”")
    return found


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
    name = _text(values.get("name"))
    if member is not None:
        if name and "name" in explicit and name != member.name:
            errors.add("name", f"姓名与所选党员档案不符（档案姓名为{member.name}）")
        name = name or member.name
    if not name:
        errors.add("name", "请填写姓名")
    elif len(name) > 50:
        errors.add("name", "姓名不能超过50个字")
    out["name"] = name

    gender = _text(values.get("gender"))
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

    education = _text(values.get("education"))
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

    committee = _text(values.get("committee"))
    if not committee:
        errors.add("committee", "请选择所属组织（党组织委员会、村民委员会或居民委员会）")
    elif committee not in Committee.values:
        errors.add(
            "committee", f"所属组织取值无效，可选：{'、'.join(str(c.label) for c in Committee)}"
        )
    elif message := _committee_for(area, committee):
        errors.add("committee", message)
    out["committee"] = committee

    position = _text(values.get("position"))
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
    from dangjian.members import sanctions  # it imports this module

    sanctions.check_standing(errors, linked, clean.get("committee"), clean.get("term_start"))
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
    intended = _text(intended_position)
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
    goal = _text(goal)
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

UNIT_ROLE_MAX_HOUSEHOLDS = 200


@transaction.atomic
def unit_role_assign(
    *,
    actor,
    member: Member | None,
    unit: Area | None,
    role: str = "",
    since=None,
    households: int | None = None,
) -> UnitRole:
    """Make a member the 党员中心户 of a unit (they live in it) or its 楼栋长 (one per unit;
    they live in the same village or community)."""
    unit = _managed_area(actor, unit, kinds=(AreaKind.UNIT,), what="单元")
    errors = Errors()
    if member is None:
        raise ValidationError({"member": ["请选择党员"]})
    found = _linked_member(errors, actor, member)
    if role not in UnitRoleCode.values:
        errors.add("role", f"角色取值无效，可选：{'、'.join(str(c.label) for c in UnitRoleCode)}")
    elif role == UnitRoleCode.CENTER_HOUSEHOLD:
        if not found.area_path:
            errors.add("member", "请先登记该党员的居住网格单元")
        elif not tree.is_within(found.area_path, unit.path):
            errors.add("member", "党员中心户应居住在该单元")
    else:
        village_path = unit.path[: tree.STEP_WIDTH * RESIDENCE_MIN_LEVEL]
        if not found.area_path:
            errors.add("member", "请先登记该党员的居住网格单元")
        elif not tree.is_within(found.area_path, village_path):
            errors.add("member", "楼栋长应居住在本村(社区)")
        other = UnitRole.objects.filter(unit=unit, role=role, ended_on__isnull=True).first()
        if other is not None:
            errors.add("role", f"{unit.name}已有楼栋长{other.member_name}")
    day = _as_date(errors, "since", since) or timezone.localdate()
    if day > timezone.localdate():
        errors.add("since", "任职日期不能晚于今天")
    count = 0 if households in (None, "") else households
    if (
        not isinstance(count, int)
        or isinstance(count, bool)
        or not 0 <= count <= UNIT_ROLE_MAX_HOUSEHOLDS
    ):
        errors.add("households", f"联系户数应为0至{UNIT_ROLE_MAX_HOUSEHOLDS}的整数")
    if (
        role in UnitRoleCode.values
        and UnitRole.objects.filter(
            member=found, unit=unit, role=role, ended_on__isnull=True
        ).exists()
    ):
        errors.add("role", f"该党员已是{unit.name}的{UnitRoleCode(role).label}")
    errors.check()
    try:
        with transaction.atomic():
            assigned = UnitRole.objects.create(
                member=found,
                member_name=found.name,
                unit=unit,
                area_path=unit.path,
                role=role,
                since=day,
                households=count,
            )
    except IntegrityError as exc:
        raise ValidationError({"role": ["该单元的这一角色已有人担任，请刷新后重试"]}) from exc
    audit.record(
        actor=actor,
        action="unit_role.assign",
        obj=assigned,
        org_path=found.org_path,
        after=audit.snapshot(assigned),
    )
    scope.assert_visible(assigned, actor, "members.view")
    return assigned


@transaction.atomic
def unit_role_end(*, actor, role: UnitRole, ended_on=None) -> UnitRole:
    """The member no longer holds the role (stepped down, moved away)."""
    role = scope.get_visible(
        UnitRole.objects.select_for_update(),
        actor,
        "members.manage",
        view_action="members.view",
        pk=role.pk,
    )
    if role.ended_on:
        raise Conflict("该任职已结束")
    errors = Errors()
    today = timezone.localdate()
    day = _as_date(errors, "ended_on", ended_on) or today
    if day > today:
        errors.add("ended_on", "卸任日期不能晚于今天")
    elif day < role.since:
        errors.add("ended_on", "卸任日期不能早于任职日期")
    errors.check()
    role.ended_on = day
    role.save(update_fields=["ended_on"])
    audit.record(
        actor=actor,
        action="unit_role.end",
        obj=role,
        before={"ended_on": None},
        after={"ended_on": day.isoformat()},
    )
    scope.assert_visible(role, actor, "members.view")
    return role
