"""Public boards never show an ID or phone number (issue 16): names as the scheme allows, and a
subject whose recorded name is their mobile number (an account opened by its number, with no
real name) reads anonymous, on every setting of the scheme; the member's ID number never shows."""

from __future__ import annotations

import pytest

from dangjian.accounts.models import UserKind
from dangjian.core import crypto
from dangjian.points import services
from dangjian.points.models import NameDisplay
from dangjian.points.selectors import display_name
from tests import world as world_mod
from tests.points.helpers import event, resident, resident_scheme, rule
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db
MOBILE = "13912345678"


def _numbered_resident(world):
    u = world_mod.user(MOBILE, role="resident", kind=UserKind.RESIDENT, home=world.nodes["unit"])
    u.real_name = ""
    u.phone = MOBILE
    u.phone_index = crypto.blind_index("phone", MOBILE)
    u.save()
    assert str(u) == MOBILE  # what an award records as the subject's name
    return u


@pytest.mark.parametrize("how", NameDisplay.values)
def test_the_board_shows_no_phone_or_id_number(world, client, how):
    s = resident_scheme(world, name_display=how)
    assert s.name_display == how
    rule(world, s, source="cases.visit", points="5")
    numbered, named = _numbered_resident(world), resident(world, "赵六")
    services.award_events([event(numbered, 1), event(numbered, 2), event(named, 3)])
    assert client.login(username=named.username, password=PASSWORD)
    page = client.get("/m/points/boards/").content.decode()
    assert "10.00" in page and "5.00" in page  # both on the board
    for shown in (MOBILE, "139****5678", "1**********"):
        assert shown not in page, shown
    assert "（匿名）" in page
    assert ("赵六" in page) == (how == NameDisplay.FULL)
    assert ("赵*" in page) == (how == NameDisplay.SURNAME)


def test_a_name_holding_an_id_or_phone_number_reads_anonymous():
    for how in NameDisplay.values:
        assert display_name("350302199001011234", how) == "（匿名）"
        assert display_name("李四 13912345678", how) == "（匿名）"
    assert display_name("李四", NameDisplay.FULL) == "李四"
    assert display_name("李四", NameDisplay.SURNAME) == "李*"
    assert display_name("李四", NameDisplay.HIDDEN) == "（匿名）"
