import pytest

from dangjian.organizations.models import OrgDomain, OrgKind
from tests import world as world_mod


@pytest.fixture
def agency(world):
    """An agency branch of the first county (城厢区), outside every street's party tree."""
    return world_mod.org(
        world.orgs["county_committee"],
        "区直机关第一党支部",
        OrgKind.BRANCH,
        world.county,
        OrgDomain.AGENCY,
    )


@pytest.fixture
def street2_user(world):
    """Staff of the other street of the first county (凤凰山街道), on both trees."""
    from dangjian.accounts import services as accounts

    u = world_mod.user("t-street2", role="township_staff", area_node=world.street2)
    accounts.grant_add(actor=None, user=u, role_code="township_staff", org=world.orgs["street2_wc"])
    return u
