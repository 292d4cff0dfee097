"""Who approves an admission or a confirmation (DOMAIN.md, Member development).

Only a grassroots 党委 approves: not a 党总支 or branch, not a temporary organization, and not
a 党委 at village or community level, recognised by the level of the area it serves (not by
its sector: a township 党委 in 农村 approves, a village 党委 does not). A street 党工委
approves only where the county committee authorized it (``PartyOrg.approval_authorized``, set
with the document by ``organizations.services.org_approval_authorize``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dangjian.core import tree
from dangjian.organizations.models import OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import LEVEL_OF, AreaKind

if TYPE_CHECKING:
    from dangjian.development.models import Applicant

VILLAGE_LEVEL = LEVEL_OF[AreaKind.VILLAGE]
APPROVER_FIELDS = (
    "id",
    "name",
    "path",
    "kind",
    "form",
    "approval_authorized",
    "area",
    "area__name",
    "area__kind",
    "area__level",
)


def approver_refusal(org: PartyOrg) -> str:
    """Why ``org`` may not approve an admission or a confirmation ("" when it may).

    A grassroots 党委 approves; a 党委 at village or community level does not, recognised by
    the level of the area it serves (not its sector: a township 党委 in 农村 approves). A street
    党工委 approves only with the county committee's recorded authorization."""
    if org.form == OrgForm.TEMPORARY:
        return f"{org.name}是临时党组织，临时党组织无权审批发展党员"
    if org.kind == OrgKind.WORKING_COMMITTEE:
        if org.approval_authorized:
            return ""
        return f"{org.name}是党工委，未经县级党委授权，无权审批发展党员"
    if org.kind != OrgKind.COMMITTEE:
        kind = OrgKind(org.kind).label if org.kind in OrgKind.values else org.kind
        return f"{org.name}是{kind}，只有党委有权审批发展党员（党总支、党支部无审批权）"
    if org.area.level >= VILLAGE_LEVEL:
        return (
            f"{org.name}是村(社区)一级党委（所在区域{org.area.name}为"
            f"{AreaKind(org.area.kind).label if org.area.kind in AreaKind.values else org.area.kind}），"
            "村(社区)党委无权审批发展党员"
        )
    return ""


def approver_candidates(paths):
    """The organizations at ``paths`` with what ``approver_refusal`` reads (nearest first)."""
    return (
        PartyOrg.objects.filter(path__in=paths)
        .select_related("area")
        .only(*APPROVER_FIELDS)
        .order_by("-path")
    )


def approvers_for(a: Applicant) -> list[PartyOrg]:
    """The organizations above the applicant's that may approve (nearest first)."""
    return [
        o for o in approver_candidates(tree.ancestors_of(a.org_path)) if not approver_refusal(o)
    ]
