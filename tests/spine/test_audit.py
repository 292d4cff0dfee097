"""The audit trail: append-only, request facts recorded, personal data masked, scoped reads."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from dangjian.accounts import services as accounts
from dangjian.core import audit
from dangjian.core.models import AuditEntry
from dangjian.organizations import services as orgs
from dangjian.organizations.models import OrgKind
from dangjian.territory import services as territory
from dangjian.territory.models import AreaKind
from tests.world import PASSWORD

PHONE = "13812345678"
MASKED = "138****5678"


@pytest.mark.django_db
class TestAppendOnly:
    def test_rows_cannot_be_changed(self, world):
        row = audit.record(actor=world.users["street"], action="probe", note="原文")
        row.note = "改过"
        with pytest.raises(PermissionError):
            row.save()
        with pytest.raises(PermissionError):
            row.delete()
        with pytest.raises(PermissionError):
            AuditEntry.objects.filter(pk=row.pk).update(note="改过")
        with pytest.raises(PermissionError):
            AuditEntry.objects.filter(pk=row.pk).delete()
        with pytest.raises(PermissionError):
            AuditEntry.objects.all().delete()
        with pytest.raises(PermissionError):
            AuditEntry.objects.visible_to(world.users["admin"], "audit.view").update(note="x")
        assert AuditEntry.objects.get(pk=row.pk).note == "原文"

    def test_bulk_update_is_refused(self, world):
        row = audit.record(actor=None, action="probe")
        row.note = "改过"
        with pytest.raises(PermissionError), transaction.atomic():
            AuditEntry.objects.bulk_update([row], ["note"])
        assert AuditEntry.objects.get(pk=row.pk).note == ""

    def test_new_rows_still_insert(self, world):
        n = AuditEntry.objects.count()
        audit.record(actor=None, action="probe")
        AuditEntry(action="probe2").save()
        assert AuditEntry.objects.count() == n + 2


@pytest.mark.django_db
class TestRequestFacts:
    def test_api_write_records_request_id_and_address(self, world, client):
        r = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "t-community", "password": PASSWORD}),
            content_type="application/json",
            headers={"X-Request-ID": "req-cross-42"},
            REMOTE_ADDR="10.1.2.3",
        )
        assert r.status_code == 200
        assert r["X-Request-ID"] == "req-cross-42"
        rows = list(AuditEntry.objects.filter(request_id="req-cross-42").order_by("id"))
        assert [x.action for x in rows] == ["login", "token.issue"]
        assert all(x.remote_addr == "10.1.2.3" for x in rows)
        assert rows[0].actor_id == world.users["community"].pk
        assert rows[0].actor_name == "t-community"

    def test_failed_login_records_request_facts(self, world, client):
        client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "t-street", "password": "Wrong@2026"}),
            content_type="application/json",
            headers={"X-Request-ID": "req-fail-1"},
            REMOTE_ADDR="10.9.9.9",
        )
        row = AuditEntry.objects.get(request_id="req-fail-1")
        assert (
            row.action == "login.failed" and row.actor_id is None and row.remote_addr == "10.9.9.9"
        )
        assert row.area_path == world.street.path

    def test_request_id_is_generated_when_absent(self, world, client):
        r = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "t-street", "password": PASSWORD}),
            content_type="application/json",
        )
        rid = r["X-Request-ID"]
        assert rid and len(rid) <= 32
        assert AuditEntry.objects.filter(request_id=rid, action="login").exists()

    def test_an_overlong_request_id_is_replaced(self, world, client):
        """A client's id longer than 32 characters is not ours to keep (issue 19: checked or
        replaced, never cut into something the client half chose)."""
        r = client.post(
            "/api/v1/auth/token",
            json.dumps({"username": "t-street", "password": PASSWORD}),
            content_type="application/json",
            headers={"X-Request-ID": "x" * 100},
        )
        rid = r["X-Request-ID"]
        assert "x" * 8 not in rid and 8 <= len(rid) <= 32
        assert AuditEntry.objects.filter(request_id=rid, action="login").exists()

    def test_outside_a_request_the_facts_are_empty(self, world):
        row = audit.record(actor=world.users["street"], action="probe")
        assert row.request_id == "" and row.remote_addr == ""


def _raw_audit_text() -> str:
    """What the audit table holds, read past the ORM."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT before, after, note, object_repr FROM {AuditEntry._meta.db_table}")
        return json.dumps([[str(c) for c in row] for row in cur.fetchall()], ensure_ascii=False)


@pytest.mark.django_db
class TestMaskedPII:
    def test_department_phone(self, world):
        dept = accounts.department_create(
            actor=world.users["street"], name="龙桥城管中队", area=world.street, phone=PHONE
        )
        row = AuditEntry.objects.get(action="department.create", object_id=str(dept.pk))
        assert row.after["phone"] == MASKED
        assert "phone_index" not in row.after
        assert PHONE not in _raw_audit_text()
        dept.refresh_from_db()
        assert dept.phone == PHONE  # the clear value is still there for those who may reveal it

    def test_user_phone_and_password(self, world):
        u = accounts.user_create(
            actor=world.users["street"],
            username="phone-user",
            password="Xq7mPz2k!",
            area=world.grid,
            phone=PHONE,
        )
        row = AuditEntry.objects.get(action="user.create", object_id=str(u.pk))
        assert row.after["phone"] == MASKED
        assert "password" not in row.after and "totp_secret" not in row.after
        assert "Xq7mPz2k!" not in _raw_audit_text()
        assert PHONE not in _raw_audit_text()

    def test_org_contact_phone_on_create_and_update(self, world):
        org = orgs.org_create(
            actor=world.users["street"],
            parent=world.orgs["community_committee"],
            area=world.grid2,
            name="龙桥社区第二网格党支部",
            kind=OrgKind.BRANCH,
            domain="community",
            contact_phone=PHONE,
            founding_full_members=3,
        )
        created = AuditEntry.objects.get(action="org.create", object_id=str(org.pk))
        assert created.after["contact_phone"] == MASKED
        orgs.org_update(actor=world.users["street"], org=org, contact_phone="13900001111")
        updated = AuditEntry.objects.get(action="org.update", object_id=str(org.pk))
        assert updated.before["contact_phone"] == MASKED
        assert updated.after["contact_phone"] == "139****1111"
        assert set(updated.after) <= {"contact_phone", "updated_at"}
        text = _raw_audit_text()
        assert PHONE not in text and "13900001111" not in text

    def test_snapshot_masks_any_pii_field(self, world):
        from dangjian.accounts.models import Department

        d = Department(name="临时", area=world.street, area_path=world.street.path, phone=PHONE)
        snap = audit.snapshot(d)
        assert snap["phone"] == MASKED
        assert PHONE not in json.dumps(snap)


@pytest.mark.django_db
class TestAuditScope:
    @pytest.fixture
    def rows(self, world):
        out = {}
        for key in ("street", "community", "grid", "street2", "street3", "county", "city"):
            node = world.nodes[key]
            out[key] = audit.record(
                actor=None, action="probe.scope", object_repr=key, area_path=node.path
            )
        return out

    def _seen(self, user) -> set[str]:
        return set(
            AuditEntry.objects.visible_to(user, "audit.view")
            .filter(action="probe.scope")
            .values_list("object_repr", flat=True)
        )

    def test_street_staff_see_their_street(self, world, rows):
        assert self._seen(world.users["street"]) == {"street", "community", "grid"}
        assert self._seen(world.users["street3"]) == {"street3"}
        assert self._seen(world.users["county"]) == {
            "street",
            "community",
            "grid",
            "street2",
            "county",
        }
        assert self._seen(world.users["admin"]) == set(rows)

    def test_rows_of_a_service_write_are_scoped_by_its_object(self, world):
        grid = territory.area_create(
            actor=world.users["street"], parent=world.community, name="新网格", kind=AreaKind.GRID
        )
        row = AuditEntry.objects.get(action="area.create", object_id=str(grid.pk))
        assert row in AuditEntry.objects.visible_to(world.users["street"], "audit.view")
        assert row in AuditEntry.objects.visible_to(world.users["community"], "audit.view")
        assert row not in AuditEntry.objects.visible_to(world.users["street3"], "audit.view")

    def test_org_paths_scope_too(self, world):
        org = world.orgs["grid_branch"]
        row = audit.record(actor=None, action="probe.org", obj=org)
        assert row.org_path == org.path and row.area_path == org.area_path
        # an org grant alone reaches it (t-community holds one on the community committee)
        assert row in AuditEntry.objects.visible_to(world.users["community"], "audit.view")
        assert row not in AuditEntry.objects.visible_to(world.users["street3"], "audit.view")

    def test_own_rows_and_no_rows_without_the_action(self, world):
        member = world.users["member"]
        own = audit.record(actor=member, action="probe.own")
        other = audit.record(actor=world.users["resident"], action="probe.own")
        seen = set(AuditEntry.objects.visible_to(member, "audit.view"))
        assert own in seen and other not in seen
        # grid workers hold no audit.view: they see no audit rows at all
        assert not AuditEntry.objects.visible_to(world.users["grid"], "audit.view").exists()

    def test_rows_keep_their_paths_after_a_move(self, world):
        row = audit.record(actor=None, action="probe.move", area_path=world.grid.path)
        territory.area_move(
            actor=world.users["county"], area=world.community, new_parent=world.street2
        )
        assert AuditEntry.objects.get(pk=row.pk).area_path == row.area_path
