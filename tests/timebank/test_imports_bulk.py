"""Stations and riders imported in bulk: a file of a few thousand rows is checked whole, then
written in one transaction in a few statements per thousand rows (the number of queries does
not grow with the rows); a bad row in all-or-nothing mode writes nothing, skip-bad writes the
rest; every written row keeps its own audit row, as the row-by-row services wrote them."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import override_settings

from dangjian.accounts.models import Grant, User, UserKind
from dangjian.accounts.services import registration
from dangjian.core.models import AuditEntry
from dangjian.timebank import imports
from dangjian.timebank.models import Rider, Station
from tests.members.helpers import upload, xlsx
from tests.timebank.helpers import helper
from tests.timebank.test_imports import BASE, RIDER_HEADER, STATION_HEADER, errors_of, station

pytestmark = pytest.mark.django_db
N = 3_000


def _post(api, world, kind, header, rows, mode="all_or_nothing"):
    content = xlsx([header, *rows])
    return upload(
        api, world.users["community"], f"{BASE}/{kind}/import", content, name="f.xlsx", mode=mode
    )


def _stations(n=N):
    return [
        [
            f"驿站{i:05d}",
            "红色驿站" if i % 2 else "爱心驿站",
            "龙桥社区第一网格",
            f"{i}号",
            "饮水",
            "",
        ]
        for i in range(n)
    ]


def _riders(n=N):
    return [
        [f"骑手{i:05d}", f"1390{i:07d}", "外卖骑手", "美团", "某配送公司", "龙桥红色驿站"]
        for i in range(n)
    ]


def test_the_cap_is_twenty_thousand_rows():
    assert imports.MAX_IMPORT_ROWS == 20_000


def test_thousands_of_stations_in_one_go(world, api, django_assert_max_num_queries):
    # Not one query per row: one insert per batch (on SQLite Django's batches stop at 999 bound
    # values, ≈ 60–110 rows; 1,000 rows elsewhere). 3,000 rows: 87 queries on SQLite.
    with django_assert_max_num_queries(100):
        r = _post(api, world, "stations", STATION_HEADER, _stations())
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["total"], body["bad_rows"]) == (N, N, 0)
    assert len(body["created_ids"]) == N and Station.objects.count() == N
    s = Station.objects.get(name="驿站00007")
    assert (s.kind, s.area, s.area_path, s.location) == (
        "red",
        world.nodes["grid"],
        world.nodes["grid"].path,
        "7号",
    )
    audits = AuditEntry.objects.filter(action="timebank.station.create")
    assert audits.count() == N
    a = audits.get(object_id=str(s.pk))
    assert (a.object_type, a.after, a.area_path, a.actor_id) == (
        "timebank.station",
        {"name": "驿站00007"},
        s.area_path,
        world.users["community"].pk,
    )
    assert AuditEntry.objects.filter(action="timebank.stations.import").count() == 1


def test_one_bad_station_row_in_all_or_nothing_writes_nothing(world, api):
    station(world, name="驿站00010")  # already in the grid
    rows = _stations()
    rows[1500][2] = "不存在的网格"
    rows[2000][0] = "驿站00003"  # the same station twice in the file
    r = _post(api, world, "stations", STATION_HEADER, rows)
    assert r.status_code == 200, r.content
    assert r.json()["created"] == 0
    assert errors_of(r) == [
        (12, "驿站名称", "龙桥社区第一网格已有同名驿站“驿站00010”"),
        (1502, "所在网格", "未找到网格“不存在的网格”，或不在您的管理范围内"),
        (2002, "驿站名称", "与第5行的驿站重复"),
    ]
    assert Station.objects.count() == 1
    assert (
        not AuditEntry.objects.filter(action="timebank.station.create")
        .exclude(object_repr__startswith="龙桥社区")
        .exclude(after={"name": "驿站00010"})
        .exists()
    )
    r = _post(api, world, "stations", STATION_HEADER, rows, mode="skip_bad")
    assert (r.json()["created"], r.json()["bad_rows"]) == (N - 3, 3)
    assert Station.objects.count() == N - 2


def test_thousands_of_riders_accounts_opened_and_linked(world, api, django_assert_max_num_queries):
    s = station(world, name="龙桥红色驿站")
    member = helper(world, "李红")  # a member's account: linked, marked a party member
    member.phone = "13900000005"
    member.phone_index = registration.crypto.blind_index("phone", "13900000005")
    member.save()
    with django_assert_max_num_queries(260):  # 3,000 rows: 243 on SQLite (see above)
        r = _post(api, world, "riders", RIDER_HEADER, _riders())
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["bad_rows"]) == (N, 0)
    assert len(body["accounts"]) == N - 1
    assert Rider.objects.filter(station=s).count() == N
    linked = Rider.objects.get(user=member)
    assert linked.is_party_member and linked.name == "骑手00005"
    first = body["accounts"][0]
    assert (first["row"], first["username"], first["real_name"]) == (2, "13900000000", "骑手00000")
    user = User.objects.get(pk=first["id"])
    assert (user.kind, user.must_change_password, user.phone) == (
        UserKind.RESIDENT,
        True,
        "13900000000",
    )
    assert user.area == world.nodes["grid"] and user.check_password(first["one_time_password"])
    assert Grant.objects.filter(
        role__code="resident", user__username__startswith="1390"
    ).count() == (N - 1)
    assert AuditEntry.objects.filter(action="user.create").count() == N - 1
    assert (
        AuditEntry.objects.filter(action="timebank.rider.register", note="Excel导入").count() == N
    )
    rider_audit = AuditEntry.objects.get(
        action="timebank.rider.register", object_id=str(Rider.objects.get(user=user).pk)
    )
    assert rider_audit.after == {"kind": "rider", "station_id": s.pk}


def test_one_bad_rider_row_in_all_or_nothing_writes_nothing(world, api):
    station(world, name="龙桥红色驿站")
    users = User.objects.count()
    rows = _riders()
    rows[2500][1] = rows[10][1]  # a number twice in the file
    rows[2999][5] = "没有这个驿站"
    r = _post(api, world, "riders", RIDER_HEADER, rows)
    assert r.json()["created"] == 0 and r.json()["accounts"] == []
    assert errors_of(r) == [
        (2502, "手机号码", "与第12行的手机号码重复"),
        (3001, "报到驿站", "未找到驿站“没有这个驿站”，或不在您的管理范围内"),
    ]
    assert not Rider.objects.exists() and User.objects.count() == users
    assert not AuditEntry.objects.filter(action__in=["user.create", "timebank.rider.register"])
    r = _post(api, world, "riders", RIDER_HEADER, rows, mode="skip_bad")
    assert (r.json()["created"], r.json()["bad_rows"]) == (N - 2, 2)
    assert Rider.objects.count() == N - 2 and User.objects.count() == users + N - 2


def test_a_one_time_password_is_hashed_with_few_rounds_and_rehashed_at_login():
    """A random 12-character one-time password needs no key stretching: a bulk import hashes it
    with few PBKDF2 rounds; the hash still checks, and Django re-hashes it with the configured
    rounds at the login that uses it."""
    hashers = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        encoded = registration._one_time_hash("Abcd-1234-Wxyz")
        assert encoded.startswith(f"pbkdf2_sha256${registration.ONE_TIME_ROUNDS}$")
        assert check_password("Abcd-1234-Wxyz", encoded)
        assert not check_password("Abcd-1234-Wxyy", encoded)
        assert identify_hasher(encoded).must_update(encoded)


def test_a_number_taken_between_the_checks_and_the_write_refuses_the_file(world, api, monkeypatch):
    """Someone opens an account with one of the file's numbers after the rows were checked:
    the unique user name refuses the file with a message, and nothing of it is written."""
    station(world, name="龙桥红色驿站")
    write = imports._write_riders

    def racing(actor, good):
        User.objects.create(username="13900000007", kind=UserKind.RESIDENT)
        return write(actor, good)

    monkeypatch.setattr(imports, "_write_riders", racing)
    r = _post(api, world, "riders", RIDER_HEADER, _riders(20))
    assert r.status_code == 422, r.content
    assert "导入期间有数据被他人登记" in r.json()["detail"]
    assert not Rider.objects.exists() and not User.objects.filter(username="13900000007")
    assert not AuditEntry.objects.filter(action__startswith="timebank.riders")
