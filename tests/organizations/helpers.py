"""Builders for the party-tree tests."""

from __future__ import annotations

import datetime as dt
import itertools

from dangjian.members.models import Member
from dangjian.organizations import services
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind

_seq = itertools.count(1)


def people(org, n: int, *, status: str = "full") -> list[Member]:
    """``n`` members filed under ``org`` (written directly: the registry is not under test)."""
    return Member.objects.bulk_create(
        Member(
            name=f"组织测试党员{next(_seq)}",
            gender="male",
            ethnicity="01",
            birth_date=dt.date(1980, 1, 1),
            joined_on=dt.date(2005, 7, 1),
            confirmed_on=dt.date(2006, 7, 1) if status == "full" else None,
            status=status,
            org=org,
            org_path=org.path,
        )
        for _ in range(n)
    )


def units(n: int, full: int = 1) -> list[dict]:
    return [{"name": f"测试单位{i}", "full_members": full} for i in range(1, n + 1)]


def branch(world, actor=None, **extra):
    """A regular branch under the community committee, on the first grid."""
    kw = {
        "parent": world.orgs["community_committee"],
        "area": world.nodes["grid"],
        "name": "测试党支部",
        "kind": OrgKind.BRANCH,
        "domain": OrgDomain.COMMUNITY,
        "form": OrgForm.REGULAR,
        "founding_full_members": 3,
    }
    kw.update(extra)
    return services.org_create(actor=actor or world.users["admin"], **kw)
