"""An export with full numbers has a daily limit per person, and the level above is told of
each one (issue 19)."""

from dangjian.core.models import AuditEntry, Notification
from tests.members.helpers import id_no, member


def _people(world, n):
    u = world.users["street"]
    for i in range(n):
        member(u, world.orgs["grid_branch"], name=f"名册{i}", id_number=id_no("19800101", i + 1))


def test_a_revealed_export_alerts_the_level_above(world, api, settings):
    _people(world, 2)
    r = api.post(world.users["street"], "/api/v1/members/export", {"reveal": True})
    assert r.status_code == 200
    county = world.users["county"]
    alert = Notification.objects.get(recipient=county, kind="members.bulk_reveal")
    assert "导出了2条含完整号码" in alert.title and "t-street" in alert.title
    assert not Notification.objects.filter(recipient=world.users["street"]).exists()
    # A masked export alerts nobody.
    api.post(world.users["street"], "/api/v1/members/export")
    assert Notification.objects.filter(kind="members.bulk_reveal").count() == 1


def test_the_daily_limit_refuses_an_export_that_would_pass_it(world, api, settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "MEMBERS_BULK_REVEAL_DAILY": 3}
    _people(world, 2)
    street = world.users["street"]
    assert api.post(street, "/api/v1/members/export", {"reveal": True}).status_code == 200
    before = AuditEntry.objects.filter(action="members.export").count()
    r = api.post(street, "/api/v1/members/export", {"reveal": True})
    assert r.status_code == 409
    assert "不超过3条" in r.json()["detail"] and "今日已导出2条" in r.json()["detail"]
    assert AuditEntry.objects.filter(action="members.export").count() == before
    # The masked list is still there for the day's work.
    assert api.post(street, "/api/v1/members/export").status_code == 200
