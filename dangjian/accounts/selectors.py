"""Reads of accounts, scoped: users, their grants, what they reach and why, departments."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.models import Department, Grant, User
from dangjian.accounts.roles import ACTION_LABELS, expand_actions
from dangjian.core import crypto, scope
from dangjian.core.validation import one_line
from dangjian.territory.models import Area


def user_list(actor, *, q: str = "", kind: str = "", area=None, active: bool | None = None):
    """Users visible to ``actor`` (accounts.view), filtered; ``area`` (an id) limits to its
    subtree (404 when it is not visible)."""
    qs = (
        User.objects.visible_to(actor, "accounts.view")
        .select_related("area", "department")
        .defer("area__boundary")
        .order_by("area_path", "username")
    )
    q = one_line(q)[:50]
    if q:
        term = Q(username__icontains=q) | Q(real_name__icontains=q)
        if q.isdigit() and len(q) == 11:
            term |= Q(phone_index=crypto.blind_index("phone", q))
        qs = qs.filter(term)
    if kind:
        qs = qs.filter(kind=kind)
    if area is not None:
        node = scope.get_visible(Area.objects.defer("boundary"), actor, "territory.view", pk=area)
        qs = qs.filter(area_path__gte=node.path, area_path__lt=node.path_end)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def user_get(actor, pk: int) -> User:
    return scope.get_visible(
        User.objects.select_related("area", "department").defer("area__boundary"),
        actor,
        "accounts.view",
        pk=pk,
    )


def user_grants(user: User):
    """Every grant of ``user`` (in force or past its end date), nodes loaded."""
    return (
        Grant.objects.filter(user=user)
        .select_related("role", "area", "org", "department", "granted_by")
        .defer("area__boundary")
        .order_by("id")
    )


def grant_node(g: Grant) -> tuple[str | None, object]:
    if g.area_id:
        return "area", g.area
    if g.org_id:
        return "org", g.org
    if g.department_id:
        return "department", g.department
    return None, None


def grant_in_force(g: Grant, today=None) -> bool:
    return g.ends_on is None or g.ends_on >= (today or timezone.localdate())


def reach_explained(user: User) -> list[dict]:
    """Each action ``user`` may take, where, and the grant that gives it (the "why"):
    ``[{"action", "label", "places": [{"grant", "node_type", "node", "role"}]}]``. Grants
    past their end date give nothing; an inactive account reaches nothing."""
    if not user.is_active:
        return []
    today = timezone.localdate()
    by_action: dict[str, list[dict]] = {}
    for g in user_grants(user):
        if not grant_in_force(g, today):
            continue
        node_type, node = grant_node(g)
        if g.role.reach == "self":
            node_type = "self"
        for action in expand_actions(g.role.actions):
            by_action.setdefault(action, []).append(
                {"grant": g, "node_type": node_type, "node": node, "role": g.role}
            )
    order = {a: i for i, a in enumerate(ACTION_LABELS)}
    return [
        {"action": a, "label": ACTION_LABELS.get(a, a), "places": places}
        for a, places in sorted(by_action.items(), key=lambda kv: order.get(kv[0], 10_000))
    ]


def grant_get(actor, pk: int) -> Grant:
    """A grant whose holder is visible to ``actor`` (accounts.view)."""
    grant = Grant.objects.select_related("user", "role").filter(pk=pk).first()
    if grant is None:
        from django.http import Http404

        raise Http404("未找到")
    scope.get_visible(User, actor, "accounts.view", pk=grant.user_id)
    return grant


def department_list(actor, *, q: str = "", area=None):
    qs = Department.objects.visible_to(actor, "accounts.view").order_by("area_path", "name")
    q = one_line(q)[:50]
    if q:
        qs = qs.filter(name__icontains=q)
    if area is not None:
        node = scope.get_visible(Area.objects.defer("boundary"), actor, "territory.view", pk=area)
        qs = qs.filter(area_path__gte=node.path, area_path__lt=node.path_end)
    return qs


def department_get(actor, pk: int) -> Department:
    return scope.get_visible(Department, actor, "accounts.view", pk=pk)
