"""POST /api/v1/dues/quote: the exact public contract."""

import json

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/dues/quote"


@pytest.mark.parametrize(
    ("body", "rate", "amount"),
    [
        ({"category": "in_service", "base": "3000"}, "0.005", "15.00"),
        ({"category": "in_service", "base": "3000.01"}, "0.01", "30.00"),
        ({"category": "in_service", "base": "5000.01"}, "0.015", "75.00"),
        ({"category": "in_service", "base": "10000.01"}, "0.02", "200.00"),
        ({"category": "in_service", "base": "1001"}, "0.005", "5.01"),
        ({"category": "retired", "base": "5000"}, "0.005", "25.00"),
        ({"category": "retired", "base": "5000.01"}, "0.01", "50.00"),
        ({"category": "self_employed", "base": "4000"}, "0.01", "40.00"),
        ({"category": "farmer", "base": "0"}, None, "0.50"),
        ({"category": "student", "base": "0"}, None, "0.20"),
        ({"category": "unemployed", "base": "1200"}, None, "0.20"),
        ({"category": "low_income", "base": "800"}, None, "0.20"),
        ({"category": "in_service", "base": 4500}, "0.01", "45.00"),
    ],
)
def test_quote(world, api, body, rate, amount):
    r = api.post(world.users["member"], URL, body)
    assert r.status_code == 200, r.content
    assert r.json() == {"rate": rate, "amount": amount}


def test_any_signed_in_user_may_quote(world, api):
    for key in ("nobody", "resident", "grid", "street3", "admin"):
        r = api.post(world.users[key], URL, {"category": "in_service", "base": "3000"})
        assert r.status_code == 200, (key, r.content)


def test_anonymous_gets_401(world, api):
    r = api.post(None, URL, {"category": "in_service", "base": "3000"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "in_service", "base": "-1"}, "base"),
        ({"category": "in_service", "base": "abc"}, "base"),
        ({"category": "in_service", "base": "NaN"}, "base"),
        ({"category": "in_service", "base": "Infinity"}, "base"),
        ({"category": "in_service", "base": "-Infinity"}, "base"),
        ({"category": "in_service"}, "base"),
        ({"category": "in_service", "base": None}, "base"),
        ({"category": "in_service", "base": True}, "base"),
        ({"category": "in_service", "base": {"v": 1}}, "base"),
        ({"category": "in_service", "base": "1.234"}, "base"),
        ({"category": "soldier", "base": "100"}, "category"),
        ({"base": "100"}, "category"),
        ({"category": ["in_service"], "base": "100"}, "category"),
    ],
)
def test_bad_input_is_422_in_chinese_naming_the_field(world, api, body, field):
    r = api.post(world.users["member"], URL, body)
    assert r.status_code == 422, r.content
    data = r.json()
    assert field in data["errors"], data
    assert f"（{field}）" in data["detail"]
    assert any("\u4e00" <= c <= "\u9fff" for c in data["detail"])


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"x"', "", "{"])
def test_malformed_bodies_are_422(world, api, raw):
    r = api.post(world.users["member"], URL, raw=raw)
    assert r.status_code == 422, (raw, r.status_code, r.content)
    assert any("\u4e00" <= c <= "\u9fff" for c in r.json()["detail"])


def test_nan_as_a_json_number_is_422(world, api):
    r = api.post(
        world.users["member"],
        URL,
        raw=json.dumps({"category": "in_service"})[:-1] + ', "base": NaN}',
    )
    assert r.status_code == 422, r.content
