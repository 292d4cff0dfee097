"""Who is told: the accounts that hold an action at a node, for the services that raise
notifications (``core.notify``). Grants in force only, active accounts only.

``nearest_holders`` walks up the tree from a node and answers the holders at the deepest node
that has any (a branch without its own secretary's account is served by the committee above).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.models import Grant
from dangjian.accounts.roles import allows
from dangjian.core import tree


def _in_force():
    today = timezone.localdate()
    return (
        Grant.objects.filter(user__is_active=True)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("role")
    )


def department_holders(action: str, department_id: int | None) -> list[int]:
    """Accounts holding ``action`` on the department ``department_id``."""
    if not department_id:
        return []
    rows = _in_force().filter(department_id=department_id)
    return sorted({g.user_id for g in rows if allows(g.role.actions, action)})


def nearest_holders(action: str, *, path: str, tree_name: str = "area") -> list[int]:
    """Accounts holding ``action`` on the node at ``path`` or, failing that, on the nearest
    ancestor that has any (``tree_name``: "area" or "org")."""
    if not path:
        return []
    paths = [*tree.ancestors_of(path), path]
    field = "area__path__in" if tree_name == "area" else "org__path__in"
    node = "area" if tree_name == "area" else "org"
    rows = _in_force().select_related(node).filter(**{field: paths})
    by_path: dict[str, set[int]] = {}
    for g in rows:
        if allows(g.role.actions, action):
            by_path.setdefault(getattr(g, node).path, set()).add(g.user_id)
    for p in reversed(paths):
        if by_path.get(p):
            return sorted(by_path[p])
    return []
