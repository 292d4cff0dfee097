from __future__ import annotations

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
        Area, on_delete=models.PROTECT, related_name="departments", verbose_name=_("服务区域")
    )
    area_path = PathField(_("区域路径"), db_index=True)
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


class UserKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    DEPARTMENT = "department", _("部门人员")
    MEMBER = "member", _("党员")
    RESIDENT = "resident", _("群众")


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


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

    # --- data scope -------------------------------------------------------------------
    def _grant_rows(self) -> list[tuple]:
        rows = self.__dict__.get("_grant_rows_cache")
        if rows is None:
            rows = list(
                Grant.objects.filter(user_id=self.pk).values_list(
                    "role__actions", "role__reach", "area__path", "org__path", "department_id"
                )
            )
            self.__dict__["_grant_rows_cache"] = rows
        return rows

    def reach(self, action: str) -> Reach:
        if not self.is_active or not self.pk:
            return NO_REACH
        cache = self.__dict__.setdefault("_reach_cache", {})
        if action in cache:
            return cache[action]
        areas, orgs, depts, own = [], [], [], None
        for actions, reach, area_path, org_path, dept_id in self._grant_rows():
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
        self.__dict__.pop("_grant_rows_cache", None)
        self.__dict__.pop("_reach_cache", None)


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
