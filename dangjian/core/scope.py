"""Data scope: the one way to read scoped rows.

``Model.objects.visible_to(user, action)`` is the OR of the user's reach for that action:
subtrees of either tree, oneself, and one's departments. The kernel knows no app: the user
object answers ``reach(action)`` and each scoped model declares which of its fields answer
each kind of reach in ``scope_fields``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import Http404

from dangjian.core import tree


@dataclass(frozen=True)
class Reach:
    """What a user may see for one action."""

    area_paths: tuple[str, ...] = ()
    org_paths: tuple[str, ...] = ()
    user_id: int | None = None
    department_ids: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.area_paths or self.org_paths or self.user_id or self.department_ids)


NO_REACH = Reach()


@dataclass(frozen=True)
class ScopeFields:
    """Which fields of a model answer each kind of reach (None: that kind does not apply)."""

    area: str | None = None
    org: str | None = None
    own: str | None = None
    department: str | None = None
    extra: dict = field(default_factory=dict)


class ScopeError(Exception):
    pass


def reach_of(user, action: str) -> Reach:
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_REACH
    return user.reach(action)


def scope_q(model, user, action: str, prefix: str = "") -> models.Q | None:
    """The filter for ``model`` rows visible to ``user`` for ``action``; None means nothing.

    ``prefix`` applies the same filter through a relation (``"parent__"``).
    """
    fields: ScopeFields | None = getattr(model, "scope_fields", None)
    if fields is None:
        raise ScopeError(f"{model.__name__} declares no scope_fields")
    reach = reach_of(user, action)
    if prefix:
        fields = ScopeFields(
            area=fields.area and prefix + fields.area,
            org=fields.org and prefix + fields.org,
            own=fields.own and prefix + fields.own,
            department=fields.department and prefix + fields.department,
        )
    q = models.Q()
    matched = False
    if fields.area and reach.area_paths:
        for start, end in tree.merge_ranges(list(reach.area_paths)):
            q |= models.Q(**{f"{fields.area}__gte": start, f"{fields.area}__lt": end})
            matched = True
    if fields.org and reach.org_paths:
        for start, end in tree.merge_ranges(list(reach.org_paths)):
            q |= models.Q(**{f"{fields.org}__gte": start, f"{fields.org}__lt": end})
            matched = True
    if fields.own and reach.user_id:
        q |= models.Q(**{fields.own: reach.user_id})
        matched = True
    if fields.department and reach.department_ids:
        q |= models.Q(**{f"{fields.department}__in": list(reach.department_ids)})
        matched = True
    return q if matched else None


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str):
        q = scope_q(self.model, user, action)
        if q is None:
            return self.none()
        return self.filter(q)

    def topmost_visible_to(self, user, action: str):
        """Visible rows whose parent is not visible: where a user's tree begins."""
        visible = self.visible_to(user, action)
        parent_q = scope_q(self.model, user, action, prefix="parent__")
        if parent_q is None:
            return visible
        return visible.filter(models.Q(parent__isnull=True) | ~parent_q)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class Forbidden(Exception):
    """Visible to the user but not allowed for the action (HTTP 403)."""

    def __init__(self, message: str = "您没有执行此操作的权限"):
        super().__init__(message)
        self.message = message


def get_visible(model_or_qs, user, action: str, *, view_action: str | None = None, **lookup):
    """The row for ``lookup`` if ``user`` may do ``action`` on it.

    Not visible at all (for ``view_action``) → Http404; visible but ``action`` not allowed →
    Forbidden. Out of scope always reads as absent.
    """
    qs: Any = model_or_qs if isinstance(model_or_qs, models.QuerySet) else model_or_qs.objects.all()
    try:
        return qs.visible_to(user, action).get(**lookup)
    except qs.model.DoesNotExist:
        pass
    if (
        view_action
        and view_action != action
        and qs.visible_to(user, view_action).filter(**lookup).exists()
    ):
        raise Forbidden()
    raise Http404("未找到")


def is_visible(obj, user, action: str) -> bool:
    return type(obj)._default_manager.visible_to(user, action).filter(pk=obj.pk).exists()


def assert_visible(obj, user, action: str) -> None:
    """Services call this inside their transaction after writing."""
    if not is_visible(obj, user, action):
        raise Http404("未找到")
