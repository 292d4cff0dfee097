"""Accounts' to-dos (``core.todo``): residents' self-registrations waiting in one's grids
(``accounts.confirm_resident``: the grid worker of the grid, the community above it)."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Length
from django.urls import reverse

from dangjian.accounts.models_registration import Registration, RegistrationState
from dangjian.accounts.services.registration import CONFIRM
from dangjian.core import scope, todo, tree

KEY = "accounts.registration"


def _pending(user):
    q = Q(pk__in=[])
    for p in scope.reach_of(user, CONFIRM).area_paths:
        q |= tree.subtree_q("area_path", p) & Q(area_len__lte=len(p) + tree.STEP_WIDTH)
    return (
        Registration.objects.visible_to(user, CONFIRM)
        .filter(state=RegistrationState.PENDING)
        .annotate(area_len=Length("area_path"))
        .filter(q)
    )


def items(user):
    rows = _pending(user).select_related("area").only("pk", "name", "area__name", "created_at")
    url = reverse("console:accounts:registrations")
    phone = reverse("portal:registrations")
    return [
        todo.Todo(
            source=KEY,
            title="确认居民注册",
            subject=f"{r.name} · {r.area.name}",
            url=url,
            object_id=r.pk,
            due=None,
            extra={"phone_url": phone},
        )
        for r in rows.order_by("created_at", "id")[:200]
    ]


def count(user) -> int:
    return _pending(user).count()


def declare() -> None:
    todo.declare(KEY, label="待确认的居民注册", items=items, count=count, module="系统管理")
