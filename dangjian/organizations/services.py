from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit, scope, tree
from dangjian.core.errors import Conflict, field_error
from dangjian.core.pinyin import initials
from dangjian.core.treemodel import node_insert, node_move
from dangjian.core.validation import one_line
from dangjian.core.validators import (
    PARTY_FOUNDED,
    clean_credit_code,
    parse_date_field,
    validate_date_in_range,
)
from dangjian.organizations import shapes
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import Area
from dangjian.territory.services import area_assert_open

ALLOWED_PARENTS = {
    OrgKind.COMMITTEE: {None, OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE},
    OrgKind.WORKING_COMMITTEE: {None, OrgKind.COMMITTEE},
    OrgKind.GENERAL_BRANCH: {OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE},
    OrgKind.BRANCH: {OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE, OrgKind.GENERAL_BRANCH},
    OrgKind.GROUP: {OrgKind.BRANCH, OrgKind.GENERAL_BRANCH},
}


def _check(parent: PartyOrg | None, kind: str, form: str, domain: str, name: str) -> None:
    if kind not in OrgKind.values:
        raise field_error("kind", _("组织类别无效"))
    if form not in OrgForm.values:
        raise field_error("form", _("组建形式无效"))
    if domain not in OrgDomain.values:
        raise field_error("domain", _("所属领域无效"))
    if not name or not name.strip():
        raise field_error("name", _("名称不能为空"))
    if (parent.kind if parent else None) not in ALLOWED_PARENTS[OrgKind(kind)]:
        where = parent.get_kind_display() if parent else _("顶层")
        raise field_error(
            "parent",
            _("%(where)s下不能设立%(kind)s") % {"where": where, "kind": OrgKind(kind).label},
        )


CREDIT_FIELDS = ("credit_code", "credit_code_override", "credit_code_override_reason")


@transaction.atomic
def org_create(
    *,
    actor,
    parent: PartyOrg | None,
    area: Area,
    name: str,
    kind: str,
    domain: str,
    form: str = OrgForm.REGULAR,
    code: str = "",
    contact_phone: str = "",
    established_on=None,
    term_years: int | None = None,
    credit_code: str = "",
    credit_code_override: bool = False,
    credit_code_override_reason: str = "",
    founding_full_members: int | None = None,
    project_name: str | None = None,
    ends_on=None,
    joint_units: list | None = None,
    villages: list | None = None,
    resident_unit_members: list | None = None,
) -> PartyOrg:
    """Create an organization of any kind and form under ``parent`` (None: a root), anchored
    to ``area``; the form's own fields and rules are ``organizations.shapes``'."""
    if parent is not None:
        parent = scope.get_visible(
            PartyOrg, actor, "organizations.manage", view_action="organizations.view", pk=parent.pk
        )
        shapes.assert_open(parent, _("在其下设立组织"))
    # ``actor=None``: the operator's own command (``dangjian createroot``), like area_create.
    area = (
        scope.get_visible(Area, actor, "territory.view", pk=area.pk)
        if actor is not None
        else Area.objects.get(pk=area.pk)
    )
    area_assert_open(area)  # a closed area is history: no new organization anchors there
    _check(parent, kind, form, domain, name)
    established_on = parse_date_field(established_on, field="established_on", label="成立日期")
    validate_date_in_range(
        established_on,
        field="established_on",
        label="成立日期",
        earliest=PARTY_FOUNDED,
        latest=timezone.localdate(),
    )
    details = {
        key: value
        for key, value in {
            "founding_full_members": founding_full_members,
            "project_name": project_name,
            "ends_on": ends_on,
            "joint_units": joint_units,
            "villages": villages,
            "resident_unit_members": resident_unit_members,
        }.items()
        if value is not None
    }
    shape = shapes.clean_shape(
        actor=actor,
        kind=kind,
        form=form,
        area=area,
        details=details,
        established_on=established_on,
    )
    if contact_phone:
        from dangjian.core.validators import validate_phone

        validate_phone(contact_phone)
    credit_code, credit_reason = clean_credit_code(
        credit_code, override=credit_code_override, override_reason=credit_code_override_reason
    )
    try:
        org = node_insert(
            PartyOrg,
            parent=parent,
            name=name.strip(),
            kind=kind,
            form=form,
            domain=domain,
            area=area,
            area_path=area.path,
            code=code,
            contact_phone=contact_phone,
            established_on=established_on,
            term_years=term_years,
            credit_code=credit_code,
            credit_code_override_reason=credit_reason,
            **shape.columns,
        )
    except tree.TreeError as exc:
        raise field_error("parent", str(exc)) from exc
    written = shapes.write_shape(org, shape)
    if actor is not None:
        scope.assert_visible(org, actor, "organizations.manage")
    audit.record(
        actor=actor, action="org.create", obj=org, after={**audit.snapshot(org), **written}
    )
    return org


@transaction.atomic
def org_update(*, actor, org: PartyOrg, **changes) -> PartyOrg:
    org = scope.get_visible(
        PartyOrg.objects.select_for_update(),
        actor,
        "organizations.manage",
        view_action="organizations.view",
        pk=org.pk,
    )
    shapes.assert_open(org, _("修改"))
    before = audit.snapshot(org)
    allowed = {
        "name",
        "code",
        "domain",
        "form",
        "contact_phone",
        "established_on",
        "term_years",
        "area",
    }
    credit = {k: changes.pop(k) for k in CREDIT_FIELDS if k in changes}
    details = {k: changes.pop(k) for k in shapes.DETAIL_KEYS if k in changes}
    unknown = set(changes) - allowed
    if unknown:
        raise field_error(sorted(unknown)[0], _("该字段不可修改"))
    if "established_on" in changes:
        changes["established_on"] = parse_date_field(
            changes["established_on"], field="established_on", label="成立日期"
        )
        validate_date_in_range(
            changes["established_on"],
            field="established_on",
            label="成立日期",
            earliest=PARTY_FOUNDED,
            latest=timezone.localdate(),
        )
    if credit:
        org.credit_code, org.credit_code_override_reason = clean_credit_code(
            credit.get("credit_code", org.credit_code),
            override=bool(credit.get("credit_code_override", False)),
            override_reason=credit.get(
                "credit_code_override_reason", org.credit_code_override_reason
            ),
        )
    if "area" in changes:
        area = scope.get_visible(Area, actor, "territory.view", pk=changes.pop("area").pk)
        area_assert_open(area)
        org.area, org.area_path = area, area.path
    for key in ("name", "code", "contact_phone"):
        if key in changes:
            # One-line text, never NULL in the table: null clears it, control characters go
            # (PostgreSQL refused a NUL and a null code alike with a 500).
            changes[key] = one_line(changes[key])
    for key, value in changes.items():
        setattr(org, key, value)
    parent = org.parent
    _check(parent, org.kind, org.form, org.domain, org.name)
    if "contact_phone" in changes and org.contact_phone:
        from dangjian.core.validators import validate_phone

        validate_phone(org.contact_phone)
    shape = shapes.clean_shape(
        actor=actor,
        kind=org.kind,
        form=org.form,
        area=org.area,
        details=details,
        org=org,
        established_on=org.established_on,
    )
    written = shapes.write_shape(org, shape)
    org.name = org.name.strip()
    org.pinyin = initials(org.name)
    org.save()
    scope.assert_visible(org, actor, "organizations.view")
    b, a = audit.diff(before, audit.snapshot(org))
    audit.record(actor=actor, action="org.update", obj=org, before=b, after={**a, **written})
    return org


@transaction.atomic
def org_move(*, actor, org: PartyOrg, new_parent: PartyOrg) -> PartyOrg:
    org = scope.get_visible(
        PartyOrg, actor, "organizations.manage", view_action="organizations.view", pk=org.pk
    )
    new_parent = scope.get_visible(
        PartyOrg, actor, "organizations.manage", view_action="organizations.view", pk=new_parent.pk
    )
    shapes.assert_open(org, _("移动"))
    shapes.assert_open(new_parent, _("在其下设立组织"))
    if new_parent.path.startswith(org.path):
        raise field_error("parent", _("不能把组织移动到它自身或其下级之下"))
    _check(new_parent, org.kind, org.form, org.domain, org.name)
    try:
        old, new = node_move(org, new_parent, tree_name="org")
    except tree.TreeError as exc:
        raise field_error("parent", str(exc)) from exc
    org.refresh_from_db()
    scope.assert_visible(org, actor, "organizations.view")
    audit.record(
        actor=actor,
        action="org.move",
        obj=org,
        before={"path": old},
        after={"path": new, "parent_id": new_parent.pk},
    )
    return org


# --- authority to approve member development ---------------------------------------------

AUTHORIZE_APPROVAL = "organizations.authorize_approval"
MAX_DOCUMENT_NO = 100


def _authorizable(actor, org: PartyOrg) -> PartyOrg:
    org = scope.get_visible(
        PartyOrg.objects.select_for_update(),
        actor,
        AUTHORIZE_APPROVAL,
        view_action="organizations.view",
        pk=org.pk,
    )
    if org.kind != OrgKind.WORKING_COMMITTEE:
        raise Conflict(
            _(
                "%(name)s是%(kind)s：只有街道党工委须经县级党委授权才能审批发展党员，"
                "党委的审批权按其所在区域的层级确定"
            )
            % {"name": org.name, "kind": org.get_kind_display()}
        )
    return org


@transaction.atomic
def org_approval_authorize(*, actor, org: PartyOrg, document_no, document_date) -> PartyOrg:
    """Record that the county committee authorized this street 党工委 to approve member
    development, with the authorizing document (县委组织部 only: ``organizations.authorize_approval``
    reaching the organization)."""
    org = _authorizable(actor, org)
    number = ("" if document_no is None else str(document_no)).strip()
    if not number:
        raise field_error("document_no", _("请填写县级党委授权文件的文号"))
    if len(number) > MAX_DOCUMENT_NO:
        raise field_error(
            "document_no", _("授权文件文号不能超过%(n)d个字") % {"n": MAX_DOCUMENT_NO}
        )
    day = parse_date_field(document_date, field="document_date", label=_("授权文件日期"))
    if day is None:
        raise field_error("document_date", _("请填写授权文件日期"))
    validate_date_in_range(
        day,
        field="document_date",
        label=_("授权文件日期"),
        earliest=PARTY_FOUNDED,
        latest=timezone.localdate(),
    )
    before = audit.snapshot(org)
    org.approval_authorized = True
    org.approval_document_no = number
    org.approval_document_date = day
    org.approval_authorized_by = actor if getattr(actor, "is_authenticated", False) else None
    org.approval_authorized_at = timezone.now()
    org.save(
        update_fields=[
            "approval_authorized",
            "approval_document_no",
            "approval_document_date",
            "approval_authorized_by",
            "approval_authorized_at",
            "updated_at",
        ]
    )
    b, a = audit.diff(before, audit.snapshot(org))
    audit.record(actor=actor, action="org.approval_authorize", obj=org, before=b, after=a)
    return org


@transaction.atomic
def org_approval_revoke(*, actor, org: PartyOrg) -> PartyOrg:
    """Withdraw the authorization: the 党工委 no longer approves member development.
    Withdrawing what is not authorized changes nothing and writes no audit row."""
    org = _authorizable(actor, org)
    if not org.approval_authorized:
        return org
    before = audit.snapshot(org)
    org.approval_authorized = False
    org.approval_document_no = ""
    org.approval_document_date = None
    org.approval_authorized_by = actor if getattr(actor, "is_authenticated", False) else None
    org.approval_authorized_at = timezone.now()
    org.save(
        update_fields=[
            "approval_authorized",
            "approval_document_no",
            "approval_document_date",
            "approval_authorized_by",
            "approval_authorized_at",
            "updated_at",
        ]
    )
    b, a = audit.diff(before, audit.snapshot(org))
    audit.record(actor=actor, action="org.approval_revoke", obj=org, before=b, after=a)
    return org
