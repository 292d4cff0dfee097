"""An export is started by the page's form only (issue 18): a POST without the form's CSRF
token — what another site could send with the user's cookies — is refused (403) and writes
nothing, neither a file nor an audit row; the same POST with the page's token exports. Checked
with Django's client enforcing CSRF as a browser session does (``enforce_csrf_checks``)."""

from __future__ import annotations

import pytest
from django.test import Client

from dangjian.core.models import AuditEntry
from tests.spine import crossscope

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxml"


def _client(world) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["admin"])
    return client


def _token(client: Client, page: str) -> str:
    r = client.get(page)
    assert r.status_code == 200
    return (
        r.context["csrf_token"] if "csrf_token" in r.context else client.cookies["csrftoken"].value
    )


@pytest.mark.parametrize(
    ("page", "factory"),
    [("/cases/?state=opened", "event"), ("/users/departments/", "people_department")],
)
def test_a_list_export_without_the_token_is_refused(world, page, factory):
    crossscope.FACTORIES[factory](world)
    client = _client(world)
    before = AuditEntry.objects.count()
    r = client.post(page, {"export": "xlsx"})
    assert r.status_code == 403
    assert not r["Content-Type"].startswith(XLSX)
    assert not AuditEntry.objects.filter(action="list.export").exists()
    assert AuditEntry.objects.count() == before
    # The page's own form (its token) exports: the refusal above is the token's doing.
    r = client.post(page, {"export": "xlsx", "csrfmiddlewaretoken": _token(client, page)})
    assert r.status_code == 200 and r["Content-Type"].startswith(XLSX)
    assert AuditEntry.objects.filter(action="list.export").count() == 1


def test_the_member_registry_export_without_the_token_is_refused(world):
    crossscope.FACTORIES["member"](world)
    client = _client(world)
    before = AuditEntry.objects.count()
    r = client.post("/members/export/?status=full", {})
    assert r.status_code == 403
    assert not r["Content-Type"].startswith(XLSX)
    assert AuditEntry.objects.count() == before
    token = _token(client, "/members/")
    r = client.post("/members/export/", {"csrfmiddlewaretoken": token})
    assert r.status_code == 200 and r["Content-Type"].startswith(XLSX)
    assert AuditEntry.objects.count() > before
