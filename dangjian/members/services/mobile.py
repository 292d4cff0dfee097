"""Writes of mobile members (流动党员): registration, reports, end."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit, crypto, scope
from dangjian.core.errors import Conflict
from dangjian.core.validation import Errors, clean_free_text, clean_text
from dangjian.core.validators import (
    validate_phone,
)
from dangjian.members.models import (
    Category,
    Member,
    MemberCategory,
    MobileRegistration,
    MobileReport,
)
from dangjian.members.services.fields import ACTIVE_STATUSES, _as_date, _is_user
from dangjian.members.services.registry import _add_category
from dangjian.organizations.models import OrgKind, PartyOrg

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
    destination = clean_text(destination)
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
    phone = clean_text(contact_phone)
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as exc:
            errors.add("contact_phone", exc.messages[0])
    card_number = clean_text(card_number)
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
    host_name = clean_text(host_org_name)[:100] or (host.name if host else "")
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
    return scope.is_visible(reg, actor, action, via=MobileRegistration.HOME)


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
    content = clean_free_text(content)
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
