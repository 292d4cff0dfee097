"""The audit page: scoped, filtered, paginated, masked."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.models import AuditEntry
from tests.console.helpers import count_queries, text

pytestmark = pytest.mark.django_db


def _rows(world, n, node_key="street", marker="测试审计"):
    node = world.nodes[node_key]
    return [
        audit.record(
            actor=world.users["county"],
            action="area.update",
            object_type="territory.area",
            object_id=str(node.pk),
            object_repr=f"{marker}{i:03d}",
            area_path=node.path,
            before={"name": f"旧{i}"},
            after={"name": f"新{i}"},
        )
        for i in range(n)
    ]


def test_audit_page_renders_scoped_rows(world, as_user):
    _rows(world, 2, "street", "龙桥记录")
    _rows(world, 2, "street2", "凤凰山记录")
    _rows(world, 2, "street3", "镇海记录")
    r = as_user(world.users["street"]).get("/audit/")
    assert r.status_code == 200
    body = text(r)
    assert "审计日志" in body
    assert "龙桥记录000" in body and "修改区域" in body
    assert "凤凰山记录" not in body and "镇海记录" not in body
    assert "t-street3" not in body  # its grant row lives in the other county


def test_member_sees_only_their_own_actions(world, as_user):
    from tests.world import user

    # A member's account has no console pages (sent to /m/); a staff account holding only the
    # self-reach member role reads its own rows only.
    r = as_user(world.users["member"]).get("/audit/")
    assert (r.status_code, r["Location"]) == (302, "/m/")
    member = user("t-self", role="member")
    audit.record(actor=member, action="login", obj=member)
    _rows(world, 1, "unit", "单元记录")
    body = text(as_user(member).get("/audit/"))
    assert "登录" in body and "t-self" in body
    assert "单元记录" not in body


def test_before_and_after_are_masked(world, as_user):
    node = world.street
    audit.record(
        actor=world.users["county"],
        action="org.update",
        object_type="organizations.partyorg",
        object_repr="联系电话变更",
        area_path=node.path,
        before={"contact_phone": "13812345678", "note": "身份证350102199001011234"},
        after={"contact_phone": "139****0000"},
    )
    body = text(as_user(world.users["street"]).get("/audit/"))
    assert "修改前" in body and "修改后" in body
    assert "13812345678" not in body
    assert "138****5678" in body
    assert "350102199001011234" not in body
    assert "350102********1234" in body
    assert "139****0000" in body


def test_filters(world, as_user):
    _rows(world, 3, "street", "筛选记录")
    audit.record(actor=world.users["street"], action="user.password", obj=world.users["street"])
    client = as_user(world.users["street"])
    body = text(client.get("/audit/?action=user.password"))
    assert "修改密码" in body and "筛选记录" not in body
    body = text(client.get("/audit/?actor=t-county"))
    assert "筛选记录000" in body
    assert "user.password" not in body.split("<tbody>", 1)[1]
    body = text(client.get("/audit/?object_type=territory.area"))
    assert "筛选记录000" in body
    assert "区域" in body  # the object type label
    today = timezone.localdate()
    body = text(client.get(f"/audit/?date_from={today}&date_to={today}"))
    assert "筛选记录000" in body
    yesterday = today - dt.timedelta(days=1)
    body = text(client.get(f"/audit/?date_from={yesterday}&date_to={yesterday}"))
    assert "没有符合条件的审计记录" in body
    body = text(client.get(f"/audit/?date_from={today}&date_to={yesterday}"))
    assert "开始日期不能晚于结束日期" in body
    body = text(client.get("/audit/?date_from=not-a-date"))
    assert "输入一个有效的日期" in body


def test_paginated_fifty_a_page(world, as_user):
    _rows(world, 60, "street", "分页审计")
    client = as_user(world.users["street"])
    body = text(client.get("/audit/"))
    assert body.count("分页审计") == 50
    assert "分页审计059" in body  # newest first
    assert "page=2" in body
    body2 = text(client.get("/audit/?page=2"))
    assert "分页审计000" in body2


def test_audit_query_count_does_not_grow_with_rows(world, as_user, django_assert_max_num_queries):
    client = as_user(world.users["street"])
    client.get("/audit/")
    _rows(world, 5, "street", "计数甲")
    n_small, _ = count_queries(client, "/audit/?actor=t-county&object_type=territory.area")
    _rows(world, 60, "street", "计数乙")
    n_large, r = count_queries(client, "/audit/?actor=t-county&object_type=territory.area")
    assert text(r).count("计数") == 50
    assert n_small == n_large
    with django_assert_max_num_queries(9):
        client.get("/audit/")


def test_audit_rows_are_not_written_by_reading(world, as_user):
    n = AuditEntry.objects.count()
    as_user(world.users["street"]).get("/audit/")
    assert AuditEntry.objects.count() == n


def test_sealed_actor_reads_as_sealed(world, as_user):
    audit.record(
        actor=world.users["resident"],
        action="event.create",
        object_type="cases.event",
        object_repr="密封行",
        area_path=world.street.path,
        seal=True,
    )
    body = text(as_user(world.users["street"]).get("/audit/?action=event.create"))
    assert "密封行" in body and "（已密封）" in body
    assert "t-resident" not in body
    # No reveal form without audit.reveal_actor; the city's staff get one.
    assert "查看操作人" not in body
    assert "查看操作人" in text(as_user(world.users["city"]).get("/audit/"))
