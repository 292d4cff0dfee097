"""Personal data at rest beyond ID and phone numbers (issue 19, DOMAIN.md "Personal
information"): household door labels (the grid worker's visit key), the door labels of visits,
mobile members' destinations and reporters' names (a caller who hides it) are encrypted in the
database; the door is found by its blind index, shown whole to who may visit there, masked to
the others, revealed with a purpose; audit rows name them masked; the data migrations encrypt
rows written before."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.db import connection

from dangjian.accounts.models import Grant, Role
from dangjian.cases import services as cases_services
from dangjian.cases.models import Event, Source, VisitRecord
from dangjian.cases.visits import services as visits
from dangjian.core import crypto
from dangjian.core.models import AuditEntry
from dangjian.core.pii_migrations import decrypt_column, encrypt_column
from dangjian.members.models import MobileRegistration
from dangjian.members.services.mobile import member_register_mobile
from dangjian.territory.models import Household
from tests.cases.helpers import visit_team
from tests.members.helpers import member
from tests.world import user

pytestmark = pytest.mark.django_db

WHY = {"purpose": "service", "reason": "核对门牌信息"}


def raw(model, column: str, pk: int) -> str:
    table = model._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cur.fetchone()[0]


def household(world, door: str, head: str = "欧阳修") -> Household:
    return Household.objects.create(
        unit=world.unit,
        area_path=world.unit.path,
        door=door,
        door_index=crypto.blind_index("address", door),
        head_name=head,
    )


@pytest.fixture
def viewer(world):
    """Staff who read the street's territory but do not visit households."""
    role = Role.objects.create(code="viewer", name="只读", actions=["territory.view"])
    u = user("t-viewer", area_node=world.street)
    Grant.objects.create(user=u, role=role, area=world.street)
    return u


# The checks look for a label's own text ("302室"), never its digits alone: a token or a hex
# blind index holds "302" or "502" by chance in about one run in a hundred.


def test_a_door_label_is_encrypted_and_found_by_its_blind_index(world, api):
    h = household(world, "1号楼 302室")
    stored = raw(Household, "door", h.pk)
    assert crypto.is_token(stored) and "302室" not in stored
    assert Household.objects.get(pk=h.pk).door == "1号楼 302室"
    household(world, "1号楼303室")
    r = api.get(
        world.users["grid"], f"/api/v1/areas/{world.grid.pk}/households/", door="1号楼302室"
    )
    assert [i["id"] for i in r.json()["items"]] == [h.pk]  # spaces do not matter


def test_the_door_is_whole_to_who_visits_and_masked_to_the_others(world, api, viewer):
    h = household(world, "龙桥小区12栋3单元502室")
    url = f"/api/v1/areas/{world.grid.pk}/households/"
    item = api.get(world.users["grid"], url).json()["items"][0]
    assert (item["door"], item["door_masked"]) == ("龙桥小区12栋3单元502室", False)
    item = api.get(viewer, url).json()["items"][0]
    assert (item["door"], item["door_masked"]) == ("龙桥小区12****", True)
    assert "502室" not in json.dumps(api.get(viewer, url).json(), ensure_ascii=False)
    # The whole label, with a purpose, by who manages the territory; audited.
    path = f"/api/v1/areas/households/{h.pk}/reveal"
    assert api.post(viewer, path, {"field": "door", **WHY}).status_code == 403
    r = api.post(world.users["street"], path, {"field": "door", **WHY})
    assert r.status_code == 200 and r.json() == {"field": "door", "value": "龙桥小区12栋3单元502室"}
    assert "no-store" in r["Cache-Control"]
    entry = AuditEntry.objects.get(action="pii.reveal", object_id=str(h.pk))
    assert entry.after == {"field": "door", "purpose": "service", "reason": "核对门牌信息"}
    assert "502室" not in entry.object_repr
    r = api.post(world.users["street"], path, {"field": "members", **WHY})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["field"]


def test_a_visits_door_label_is_encrypted_and_its_key_holds_no_label(world):
    team = visit_team(world, "走访组")
    rec = visits.visit_record(
        actor=world.users["grid"],
        team=team,
        area=world.unit,
        household_label="1号楼 502室",
        visited_on=dt.date.today(),
    )
    stored = raw(VisitRecord, "household_label", rec.pk)
    assert crypto.is_token(stored) and "502室" not in stored
    assert "502室" not in rec.household_key
    assert rec.household_key == f"a{world.unit.pk}:{crypto.blind_index('address', '1号楼502室')}"
    entry = AuditEntry.objects.get(object_id=str(rec.pk), action="visit.record")
    assert "502室" not in json.dumps(entry.after, ensure_ascii=False) + entry.object_repr
    # Whole to the visitor, masked to who reads cases without visiting there.
    reach_grid = visits.visit_reach(world.users["grid"])
    assert visits.door_shown(rec, reach_grid) == "1号楼 502室"
    assert visits.door_shown(rec, ()) == "1号楼 ****"


def test_a_mobile_members_destination_is_encrypted(world):
    m = member(world.users["street"], world.orgs["grid_branch"], name="流动乙")
    reg = member_register_mobile(
        actor=world.users["street"],
        member=m,
        destination="广东省深圳市南山区科技园",
        left_on=dt.date(2025, 1, 10),
    )
    stored = raw(MobileRegistration, "destination", reg.pk)
    assert crypto.is_token(stored) and "南山" not in stored
    assert MobileRegistration.objects.get(pk=reg.pk).destination == "广东省深圳市南山区科技园"
    for entry in AuditEntry.objects.filter(object_type="members.mobileregistration"):
        assert "南山" not in entry.object_repr


def test_a_hidden_callers_name_is_encrypted(world):
    staff = world.users["community"]
    event = cases_services.event_create(
        actor=staff,
        area=world.grid,
        description="楼道里的路灯坏了三天，晚上很黑",
        source=Source.PHONE,
        reporter_name="李来电",
        anonymous=True,
        reporter_phone="13812345678",
    )
    stored = raw(Event, "reporter_name", event.pk)
    assert crypto.is_token(stored) and "李" not in stored
    assert Event.objects.get(pk=event.pk).reporter_name == "李来电"


def test_the_migration_step_encrypts_rows_written_before_and_back(world):
    h = household(world, "旧门牌101室")
    with connection.cursor() as cur:  # as the column held it before the migration
        cur.execute(
            f'UPDATE "{Household._meta.db_table}" SET door = %s, door_index = %s WHERE id = %s',
            ["旧门牌101室", "", h.pk],
        )

    class Editor:  # what a migration's schema editor offers the step
        connection = connection
        quote_name = staticmethod(connection.ops.quote_name)

    assert encrypt_column(apps, Editor, "territory", "Household", "door", index_column="door_index")
    assert crypto.is_token(raw(Household, "door", h.pk))
    assert raw(Household, "door_index", h.pk) == crypto.blind_index("address", "旧门牌101室")
    assert Household.objects.get(pk=h.pk).door == "旧门牌101室"
    assert encrypt_column(apps, Editor, "territory", "Household", "door") == 0  # twice: no-op
    decrypt_column(apps, Editor, "territory", "Household", "door", max_length=100)
    assert raw(Household, "door", h.pk) == "旧门牌101室"
