from __future__ import annotations

import secrets
import threading

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.roles import allows
from dangjian.core.crypto import EncryptedField
from dangjian.core.scope import NO_REACH, Reach, ScopedQuerySet, ScopeFields
from dangjian.core.tree import PathField
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


class Department(models.Model):
    """A handling department (职能部门) serving an Area."""

    name = models.CharField(_("名称"), max_length=100)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="departments", verbose_name=_("所在区域")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    # The areas whose events the department handles (events in any of their subtrees may be
    # dispatched to it); ``area`` stays its home, which scopes the department itself. None
    # listed: it serves its home area (``accounts.departments.served_paths``).
    served_areas = models.ManyToManyField(
        Area, related_name="served_by", blank=True, verbose_name=_("服务区域")
    )
    phone = EncryptedField(_("联系电话"), pii_kind="phone", blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_fields = ScopeFields(area="area_path", department="id")

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["area_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="department_unique_name_per_area")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name with the areas served (``accounts.labels``), e.g. 环卫所（城厢区·龙桥街道）;
        one query. For many departments use ``labels.department_labels``."""
        from dangjian.accounts.labels import department_label

        return department_label(self)


class UserKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    DEPARTMENT = "department", _("部门人员")
    MEMBER = "member", _("党员")
    RESIDENT = "resident", _("群众")


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


def new_grants_version() -> int:
    """A fresh value for ``User.grants_version``.

    Random, not a counter: a rolled-back transaction (a test, a failed request) can hand the
    same user id out again, and a counter would then repeat (id, version) pairs whose cached
    grants belong to the user that was rolled back.
    """
    return secrets.randbits(62) + 1


class _GrantCache:
    """Each user's grant rows, and the Reach worked out from them, kept across requests.

    Keyed by user id; an entry is good only for the ``grants_version`` it was read under.
    The version sits on the user row, which authentication reads anyway, so a request whose
    user's grants have not changed reads no grant row at all; ``grants_bump`` writes a new
    version whenever grants, roles or the paths of granted nodes change, and the next
    request that loads the user row sees the new version and reads the grants afresh.
    """

    MAX_USERS = 20_000

    def __init__(self):
        self._entries: dict[int, tuple[int, list[tuple], dict]] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int, version: int):
        entry = self._entries.get(user_id)
        if entry is not None and entry[0] == version and _entry_current(entry):
            return entry
        return None

    def put(self, user_id: int, version: int, rows: list[tuple], stale_on=None):
        entry = (version, rows, {}, stale_on)
        with self._lock:
            if len(self._entries) >= self.MAX_USERS:
                self._entries.clear()
            self._entries[user_id] = entry
        return entry

    def forget(self, user_id: int | None = None) -> None:
        with self._lock:
            if user_id is None:
                self._entries.clear()
            else:
                self._entries.pop(user_id, None)


GRANT_CACHE = _GrantCache()


def _entry_current(entry) -> bool:
    """Whether a cached grant entry is still good today: an entry read while a grant with an
    end date was in force goes stale the day after the earliest such end date."""
    stale_on = entry[3]
    return stale_on is None or timezone.localdate() < stale_on


def live_grant_rows(found: list[tuple], today=None) -> tuple[list[tuple], object]:
    """The rows of grants in force ``today`` (an end date is the last day a grant gives
    reach), without their end date, and the first day on which that answer goes stale."""
    import datetime as dt

    today = today or timezone.localdate()
    rows, ends = [], []
    for row in found:
        ends_on = row[-1]
        if ends_on is not None:
            if ends_on < today:
                continue
            ends.append(ends_on)
        rows.append(row[:-1])
    return rows, (min(ends) + dt.timedelta(days=1)) if ends else None


class User(AbstractUser):
    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    kind = models.CharField(
        _("账号类型"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF
    )
    phone = EncryptedField(_("手机号码"), pii_kind="phone", blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # The node the account belongs to: a staff member's office, a resident's unit.
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属区域"),
    )
    area_path = PathField(_("区域路径"), blank=True, db_index=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("所属部门"),
    )
    failed_logins = models.PositiveSmallIntegerField(_("连续失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    totp_secret = models.CharField(max_length=200, blank=True, editable=False)
    totp_enabled = models.BooleanField(_("已启用双因素认证"), default=False)
    # --- login security (issue 14, accounts.services.login) ---
    # Set for a one-time password (a supervisor's reset, ``user_reset_password``; a new or
    # imported account), or when the demo password is used outside demo mode: nothing but the
    # password change is open until it is changed (``services.password_change_required``).
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # The TOTP time step of the last accepted code: a code is accepted once.
    totp_last_counter = models.BigIntegerField(null=True, blank=True, editable=False)
    # Part of the session hash (``_get_session_auth_hash``): "sign out everywhere" bumps it and
    # every session signed in before ends.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    # Changes whenever what this user may reach changes (``services.grants_bump``): the key
    # of the grants kept across requests (``GRANT_CACHE``).
    grants_version = models.BigIntegerField(default=new_grants_version, editable=False)

    objects = ScopedUserManager()
    scope_fields = ScopeFields(area="area_path", own="id")

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())

    def _get_session_auth_hash(self, secret=None):
        # Django's is an HMAC of the password hash; with the epoch in it, "sign out
        # everywhere" (``accounts.services.sessions_end``) ends every session at once.
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "dangjian.accounts.User.session",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    # --- data scope -------------------------------------------------------------------
    def _grant_entry(self) -> tuple:
        """(version, grant rows, reach by action, stale on): this request's, else the
        process's. Grants past their end date (``Grant.ends_on``) give nothing, and an entry
        read while one was in force is read afresh once it has ended."""
        entry = self.__dict__.get("_grants_cached")
        if entry is not None and not _entry_current(entry):
            entry = None
        if entry is None:
            entry = GRANT_CACHE.get(self.pk, self.grants_version)
            if entry is None:
                # The version and the grants in one statement, so they belong together: the
                # entry is kept under the version read here, never under this instance's
                # (which may be older, or bumped by a transaction that is then rolled back).
                found = list(
                    User.objects.filter(pk=self.pk).values_list(
                        "grants_version",
                        "grants__role__actions",
                        "grants__role__reach",
                        "grants__area__path",
                        "grants__org__path",
                        "grants__department_id",
                        "grants__ends_on",
                    )
                )
                rows, stale_on = live_grant_rows([r[1:] for r in found if r[1] is not None])
                entry = (found[0][0], rows, {}, stale_on) if found else (None, rows, {}, None)
                if found:
                    entry = GRANT_CACHE.put(self.pk, found[0][0], rows, stale_on)
            self.__dict__["_grants_cached"] = entry
        return entry

    def _grant_rows(self) -> list[tuple]:
        return self._grant_entry()[1]

    @property
    def phone_only(self) -> bool:
        """A resident or member working from the phone only: of those kinds, holding no grant
        beyond oneself (the console sends such an account to its phone home)."""
        if self.kind not in (UserKind.MEMBER, UserKind.RESIDENT):
            return False
        return all(row[1] == "self" for row in self._grant_rows())

    def reach(self, action: str) -> Reach:
        if not self.is_active or not self.pk:
            return NO_REACH
        _version, rows, cache, _stale_on = self._grant_entry()
        result = cache.get(action)
        if result is not None:
            return result
        areas, orgs, depts, own = [], [], [], None
        for actions, reach, area_path, org_path, dept_id in rows:
            if not allows(actions, action):
                continue
            if reach == "self":
                own = self.pk
            elif reach == "department" and dept_id:
                depts.append(dept_id)
            elif area_path:
                areas.append(area_path)
            elif org_path:
                orgs.append(org_path)
        result = Reach(tuple(areas), tuple(orgs), own, tuple(depts))
        cache[action] = result
        return result

    def can(self, action: str) -> bool:
        """Whether any grant allows ``action`` somewhere (menus, buttons)."""
        return not self.reach(action).empty

    def forget_grants(self) -> None:
        """Read this user's grants afresh on the next ``reach`` (here and in the process)."""
        self.__dict__.pop("_grants_cached", None)
        if self.pk:
            GRANT_CACHE.forget(self.pk)


# A cache key, not a fact about the user: left out of audit snapshots.
User._meta.get_field("grants_version").audit_exclude = True
User._meta.get_field("totp_last_counter").audit_exclude = True
User._meta.get_field("session_epoch").audit_exclude = True


class Role(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    actions = models.JSONField(_("权限"), default=list)
    reach = models.CharField(_("范围类型"), max_length=16, default="subtree")

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Grant(models.Model):
    """A role held on a node of either tree, on a department, or on oneself."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="grants", verbose_name=_("用户")
    )
    role = models.ForeignKey(
        Role, on_delete=models.PROTECT, related_name="grants", verbose_name=_("角色")
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("区域"),
    )
    org = models.ForeignKey(
        PartyOrg,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("党组织"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("部门"),
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    # The last day the grant gives reach (inclusive); None: until revoked.
    ends_on = models.DateField(_("截止日期"), null=True, blank=True)
    granted_by = models.ForeignKey(
        "User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("授权人"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_fields = ScopeFields(area="user__area_path", own="user_id")

    class Meta:
        verbose_name = _("授权")
        verbose_name_plural = _("授权")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(area__isnull=True, org__isnull=True)
                    | models.Q(area__isnull=True, department__isnull=True)
                    | models.Q(org__isnull=True, department__isnull=True)
                ),
                name="grant_at_most_one_node",
            ),
        ]

    def __str__(self) -> str:
        node = self.area or self.org or self.department
        return f"{self.role}@{node}" if node else str(self.role)


class ApiToken(models.Model):
    """An opaque API token; only its SM3 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.user_id}:{self.digest[:8]}"


# --- keeping GRANT_CACHE true -------------------------------------------------------------
# No signals: whatever changes what a user reaches bumps the version itself, in its own
# transaction. The services that write grants and roles (``accounts.services``: grant_add,
# grant_revoke, grants_bulk_add, roles_sync) call ``grants_bump``; a subtree move calls
# ``grants_moved`` through the move hook accounts registers with ``core.treemodel``
# (``AccountsConfig.ready``), because the tree services sit below accounts.
def grants_bump(users=None) -> None:
    """Give ``users`` (a User, an iterable of ids, a queryset of ids; None: everyone) a new
    ``grants_version``, so every process reads their grants afresh on the next request.

    Call inside the transaction that changes what they reach: nothing else does it (no
    signals), so a writer of grants or roles that does not go through ``accounts.services``
    (a data migration, a bulk write) must call it.
    """
    from django.db import transaction

    version = new_grants_version()
    if users is None:
        User.objects.update(grants_version=version)
        GRANT_CACHE.forget()
        transaction.on_commit(GRANT_CACHE.forget)
        return
    if isinstance(users, User):
        users.grants_version = version
        users.__dict__.pop("_grants_cached", None)
        users = [users.pk]
    if isinstance(users, models.QuerySet):
        User.objects.filter(pk__in=users).update(grants_version=version)
        # Which users they were is not known without a query: forget everyone here.
        GRANT_CACHE.forget()
        transaction.on_commit(GRANT_CACHE.forget)
        return
    ids = [int(pk) for pk in users]
    if not ids:
        return
    User.objects.filter(pk__in=ids).update(grants_version=version)

    def forget(ids=ids):
        for pk in ids:
            GRANT_CACHE.forget(pk)

    forget()
    transaction.on_commit(forget)


def grants_moved(*, tree_name: str, old: str, new: str) -> None:
    """The move hook (``core.treemodel.register_move_hook``): paths under ``new`` were
    rewritten, so users holding grants on nodes there reach other paths."""
    from dangjian.core import tree

    node = "area" if tree_name == "area" else "org"
    grants_bump(
        Grant.objects.filter(
            **{f"{node}__path__gte": new, f"{node}__path__lt": tree.path_end(new)}
        ).values("user_id")
    )


# Failed-login throttling (login security, issue 14): its own module, imported here so Django
# finds the model.
# Residents' self-registration (invitations per grid, registrations awaiting the grid worker).
from dangjian.accounts.models_registration import (  # noqa: E402,F401
    GridInvitation,
    Registration,
    RegistrationState,
)
from dangjian.accounts.throttle import LoginThrottle  # noqa: E402,F401
