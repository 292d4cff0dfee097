"""An organization's life after it is set up: its kind changes as it grows (党支部 → 党总支 →
党委, with the size rules of DOMAIN.md as warnings and a history row) and it is dissolved
(refused while it still has members or open children). Dissolved organizations stay for
history, hidden from pickers and default listings."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit, scope
from dangjian.core.errors import Conflict, field_error
from dangjian.core.validation import Errors, clean_text
from dangjian.core.validators import (
    PARTY_FOUNDED,
    parse_date_field,
    validate_date_in_range,
)
from dangjian.organizations import headcount, shapes
from dangjian.organizations.models import KindChange, OrgKind, PartyOrg
from dangjian.organizations.services import ALLOWED_PARENTS

MANAGE = "organizations.manage"
VIEW = "organizations.view"
MAX_REASON = 200


def _locked(actor, org: PartyOrg) -> PartyOrg:
    return scope.get_visible(
        PartyOrg.objects.select_for_update(), actor, MANAGE, view_action=VIEW, pk=org.pk
    )


def _day(errors: Errors, value, field: str, label: str, earliest=None):
    try:
        day = parse_date_field(value, field=field, label=label)
        validate_date_in_range(
            day,
            field=field,
            label=label,
            earliest=earliest or PARTY_FOUNDED,
            latest=timezone.localdate(),
        )
    except Exception as exc:  # ValidationError
        errors.take(exc)
        return None
    return day or timezone.localdate()


def org_warnings(org: PartyOrg, count: headcount.Headcount | None = None) -> list[dict]:
    """The size warnings of ``org`` as it stands (none for a dissolved one)."""
    if org.dissolved_on is not None:
        return []
    return shapes.size_warnings(org, count or headcount.headcount(org.path))


@transaction.atomic
def org_change_kind(
    *, actor, org: PartyOrg, kind: str, reason: str = "", changed_on=None
) -> tuple[PartyOrg, list[dict]]:
    """Change the kind of ``org`` (党小组 → 党支部 → 党总支 → 党委 as it grows, or back):
    checked against its parent, its children and its form; a group becomes a branch only with
    3 or more full members on the roll (a rule: 409 with the count). Answers the organization
    and the size warnings of its new kind (common practice, with the member count)."""
    org = _locked(actor, org)
    shapes.assert_open(org, _("变更类别"))
    errors = Errors()
    if kind not in OrgKind.values:
        raise field_error("kind", _("组织类别无效"))
    if kind == org.kind:
        raise field_error("kind", _("新类别与现类别相同"))
    parent_kind = org.parent.kind if org.parent_id else None
    if parent_kind not in ALLOWED_PARENTS[OrgKind(kind)]:
        where = org.parent.get_kind_display() if org.parent_id else _("顶层")
        errors.add("kind", f"{where}下不能设立{OrgKind(kind).label}")
    if kind not in shapes.FORM_KINDS[org.form]:
        errors.add("kind", f"{org.get_form_display()}党组织不能改为{OrgKind(kind).label}")
    text = clean_text(reason)
    if len(text) > MAX_REASON:
        errors.add("reason", f"变更原因不能超过{MAX_REASON}个字")
    day = _day(errors, changed_on, "changed_on", "变更日期", earliest=org.established_on)
    errors.check()
    blocking = [
        c
        for c in PartyOrg.objects.filter(parent_id=org.pk, dissolved_on__isnull=True).only(
            "pk", "name", "kind"
        )
        if kind not in ALLOWED_PARENTS[OrgKind(c.kind)]
    ]
    if blocking:
        names = "、".join(c.name for c in blocking[:5])
        raise Conflict(
            f"{OrgKind(kind).label}下不能有{blocking[0].get_kind_display()}："
            f"请先调整下级组织（{names}{'等' if len(blocking) > 5 else ''}）"
        )
    count = headcount.headcount(org.path)
    if kind == OrgKind.BRANCH and count.full < shapes.MIN_BRANCH_FULL:
        raise Conflict(
            f"党员名册中正式党员{count.full}名，不足{shapes.MIN_BRANCH_FULL}名，不能成立党支部"
        )
    before = audit.snapshot(org)
    old_kind = org.kind
    org.kind = kind
    org.save(update_fields=["kind", "updated_at"])
    KindChange.objects.create(
        org=org,
        from_kind=old_kind,
        to_kind=kind,
        changed_on=day,
        reason=text,
        member_count=count.members,
        full_member_count=count.full,
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    scope.assert_visible(org, actor, VIEW)
    b, a = audit.diff(before, audit.snapshot(org))
    audit.record(
        actor=actor,
        action="org.change_kind",
        obj=org,
        before=b,
        after={**a, "members": count.members, "full_members": count.full},
        note=text,
    )
    return org, shapes.size_warnings(org, count)


@transaction.atomic
def org_dissolve(*, actor, org: PartyOrg, reason: str, dissolved_on=None) -> PartyOrg:
    """Dissolve (撤销) ``org``: refused (409) while member files still belong to it or while
    it has children that are not dissolved. The organization stays, with the date and reason."""
    org = _locked(actor, org)
    shapes.assert_open(org, _("再次撤销"))
    errors = Errors()
    text = clean_text(reason)
    if not text:
        errors.add("reason", "请填写撤销原因")
    elif len(text) > MAX_REASON:
        errors.add("reason", f"撤销原因不能超过{MAX_REASON}个字")
    day = _day(errors, dissolved_on, "dissolved_on", "撤销日期", earliest=org.established_on)
    errors.check()
    members = headcount.attached(org.pk)
    if members:
        raise Conflict(f"{org.name}尚有党员{members}名，不能撤销：请先将其组织关系转出")
    children = list(
        PartyOrg.objects.filter(parent_id=org.pk, dissolved_on__isnull=True)
        .order_by("path")
        .values_list("name", flat=True)[:6]
    )
    if children:
        n = PartyOrg.objects.filter(parent_id=org.pk, dissolved_on__isnull=True).count()
        shown = "、".join(children[:5])
        raise Conflict(
            f"{org.name}尚有未撤销的下级组织{n}个（{shown}{'等' if n > 5 else ''}），不能撤销"
        )
    before = audit.snapshot(org)
    org.dissolved_on = day
    org.dissolved_reason = text
    org.save(update_fields=["dissolved_on", "dissolved_reason", "updated_at"])
    scope.assert_visible(org, actor, VIEW)
    b, a = audit.diff(before, audit.snapshot(org))
    audit.record(actor=actor, action="org.dissolve", obj=org, before=b, after=a, note=text)
    return org
