"""Reads of the party tree for the API and the console: scoped through ``visible_to``."""

from __future__ import annotations

from dangjian.core import scope
from dangjian.core.crypto import mask
from dangjian.organizations import headcount, lifecycle
from dangjian.organizations.models import CoveredVillage, KindChange, OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import Area

VIEW = "organizations.view"


def fill_counts(items: list[dict]) -> list[dict]:
    """Each item's ``member_count`` and ``full_member_count`` (its subtree's members on the
    roll), one query per depth on the page."""
    counts = headcount.subtree_counts(i["path"] for i in items)
    for item in items:
        c = counts.get(item["path"], headcount.ZERO)
        item["member_count"], item["full_member_count"] = c.members, c.full
    return items


def org_get(user, pk: int, action: str = VIEW) -> PartyOrg:
    return scope.get_visible(PartyOrg.objects.select_related("area"), user, action, pk=pk)


def kind_changes(org: PartyOrg) -> list[dict]:
    labels = dict(OrgKind.choices)
    return [
        {
            "from_kind": c.from_kind,
            "from_kind_label": str(labels.get(c.from_kind, c.from_kind)),
            "to_kind": c.to_kind,
            "to_kind_label": str(labels.get(c.to_kind, c.to_kind)),
            "changed_on": c.changed_on,
            "reason": c.reason,
            "member_count": c.member_count,
            "full_member_count": c.full_member_count,
        }
        for c in KindChange.objects.filter(org=org)
    ]


def org_detail(user, org: PartyOrg, *, history: bool = True) -> dict:
    """What the detail shows beside the list's columns: the form's rows, the villages the
    user can see, the history of its kind, the masked phone and the size warnings."""
    count = headcount.headcount(org.path)
    # Each form keeps only its own rows (``shapes.write_shape`` clears the others'): read those.
    villages = []
    if org.form == OrgForm.CROSS_VILLAGE:
        villages = list(
            Area.objects.visible_to(user, "territory.view")
            .filter(pk__in=CoveredVillage.objects.filter(org=org).values("area_id"))
            .only("pk", "name", "path")
            .order_by("path")
        )
    joint_units = []
    if org.form == OrgForm.JOINT:
        joint_units = list(org.joint_units.values("name", "credit_code", "full_members"))
    resident = []
    if org.form in (OrgForm.STREET_JOINT, OrgForm.COMMUNITY_JOINT):
        resident = list(
            org.resident_unit_members.values(
                "unit_name", "person_name", "post", "full_time", "starts_on", "ends_on"
            )
        )
    return {
        "member_count": count.members,
        "full_member_count": count.full,
        "contact_phone": mask("phone", org.contact_phone),
        "joint_units": joint_units,
        "villages": [{"id": a.pk, "name": a.name} for a in villages],
        "resident_unit_members": resident,
        "kind_changes": kind_changes(org) if history else [],
        "warnings": lifecycle.org_warnings(org, count),
    }
