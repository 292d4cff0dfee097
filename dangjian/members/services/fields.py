"""Validation shared by the member registry's writes (create, update and import): the field
labels, per-field errors, text cleaning, dates, and the duplicate check. Every write of the
registry is atomic, validated in full before saving (Chinese messages naming the field), scoped,
audited with masked values, and re-checked for visibility after writing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core import crypto, scope
from dangjian.core.months import add_months
from dangjian.core.validation import Errors, clean_text
from dangjian.core.validators import (
    FILTER_CEILING,
    FILTER_FLOOR,
    date_range_message,
    id_number_birth_date,
    id_number_gender,
    validate_id_number,
    validate_mobile,
)
from dangjian.members.models import (
    Category,
    Education,
    Ethnicity,
    Gender,
    Member,
    Occupation,
    Status,
)
from dangjian.organizations.models import PartyOrg

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

    name = clean_text(values.get("name"))
    if not name:
        errors.add("name", "请填写姓名")
    elif len(name) > 50:
        errors.add("name", "姓名不能超过50个字")
    out["name"] = name

    id_number = crypto.normalize("id_number", clean_text(values.get("id_number")))
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

    gender = clean_text(values.get("gender"))
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

    ethnicity = clean_text(values.get("ethnicity"))
    if not ethnicity:
        errors.add("ethnicity", "请填写民族")
    elif ethnicity not in ETHNICITY_CODES:
        errors.add("ethnicity", "民族代码无效，应为国家标准（GB/T 3304）代码，如汉族为01")
    out["ethnicity"] = ethnicity

    phone = crypto.normalize("phone", clean_text(values.get("phone")))
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
        code = clean_text(values.get(field))
        if code and code not in codes:
            errors.add(
                field,
                f"{FIELD_LABELS[field]}取值无效，可选：{'、'.join(str(c.label) for c in choices)}",
            )
        out[field] = code

    work_unit = clean_text(values.get("work_unit"))
    if len(work_unit) > 100:
        errors.add("work_unit", "工作单位不能超过100个字")
    out["work_unit"] = work_unit

    status = clean_text(values.get("status"))
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
        code = clean_text(code)
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


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def _actor_name(actor) -> str:
    return (str(actor) if _is_user(actor) else "系统")[:150]


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
