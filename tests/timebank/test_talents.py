"""The talent roster's console page (能人榜): the community's staff list it (search, filters,
sortable columns, Excel export), put a resident on it, edit, retire and restore an entry; a
retired talent takes no booking; bookings go through the one order flow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from dangjian.core import excel
from dangjian.core.models import AuditEntry
from dangjian.timebank import services
from dangjian.timebank.models import Order, TalentOffer
from tests.timebank.helpers import helper, order
from tests.world import user as make_user

pytestmark = pytest.mark.django_db
URL = "/timebank/talents/"


def _offer(u, skill="家电维修", service_class="repair"):
    return services.talent_offer(actor=u, service_class=service_class, skill=skill)


def test_the_list_searches_sorts_and_exports(world, client, django_assert_max_num_queries):
    a = helper(world, "李红")
    b = helper(world, "王强")
    _offer(a, "家电维修")
    _offer(b, "理发", "other")
    t = _offer(b, "水电安装")
    order(world, talent=t)
    client.force_login(world.users["community"])
    client.get(URL)
    with django_assert_max_num_queries(20):
        r = client.get(URL)
    assert r.status_code == 200
    assert {t.skill for t in r.context["rows"]} == {"家电维修", "理发", "水电安装"}

    def skills(query):
        return {t.skill for t in client.get(URL + query).context["rows"]}

    assert skills("?q=维修") == {"家电维修"}
    assert skills("?q=王强") == {"理发", "水电安装"}
    assert skills("?service_class=other") == {"理发"}
    # Sorted by bookings, most first: the booked one leads.
    r = client.get(URL + "?sort=-bookings")
    rows = [t for t in r.context["rows"]]
    assert rows[0].skill == "水电安装" and rows[0].bookings == 1
    # An unknown column is ignored, never an error.
    assert client.get(URL + "?sort=password").status_code == 200
    # A GET never exports (a link or an image cannot start one): the export form's POST does.
    assert client.get(URL + "?q=维修&export=xlsx")["Content-Type"].startswith("text/html")
    r = client.post(URL + "?q=维修", {"export": "xlsx"})
    assert r.status_code == 200
    rows = [list(row.values) for row in excel.read_rows(r.content)]
    assert rows[0][0] == "姓名"
    flat = [v for row in rows for v in row]
    assert "家电维修" in flat and "理发" not in flat and "水电安装" not in flat
    assert AuditEntry.objects.filter(action="list.export", object_type="timebank.talentoffer")


def test_staff_put_a_resident_on_the_roster_edit_retire_and_restore(world, client):
    community = world.users["community"]
    resident = world.users["resident"]
    client.force_login(community)
    here = f"{URL}?community={world.nodes['community'].pk}"
    page = client.get(here).content.decode()
    assert resident.real_name in page  # the residents of the community are offered
    r = client.post(here, {"user": resident.pk, "service_class": "repair", "skill": ""})
    assert r.status_code == 400 and "请填写特长" in r.content.decode()
    assert not TalentOffer.objects.exists()
    r = client.post(
        here,
        {"user": resident.pk, "service_class": "repair", "skill": "修自行车", "available": "周末"},
    )
    assert r.status_code == 302, r.content.decode()[:800]
    t = TalentOffer.objects.get()
    assert (t.user_id, t.community_id, t.skill) == (
        resident.pk,
        world.nodes["community"].pk,
        "修自行车",
    )
    # Edit: the whole form is saved; a refusal names the field and changes nothing.
    edit = {"service_class": "repair", "skill": "修自行车、电动车", "available": "周末、晚上"}
    assert client.post(f"{URL}{t.pk}/", edit).status_code == 302
    t.refresh_from_db()
    assert t.skill == "修自行车、电动车" and t.available == "周末、晚上"
    r = client.post(f"{URL}{t.pk}/", {**edit, "skill": ""})
    assert r.status_code == 400 and "请填写特长" in r.content.decode()
    t.refresh_from_db()
    assert t.skill == "修自行车、电动车"
    # Retire: off the resident's roster on the phone, no new booking; restore puts it back.
    client.post(f"{URL}{t.pk}/active/", {"on": "0"})
    t.refresh_from_db()
    assert not t.active
    assert AuditEntry.objects.filter(action="timebank.talent.retire", object_id=str(t.pk)).exists()
    member = make_user("t-res2", role="resident", kind="resident", home=world.nodes["unit"])
    with pytest.raises(Exception, match="已下榜"):
        order(world, resident=member, talent=t)
    client.force_login(member)
    assert "修自行车" not in client.get("/m/timebank/talents/").content.decode()
    client.force_login(community)
    client.post(f"{URL}{t.pk}/active/", {"on": "1"})
    t.refresh_from_db()
    assert t.active
    # A booking goes through the order flow and shows on the entry's page.
    o = order(world, resident=member, talent=t)
    assert o.state == "open" and Order.objects.filter(talent=t).count() == 1
    assert o.no in client.get(f"{URL}{t.pk}/").content.decode()


def test_out_of_reach_reads_404_and_others_cannot_edit(world, client):
    far = make_user("t-far", role="resident", kind="resident", home=world.nodes["community2"])
    t = _offer(far, "剪纸")
    client.force_login(world.users["community"])
    assert client.get(f"{URL}{t.pk}/").status_code == 404
    assert "剪纸" not in client.get(URL).content.decode()
    # The community's staff cannot put someone living elsewhere on their roster.
    here = f"{URL}?community={world.nodes['community'].pk}"
    r = client.post(here, {"user": far.pk, "service_class": "other", "skill": "剪纸"})
    assert r.status_code == 400 and not TalentOffer.objects.exclude(pk=t.pk).exists()
    # Another member of the community cannot edit an entry that is not theirs (out of reach).
    mine = _offer(world.users["resident"], "裁缝")
    other = helper(world, "钱七")
    with pytest.raises(Http404):
        services.talent_update(actor=other, talent=mine, data={"skill": "改"})
    # The talent edits their own entry.
    services.talent_update(actor=world.users["resident"], talent=mine, data={"available": "晚上"})
    mine.refresh_from_db()
    assert mine.available == "晚上" and mine.skill == "裁缝"


def test_a_resident_books_a_talent_on_the_phone_form(world, client):
    """The phone's booking form has no "how many helpers" field (the talent alone serves): the
    booking asks for one helper and opens to the talent."""
    t = _offer(helper(world, "李红"), "修自行车")
    client.force_login(world.users["resident"])
    page = client.get(f"/m/timebank/order/?talent={t.pk}").content.decode()
    assert 'name="helpers_wanted"' not in page and f'name="talent" value="{t.pk}"' in page
    now = timezone.localtime()
    r = client.post(
        "/m/timebank/order/",
        {
            "talent": str(t.pk),
            "service_class": "repair",
            "description": "自行车链条断了",
            "place": "1号楼302室",
            "starts_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert r.status_code == 302, r.content.decode()[:800]
    o = Order.objects.get()
    assert (o.talent_id, o.helpers_wanted, o.state) == (t.pk, 1, "open")
