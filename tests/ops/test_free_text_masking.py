"""ID and phone numbers typed into free text are stored masked, so no screen, export, log or
audit row shows them in clear (issue 19)."""

from dangjian.cases.models import Event
from dangjian.core.models import AuditEntry
from dangjian.core.validation import clean_free_text

PHONE, ID = "13812345678", "350102199001011234"


def test_clean_free_text_masks_numbers_and_keeps_the_rest():
    assert clean_free_text(f"  请联系{PHONE}\x00，身份证{ID}  ") == (
        "请联系138****5678，身份证350102********1234"
    )


def test_an_event_description_and_place_keep_no_number_in_clear(world, api):
    body = {
        "description": f"楼道堆满杂物无法通行，业主电话{PHONE}，身份证{ID}",
        "place": f"3号楼 联系人 {PHONE}",
    }
    r = api.post(world.resident, "/api/v1/cases/", body)
    assert r.status_code == 200, r.content
    ev = Event.objects.get(pk=r.json()["id"])
    for stored in (ev.description, ev.place):
        assert PHONE not in stored and ID not in stored
    assert "138****5678" in ev.description and "350102********1234" in ev.description
    shown = api.get(world.resident, f"/api/v1/cases/{ev.pk}").content.decode()
    assert PHONE not in shown and ID not in shown
    for row in AuditEntry.objects.filter(object_id=str(ev.pk)):
        assert PHONE not in str(row.after) and ID not in str(row.after)
