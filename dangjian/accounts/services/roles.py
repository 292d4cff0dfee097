from __future__ import annotations

from django.db import transaction

from dangjian.accounts.models import (
    Grant,
    Role,
    grants_bump,
)
from dangjian.accounts.roles import ROLES


# --- roles ---------------------------------------------------------------------------------
def roles_sync() -> None:
    """Write the role table of ``accounts.roles`` into the database; the holders of a role
    that changed read their grants afresh (``grants_bump``, same transaction)."""
    with transaction.atomic():
        # Save only the roles that differ: each change makes every holder's grants be read
        # afresh.
        existing = {role.code: role for role in Role.objects.select_for_update()}
        changed = []
        for r in ROLES:
            values = {"name": r.name, "actions": list(r.actions), "reach": r.reach}
            role = existing.get(r.code)
            if role is None:
                Role.objects.create(code=r.code, **values)
            elif any(getattr(role, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(role, k, v)
                role.save()
                changed.append(role.pk)
        if changed:
            grants_bump(Grant.objects.filter(role_id__in=changed).values("user_id"))
