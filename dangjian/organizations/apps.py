from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "dangjian.organizations"
    label = "organizations"
    verbose_name = "党组织"

    def ready(self):
        from dangjian.core.treemodel import register_path_copy
        from dangjian.organizations.models import PartyOrg

        register_path_copy(PartyOrg, "area_path", "area")
        from dangjian.territory.closing import register_close_blocker

        register_close_blocker(open_orgs)


def open_orgs(*, path: str) -> str | None:
    """What keeps an area from closing (``territory.closing``): party organizations anchored
    there that are not dissolved (a ``dissolved_on`` date, once the party tree records one)."""
    from dangjian.core import tree
    from dangjian.organizations.models import PartyOrg

    qs = PartyOrg.objects.filter(tree.subtree_q("area_path", path))
    if any(f.name == "dissolved_on" for f in PartyOrg._meta.get_fields()):
        qs = qs.filter(dissolved_on__isnull=True)
    n = qs.count()
    return f"未撤销的党组织{n}个" if n else None
