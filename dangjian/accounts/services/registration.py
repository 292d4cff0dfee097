"""Residents register themselves: the grid's invitation code (typed, or read from its QR
code) places them in the grid; the account waits, inactive and without grants, until the
grid worker (``accounts.confirm_resident`` over the grid) confirms it, which activates it
with the resident role, or rejects it with a reason, which removes the account. Each step is
audited."""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import (
    Grant,
    GridInvitation,
    Registration,
    RegistrationState,
    Role,
    User,
    UserKind,
    grants_bump,
)
from dangjian.accounts.services.people import one_time_password
from dangjian.core import audit, crypto, scope
from dangjian.core.conf import setting
from dangjian.core.errors import Conflict, field_error
from dangjian.core.validation import Errors, one_line
from dangjian.core.validators import validate_mobile
from dangjian.territory.models import Area, AreaKind

CONFIRM = "accounts.confirm_resident"
# Registrations waiting in one grid at most (``DANGJIAN["REGISTRATION_PENDING_MAX"]``): a code
# copied off a poster cannot fill the grid worker's list or reserve numbers without end.
PENDING_MAX = 200
# No 0/O, 1/I: typed from a poster on a notice board.
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_CHARS) for _ in range(CODE_LENGTH))
        if not GridInvitation.objects.filter(code=code).exists():
            return code


@transaction.atomic
def invitation_issue(*, actor, area: Area) -> GridInvitation:
    """A new invitation code for a grid (the old one, if any, stops working)."""
    area = scope.get_visible(
        Area.objects.select_for_update().defer("boundary"),
        actor,
        CONFIRM,
        view_action="territory.view",
        pk=area.pk,
    )
    if area.kind != AreaKind.GRID:
        raise field_error("area_id", _("邀请码只能生成在网格上"))
    old = list(GridInvitation.objects.select_for_update().filter(area=area, active=True))
    GridInvitation.objects.filter(pk__in=[i.pk for i in old]).update(active=False)
    inv = GridInvitation.objects.create(
        area=area, area_path=area.path, code=_new_code(), created_by=actor
    )
    audit.record(
        actor=actor,
        action="invitation.issue",
        obj=inv,
        before={"codes": [i.code for i in old]} if old else None,
        after={"code": inv.code, "area_id": area.pk},
    )
    return inv


def invitation_by_code(code: str) -> GridInvitation | None:
    code = one_line(code).upper().replace(" ", "")[:16]
    if not code:
        return None
    return GridInvitation.objects.select_related("area").filter(code=code, active=True).first()


@transaction.atomic
def registration_submit(*, code: str, name: str, phone: str, password: str) -> Registration:
    """A resident's registration from the phone page (no one signed in). The account is made
    inactive (user name: the mobile number) and waits for the grid worker."""
    errors = Errors()
    inv = invitation_by_code(code)
    if inv is None:
        errors.add("code", _("邀请码无效或已停用，请向网格员索取"))
    elif Registration.objects.filter(
        area_id=inv.area_id, state=RegistrationState.PENDING
    ).count() >= setting("REGISTRATION_PENDING_MAX", PENDING_MAX):
        errors.add("code", _("该网格待确认的注册申请过多，请联系网格员确认后再注册"))
    name = one_line(name)[:50]
    if not name:
        errors.add("name", _("请填写姓名"))
    phone = one_line(phone).replace(" ", "")
    try:
        validate_mobile(phone)
    except ValidationError as exc:
        errors.add("phone", exc.messages[0])
    if "phone" not in errors:
        index = crypto.blind_index("phone", phone)
        if (
            User.objects.filter(username=phone).exists()
            or User.objects.filter(phone_index=index).exists()
        ):
            errors.add("phone", _("该手机号码已注册，请直接登录或联系网格员"))
    if "phone" not in errors:
        try:
            password_validation.validate_password(password, User(username=phone))
        except ValidationError as exc:
            for m in exc.messages:
                errors.add("password", m)
    errors.check()
    user = User(
        username=phone,
        real_name=name,
        kind=UserKind.RESIDENT,
        is_active=False,
        area=inv.area,
        area_path=inv.area.path,
        phone=phone,
        phone_index=crypto.blind_index("phone", phone),
    )
    user.set_password(password)
    user.password_changed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # the same number registered at the same moment
        raise field_error("phone", _("该手机号码已注册，请直接登录或联系网格员")) from exc
    reg = Registration.objects.create(
        user=user,
        name=name,
        phone=phone,
        phone_index=user.phone_index,
        area=inv.area,
        area_path=inv.area.path,
        invitation=inv,
    )
    audit.record(
        actor=None,
        action="registration.submit",
        obj=reg,
        after={"name": name, "phone": crypto.mask("phone", phone), "area_id": inv.area_id},
    )
    return reg


@transaction.atomic
def registration_decide(
    *, actor, registration: Registration, confirm: bool, reason: str = ""
) -> Registration:
    """The grid worker confirms (the account becomes active with the resident role) or
    rejects (a reason is required; the account is removed) a pending registration."""
    reg = scope.get_visible(
        Registration.objects.select_for_update(), actor, CONFIRM, pk=registration.pk
    )
    if reg.state != RegistrationState.PENDING:
        raise Conflict(_("该注册申请已处理（%(state)s）") % {"state": reg.get_state_display()})
    reason = one_line(reason)[:200]
    if not confirm and not reason:
        raise field_error("reason", _("请填写退回原因"))
    user = User.objects.select_for_update().filter(pk=reg.user_id).first()
    reg.decided_by = actor
    reg.decided_at = timezone.now()
    if confirm:
        if user is None:
            raise Conflict(_("该注册申请的账号已不存在"))
        user.is_active = True
        user.save(update_fields=["is_active"])
        # The confirmation's own check (the worker's reach over the grid) stands for the
        # grant: a grid worker holds none of the resident's actions, which only reach oneself.
        Grant.objects.create(user=user, role=Role.objects.get(code="resident"), granted_by=actor)
        grants_bump(user)
        reg.state = RegistrationState.CONFIRMED
    else:
        reg.state = RegistrationState.REJECTED
        reg.reason = reason
        reg.user = None
        if user is not None and user.last_login is None:
            user.delete()
    reg.save()
    audit.record(
        actor=actor,
        action="registration.confirm" if confirm else "registration.reject",
        obj=reg,
        after={"state": reg.state, "reason": reason} if reason else {"state": reg.state},
    )
    return reg


def resident_account_open(
    *, actor, name: str, phone: str, area: Area, note: str
) -> tuple[User, str]:
    """An active resident account opened on someone's behalf (a rider registered at a grid
    station by the community): user name and encrypted mobile as a self-registration has them,
    the resident role, and a one-time password to hand over, which must be changed at the first
    login. The caller has checked its own reach over ``area``; the number must be free."""
    [(user, password)] = resident_accounts_open(
        actor=actor, people=[(name, phone, area)], note=note
    )
    return user, password


# One-time passwords are 12 random characters (≈ 71 bits): key stretching adds nothing against a
# guess of a random secret that large, and it would make a bulk import of 20,000 riders take
# hours. They are hashed with few PBKDF2 rounds; the login that uses one re-hashes it with the
# configured rounds (Django's ``must_update``), and the first login must change it anyway.
ONE_TIME_ROUNDS = 100


def _one_time_hash(password: str) -> str:
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_ROUNDS)
    return hasher.encode(password, hasher.salt())


@transaction.atomic
def resident_accounts_open(
    *, actor, people: list[tuple[str, str, Area]], note: str
) -> list[tuple[User, str]]:
    """``resident_account_open`` for many people at once (a bulk import): each (name, mobile,
    area) gets the same account, resident role, audit row and one-time password, written in a
    few statements. The caller has checked its reach and that the numbers are free."""
    now = timezone.now()
    opened = []
    for name, phone, area in people:
        password = one_time_password()
        user = User(
            username=phone,
            real_name=one_line(name)[:50],
            kind=UserKind.RESIDENT,
            area=area,
            area_path=area.path,
            password=_one_time_hash(password),
            password_changed_at=now,
            must_change_password=True,
            phone=phone,
            phone_index=crypto.blind_index("phone", phone),
        )
        opened.append((user, password))
    # SQLite (3.35+) and PostgreSQL answer the new keys of a bulk insert.
    users = User.objects.bulk_create([u for u, _p in opened], batch_size=500)
    resident_grants_add(actor=actor, users=users)
    audit.record_many(
        actor=actor,
        action="user.create",
        rows=(
            {"obj": u, "after": audit.snapshot(u), "note": note, "area_path": u.area_path}
            for u in users
        ),
    )
    return opened


@transaction.atomic
def resident_grants_add(*, actor, users: list[User]) -> None:
    """The resident role for many new resident accounts at once, as a confirmed registration
    gives it (one insert; every holder's grants re-read). The caller has checked its reach: a
    bulk opening of accounts (``resident_accounts_open``), or the operator's own demo data
    (``actor`` None)."""
    role = Role.objects.get(code="resident")
    Grant.objects.bulk_create(
        [Grant(user=u, role=role, granted_by=actor) for u in users], batch_size=1000
    )
    grants_bump([u.pk for u in users])
