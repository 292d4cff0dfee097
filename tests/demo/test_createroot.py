"""A new deployment starts from its root (issue 14): ``dangjian createroot`` writes the root
area and its party committee through the services, refuses a second root and a bad code, and
``createadmin`` then grants the administrator there, who can build the rest in the console."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import Grant
from dangjian.core.models import AuditEntry
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area

pytestmark = pytest.mark.django_db


def test_a_county_level_city_starts_from_its_root():
    out = StringIO()
    call_command(
        "createroot",
        "--name",
        "永安市",
        "--kind",
        "county",
        "--code",
        "350481",
        "--org-name",
        "中共永安市委员会",
        stdout=out,
    )
    assert "已建立根区域“永安市”（县(区)）" in out.getvalue()
    area = Area.objects.get(parent__isnull=True)
    org = PartyOrg.objects.get(parent__isnull=True)
    assert (area.name, area.kind, area.code) == ("永安市", "county", "350481")
    assert (org.name, org.kind, org.area_id) == ("中共永安市委员会", "committee", area.pk)
    assert AuditEntry.objects.filter(action__in=["area.create", "org.create"]).count() == 2
    call_command(
        "createadmin",
        "--username",
        "ya-admin",
        "--password",
        "Yongan@2026x",
        "--no-input",
        stdout=StringIO(),
    )
    grants = Grant.objects.filter(user__username="ya-admin")
    assert {(g.area_id, g.org_id) for g in grants} == {(area.pk, None), (None, org.pk)}
    with pytest.raises(CommandError, match="已有根区域“永安市”"):
        call_command("createroot", "--name", "三明市", stdout=StringIO())


def test_a_bad_code_is_named_and_nothing_is_written():
    with pytest.raises(CommandError, match="code"):
        call_command(
            "createroot", "--name", "永安市", "--kind", "county", "--code", "12", stdout=StringIO()
        )
    assert not Area.objects.exists() and not PartyOrg.objects.exists()
