"""Fingerprints for the territory tests: what a refused write must leave alone."""

from __future__ import annotations

from dangjian.core.models import AuditEntry
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


def snapshot() -> dict:
    from dangjian.accounts.models import User

    return {
        "areas": list(
            Area.objects.order_by("pk").values_list(
                "pk",
                "path",
                "parent_id",
                "child_count",
                "next_child",
                "name",
                "code",
                "households",
                "closed_on",
                "merged_into_id",
            )
        ),
        "orgs": list(PartyOrg.objects.order_by("pk").values_list("pk", "area_id", "area_path")),
        "users": list(User.objects.order_by("pk").values_list("pk", "area_id", "area_path")),
        "audit": AuditEntry.objects.count(),
    }
