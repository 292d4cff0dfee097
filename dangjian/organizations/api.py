from django.utils.translation import get_language
from ninja import Router, Schema

from dangjian.core.choices import label
from dangjian.core.treeapi import add_tree_routes, labels
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


# The children list reads these columns as tuples (``core.treeapi.children_page``).
ORG_FIELDS = (
    "id",
    "name",
    "kind",
    "form",
    "domain",
    "path",
    "parent_id",
    "child_count",
    "area_id",
    "area__name",
)


def org_rows_out(rows: list[tuple]) -> list[dict]:
    """``org_out`` of rows of ``ORG_FIELDS``; labels looked up once per page."""
    language = get_language()
    kinds, forms = labels(OrgKind, language), labels(OrgForm, language)
    domains = labels(OrgDomain, language)
    return [
        {
            "id": r[0],
            "name": r[1],
            "kind": r[2],
            "kind_label": kinds.get(r[2], r[2]),
            "form": r[3],
            "form_label": forms.get(r[3], r[3]),
            "domain": r[4],
            "domain_label": domains.get(r[4], r[4]),
            "path": r[5],
            "parent_id": r[6],
            "child_count": r[7],
            "area_id": r[8],
            "area_name": r[9],
        }
        for r in rows
    ]


router = Router(tags=["党组织"])
add_tree_routes(
    router,
    PartyOrg,
    "organizations.view",
    OrgOut,
    org_out,
    select_related=("area",),
    defer=("contact_phone", "area__boundary"),
    fields=ORG_FIELDS,
    rows=org_rows_out,
)
