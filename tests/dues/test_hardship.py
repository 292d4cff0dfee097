"""Hardship reduction or waiver: branch decides, the next level approves."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden
from dangjian.dues import selectors, services
from dangjian.dues.models import Hardship
from tests import world as world_mod
from tests.dues.helpers import at, dues_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch_secretary(world):
    from dangjian.accounts import services as accounts

    u = world_mod.user("t-branch", role="secretary", area_node=world.grid)
    accounts.grant_add(actor=None, user=u, role_code="secretary", org=world.orgs["grid_branch"])
    return u


def _request(world, m, **kw):
    values = dict(
        kind="reduce", amount="5.00", from_month="2026-02", to_month="2026-04", reason="家庭困难"
    )
    values.update(kw)
    return services.hardship_request(actor=world.users["community"], member=m, **values)


def test_full_flow_and_effect(world, branch_secretary):
    with time_machine.travel(at(2026, 1, 10), tick=False):
        m = dues_member(world, base="4000", month="2026-01")
        h = _request(world, m)
        assert h.state == "requested"
        h = services.hardship_transition(actor=branch_secretary, hardship=h, action="agree")
        assert h.state == "branch_agreed"
        with pytest.raises(Forbidden, match="上级党组织"):  # the branch cannot approve itself
            services.hardship_transition(actor=branch_secretary, hardship=h, action="approve")
        h = services.hardship_transition(
            actor=world.users["community"], hardship=h, action="approve", note="同意"
        )
        assert h.state == "approved"
        assert [s.action for s in h.steps.all()] == ["request", "agree", "approve"]
    with time_machine.travel(at(2026, 6, 1), tick=False):
        st = selectors.statuses([m.pk])[m.pk]
        assert st.monthly == Decimal("40.00")
        p, _ = services.payment_create(
            actor=world.users["admin"], member=m, months=["2026-01", "2026-02", "2026-05"]
        )
        assert p.dues_amount == Decimal("85.00")  # 40 + 5 (reduced) + 40


def test_the_decider_cannot_also_approve(world):
    with time_machine.travel(at(2026, 1, 10), tick=False):
        m = dues_member(world, month="2026-01")
        h = _request(world, m)
        services.hardship_transition(actor=world.users["community"], hardship=h, action="agree")
        with pytest.raises(Forbidden, match="不能再作为上级审批人"):
            services.hardship_transition(
                actor=world.users["community"], hardship=h, action="approve"
            )
        assert Hardship.objects.get(pk=h.pk).state == "branch_agreed"


def test_illegal_moves_are_409_and_change_nothing(world):
    with time_machine.travel(at(2026, 1, 10), tick=False):
        m = dues_member(world, month="2026-01")
        h = _request(world, m)
        with pytest.raises(Conflict, match="待支部决定"):
            services.hardship_transition(actor=world.users["street"], hardship=h, action="approve")
        with pytest.raises(ValidationError) as exc:
            services.hardship_transition(actor=world.users["community"], hardship=h, action="fly")
        assert "action" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            services.hardship_transition(
                actor=world.users["community"], hardship=h, action="reject"
            )
        assert "note" in exc.value.message_dict
        services.hardship_transition(
            actor=world.users["community"], hardship=h, action="reject", note="不符合条件"
        )
        with pytest.raises(Conflict):
            services.hardship_transition(actor=world.users["community"], hardship=h, action="agree")
    assert Hardship.objects.get(pk=h.pk).state == "rejected"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "free"}, "kind"),
        ({"amount": None}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"kind": "waive", "amount": "3"}, "amount"),
        ({"from_month": "2026-5-x"}, "from_month"),
        ({"to_month": "2026-01"}, "to_month"),
        ({"to_month": "2027-02"}, "to_month"),
        ({"from_month": "2025-12"}, "from_month"),
        ({"reason": "  "}, "reason"),
    ],
)
def test_bad_requests_name_the_field(world, kw, field):
    with time_machine.travel(at(2026, 1, 10), tick=False):
        m = dues_member(world, month="2026-01")
        with pytest.raises(ValidationError) as exc:
            _request(world, m, **kw)
    assert field in exc.value.message_dict
    assert not Hardship.objects.exists()


def test_outsider_sees_nothing(world):
    from django.http import Http404

    with time_machine.travel(at(2026, 1, 10), tick=False):
        m = dues_member(world, month="2026-01")
        h = _request(world, m)
        with pytest.raises(Http404):
            services.hardship_transition(actor=world.users["street3"], hardship=h, action="agree")
    assert dt.date(2026, 2, 1) == h.from_month
