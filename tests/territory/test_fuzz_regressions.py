"""Found by the whole-API schemathesis run on PostgreSQL (bench/api_fuzz.py, issue 19): each
was a 500 there. Now a 422 on the field, or the text stored clean; nothing half-written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dangjian.territory import services
from dangjian.territory.models import Area, AreaKind
from tests.territory.helpers import snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["households", "population"])
def test_a_count_beyond_the_column_is_refused_on_the_field(world, field):
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.area_update(actor=world.users["admin"], area=world.grid2, **{field: 2**31})
    assert field in exc.value.message_dict
    assert "不能超过1亿" in exc.value.message_dict[field][0]
    with pytest.raises(ValidationError):
        services.area_create(
            actor=world.users["admin"],
            parent=world.street2,
            name="新社区",
            kind=AreaKind.COMMUNITY,
            **{field: 2**40},
        )
    assert snapshot() == before


def test_a_nul_byte_in_the_close_reason_is_removed(world):
    admin = world.users["admin"]
    empty = services.area_create(
        actor=admin, parent=world.street2, name="待撤销社区", kind=AreaKind.COMMUNITY
    )
    services.area_close(actor=admin, area=empty, reason="区划\x00调整")
    assert Area.objects.get(pk=empty.pk).closed_reason == "区划调整"
