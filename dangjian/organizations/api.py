from ninja import Router, Schema

from dangjian.core.choices import label
from dangjian.core.treeapi import add_tree_routes
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg


class OrgOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    form: str
    form_label: str
    domain: str
    domain_label: str
    path: str
    parent_id: int | None
    child_count: int
    area_id: int
    area_name: str


def org_out(o: PartyOrg) -> dict:
    return {
        "id": o.pk,
        "name": o.name,
        "kind": o.kind,
        "kind_label": label(OrgKind, o.kind),
        "form": o.form,
        "form_label": label(OrgForm, o.form),
        "domain": o.domain,
        "domain_label": label(OrgDomain, o.domain),
        "path": o.path,
        "parent_id": o.parent_id,
        "child_count": o.child_count,
        "area_id": o.area_id,
        "area_name": o.area.name,
    }


router = Router(tags=["党组织"])
add_tree_routes(
    router,
    PartyOrg,
    "organizations.view",
    OrgOut,
    org_out,
    select_related=("area",),
    defer=("contact_phone", "area__boundary"),
)
