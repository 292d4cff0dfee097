from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "dangjian.members"
    label = "members"
    verbose_name = "党员"

    def ready(self):
        from dangjian.members import orgsize
        from dangjian.organizations.headcount import register_counter

        register_counter(subtree=orgsize.subtree_counts, attached=orgsize.attached)
        from dangjian.core.treemodel import register_path_copy
        from dangjian.members.models import (
            CommunityCheckin,
            Member,
            MemberTransfer,
            MobileRegistration,
            UnitRole,
        )

        register_path_copy(Member, "org_path", "org")
        register_path_copy(Member, "area_path", "area")
        register_path_copy(CommunityCheckin, "area_path", "area")
        register_path_copy(MemberTransfer, "from_org_path", "org")
        register_path_copy(MemberTransfer, "to_org_path", "org")
        register_path_copy(MobileRegistration, "host_org_path", "org")
        register_path_copy(UnitRole, "area_path", "area")
        from dangjian.territory.closing import register_close_blocker

        register_close_blocker(living_members)
        from dangjian.members import todos

        todos.declare()


def living_members(*, path: str) -> str | None:
    """What keeps an area from closing (``territory.closing``): members living there who are
    still on the roll (not removed, not deceased)."""
    from dangjian.core import tree
    from dangjian.members.models import Member, Status

    n = (
        Member.objects.filter(tree.subtree_q("area_path", path))
        .exclude(status__in=(Status.REMOVED, Status.DECEASED))
        .count()
    )
    return f"居住在此的在册党员{n}名" if n else None
