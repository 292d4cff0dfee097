"""Registering an applicant for party membership (登记入党申请人): the person's own fields,
the handling organization, the linked account and the duplicate checks. The applicant then
moves through the 25 steps by ``services.applicant_transition``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.core import audit, crypto, scope
from dangjian.core.validation import Errors
from dangjian.core.validation import clean_text as _text
from dangjian.core.validators import (
    BIRTH_FLOOR,
    date_range_message,
    id_number_birth_date,
    id_number_gender,
    validate_id_number,
    validate_mobile,
)
from dangjian.development.models import Applicant, ApplicantStatus
from dangjian.development.services import MANAGE, _plan_next, can_manage_in
from dangjian.development.step_fields import _date
from dangjian.members.models import Ethnicity, Gender, Member
from dangjian.organizations.models import OrgKind, PartyOrg

HANDLING_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH, OrgKind.COMMITTEE)


def _clean_person(values: dict, errors: Errors, today: dt.date) -> dict:
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
            validate_id_number(id_number)
        except ValidationError as exc:
            errors.add("id_number", exc.messages[0])
        else:
            derived_birth = id_number_birth_date(id_number)
            derived_gender = id_number_gender(id_number)

    gender = _text(values.get("gender"))
    if gender and gender not in Gender.values:
        errors.add("gender", "性别应为male（男）或female（女）")
    elif derived_gender:
        if gender and gender != derived_gender:
            errors.add(
                "gender", f"性别与身份证号码不符（身份证号码显示为{Gender(derived_gender).label}）"
            )
        gender = derived_gender
    elif not gender and not id_number:
        errors.add("gender", "请填写性别（或填写身份证号码）")
    out["gender"] = gender

    birth = _date(errors, "birth_date", values.get("birth_date"))
    if derived_birth:
        if birth and birth != derived_birth:
            errors.add(
                "birth_date",
                f"出生日期与身份证号码不符（身份证号码显示为{derived_birth.isoformat()}）",
            )
        birth = derived_birth
    if birth is None:
        if "birth_date" not in errors and not id_number:
            errors.add("birth_date", "请填写出生日期（或填写身份证号码）")
    elif message := date_range_message(birth, earliest=BIRTH_FLOOR, latest=today, label="出生日期"):
        errors.add("birth_date", message)
    out["birth_date"] = birth

    ethnicity = _text(values.get("ethnicity"))
    if not ethnicity:
        errors.add("ethnicity", "请填写民族")
    elif ethnicity not in Ethnicity.values:
        errors.add("ethnicity", "民族代码无效，应为国家标准（GB/T 3304）代码，如汉族为01")
    out["ethnicity"] = ethnicity

    phone = crypto.normalize("phone", _text(values.get("phone")))
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            errors.add("phone", exc.messages[0])
    out["phone"] = phone

    work_unit = _text(values.get("work_unit"))
    if len(work_unit) > 100:
        errors.add("work_unit", "工作单位不能超过100个字")
    out["work_unit"] = work_unit
    return out


def _handling_org(actor, org) -> PartyOrg:
    if org is None:
        raise ValidationError({"org": ["请选择所在党组织"]})
    pk = org.pk if isinstance(org, PartyOrg) else org
    found = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), actor, "organizations.view", pk=pk
    )
    if not can_manage_in(actor, found.path):
        raise scope.Forbidden("您没有管理该党组织发展党员工作的权限")
    if found.kind not in HANDLING_KINDS:
        raise ValidationError(
            {"org": ["发展党员须由党支部、党总支或党委负责，党小组不能作为所在党组织"]}
        )
    return found


def _account(errors: Errors, actor, user, exclude_pk: int | None = None) -> User | None:
    if user is None:
        return None
    pk = user.pk if isinstance(user, User) else user
    found = scope.get_visible(User, actor, "accounts.view", pk=pk)
    if found.kind not in (UserKind.RESIDENT, UserKind.MEMBER):
        errors.add("user", "只能关联群众或党员类型的账号")
    elif (
        Applicant.objects.filter(user_id=found.pk, status=ApplicantStatus.ACTIVE)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors.add("user", "该账号已关联其他正在培养考察的入党申请人")
    return found


def _check_duplicate(errors: Errors, id_number: str, exclude_pk: int | None = None) -> None:
    if not id_number or "id_number" in errors:
        return
    index = crypto.blind_index("id_number", id_number)
    if (
        Applicant.objects.filter(id_number_index=index, status=ApplicantStatus.ACTIVE)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors.add("id_number", "该身份证号码已有正在培养考察的入党申请人记录")
    elif Member.objects.filter(id_number_index=index).exists():
        errors.add("id_number", "该身份证号码已在党员名册中登记，不能作为入党申请人")


@transaction.atomic
def applicant_create(
    *,
    actor,
    org,
    name: str = "",
    gender: str = "",
    ethnicity: str = "",
    birth_date=None,
    id_number: str = "",
    phone: str = "",
    work_unit: str = "",
    user=None,
) -> Applicant:
    """A new applicant handled by ``org`` (a branch, general branch or committee), at step 0:
    the first step is taking the application (``applicant_transition(action="1")``)."""
    org = _handling_org(actor, org)
    errors = Errors()
    today = timezone.localdate()
    clean = _clean_person(
        {
            "name": name,
            "gender": gender,
            "ethnicity": ethnicity,
            "birth_date": birth_date,
            "id_number": id_number,
            "phone": phone,
            "work_unit": work_unit,
        },
        errors,
        today,
    )
    account = _account(errors, actor, user)
    _check_duplicate(errors, clean["id_number"])
    errors.check()
    applicant = Applicant(
        org=org, org_path=org.path, area_path=org.area_path, user=account, **clean
    )
    applicant.id_number_index = (
        crypto.blind_index("id_number", clean["id_number"]) if clean["id_number"] else ""
    )
    applicant.phone_index = crypto.blind_index("phone", clean["phone"]) if clean["phone"] else ""
    _plan_next(applicant)
    applicant.save()
    audit.record(
        actor=actor, action="applicant.create", obj=applicant, after=audit.snapshot(applicant)
    )
    scope.assert_visible(applicant, actor, MANAGE)
    return applicant
