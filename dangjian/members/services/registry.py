"""Writes of the member's file (党员电子档案): create, update, photo, and the area checks that
cadres and unit roles share."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.accounts.models import User, UserKind
from dangjian.core import audit, crypto, scope, tree
from dangjian.core.errors import Conflict
from dangjian.core.pinyin import initials
from dangjian.core.validation import Errors, clean_text
from dangjian.members.models import (
    Member,
    MemberCategory,
    MemberTransfer,
    Status,
    TransferKind,
    TransferState,
)
from dangjian.members.services.fields import (
    ACTIVE_STATUSES,
    OWN_FIELDS,
    PHOTO_MAX_BYTES,
    RESIDENCE_MIN_LEVEL,
    _as_date,
    _check_duplicate,
    _is_user,
    clean_member_fields,
)
from dangjian.members.services.transfers import _step
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


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
    if found.dissolved_on is not None:
        raise ValidationError({"org": [f"{found.name}已撤销，不能接收党员"]})
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


def suspension_start(status: str, current):
    """The suspension date of a file written with ``status``: kept, else today for a file
    that is (or becomes) suspended, none for any other status — so the 2-year count of a
    suspended member (DOMAIN.md) always has its start, whatever wrote the file."""
    if status != Status.SUSPENDED:
        return None
    return current or timezone.localdate()


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
    member.suspended_on = suspension_start(member.status, None)
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
    member.suspended_on = suspension_start(member.status, None)
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
    letter, from_name = clean_text(transfer_letter_number), clean_text(transfer_from_name)
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
