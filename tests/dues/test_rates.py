"""The dues brackets: every edge on both sides, rounding half up, flat categories, bad input."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dangjian.dues.rates import dues_quote

D = Decimal


@pytest.mark.parametrize(
    ("category", "base", "rate", "amount"),
    [
        # in-service, on the whole base
        ("in_service", "0", "0.005", "0.00"),
        ("in_service", "0.01", "0.005", "0.00"),
        ("in_service", "3000", "0.005", "15.00"),
        ("in_service", "3000.00", "0.005", "15.00"),
        ("in_service", "3000.01", "0.01", "30.00"),
        ("in_service", "5000", "0.01", "50.00"),
        ("in_service", "5000.01", "0.015", "75.00"),
        ("in_service", "10000", "0.015", "150.00"),
        ("in_service", "10000.01", "0.02", "200.00"),
        ("in_service", "25000", "0.02", "500.00"),
        # self-employed: the in-service brackets on last quarter's average income
        ("self_employed", "3000", "0.005", "15.00"),
        ("self_employed", "3000.01", "0.01", "30.00"),
        ("self_employed", "10000.01", "0.02", "200.00"),
        # retired
        ("retired", "0", "0.005", "0.00"),
        ("retired", "5000", "0.005", "25.00"),
        ("retired", "5000.01", "0.01", "50.00"),
        ("retired", "12000", "0.01", "120.00"),
    ],
)
def test_brackets(category, base, rate, amount):
    q = dues_quote(category, base)
    assert q.rate_text == rate
    assert q.amount_text == amount
    assert q.amount == D(amount)


@pytest.mark.parametrize(
    ("base", "amount"),
    [
        ("1001", "5.01"),  # 5.005 → 5.01: half up, not half even
        ("1003", "5.02"),  # 5.015 → 5.02
        ("999", "5.00"),  # 4.995 → 5.00
        ("1000.99", "5.00"),  # 5.00495 → 5.00
        ("3500.50", "35.01"),  # 35.005 → 35.01
        ("6000.30", "90.00"),  # 90.0045 → 90.00
        ("6000.34", "90.01"),  # 90.0051 → 90.01
    ],
)
def test_rounding_half_up_to_the_fen(base, amount):
    assert dues_quote("in_service", base).amount_text == amount


@pytest.mark.parametrize(
    ("category", "amount"),
    [("farmer", "0.50"), ("student", "0.20"), ("unemployed", "0.20"), ("low_income", "0.20")],
)
def test_flat_categories_have_no_rate(category, amount):
    for base in ("0", "8000"):
        q = dues_quote(category, base)
        assert q.rate is None and q.rate_text is None
        assert q.amount_text == amount


def test_farmer_amount_is_a_setting_within_its_range(settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "DUES": {"FARMER_MONTHLY": "1.00"}}
    assert dues_quote("farmer", "0").amount_text == "1.00"
    settings.DANGJIAN = {**settings.DANGJIAN, "DUES": {"FARMER_MONTHLY": "0.20"}}
    assert dues_quote("farmer", "0").amount_text == "0.20"
    settings.DANGJIAN = {**settings.DANGJIAN, "DUES": {"FARMER_MONTHLY": "1.50"}}
    with pytest.raises(ValueError, match=r"0\.20至1\.00"):
        dues_quote("farmer", "0")


@pytest.mark.parametrize(
    ("category", "base", "field", "words"),
    [
        ("in_service", "-1", "base", "负数"),
        ("in_service", "-0.01", "base", "负数"),
        ("in_service", "abc", "base", "数字"),
        ("in_service", "NaN", "base", "有限"),
        ("in_service", "Infinity", "base", "有限"),
        ("in_service", "-Infinity", "base", "有限"),
        ("in_service", None, "base", "请填写"),
        ("in_service", "", "base", "请填写"),
        ("in_service", True, "base", "数字"),
        ("in_service", [1], "base", "数字"),
        ("in_service", "100.001", "base", "两位小数"),
        ("in_service", "1e12", "base", "不能超过"),
        ("pensioner", "100", "category", "无效"),
        (None, "100", "category", "请填写"),
        (3, "100", "category", "无效"),
    ],
)
def test_bad_input_names_the_field_in_chinese(category, base, field, words):
    with pytest.raises(ValidationError) as exc:
        dues_quote(category, base)
    messages = exc.value.message_dict[field]
    assert any(words in m for m in messages), messages
    assert any(f"（{field}）" in m for m in messages), messages


def test_numbers_as_json_numbers():
    assert dues_quote("in_service", 4000).amount_text == "40.00"
    assert dues_quote("in_service", 4000.5).amount_text == "40.01"  # 40.005 → 40.01


BRACKETS = [(D("3000"), D("0.005")), (D("5000"), D("0.01")), (D("10000"), D("0.015"))]


def _expected_rate(base: Decimal) -> Decimal:
    for upper, rate in BRACKETS:
        if base <= upper:
            return rate
    return D("0.02")


@given(cents=st.integers(min_value=0, max_value=10_000_000_00))
def test_property_amount_is_base_times_rate_half_up(cents):
    base = D(cents) / 100
    q = dues_quote("in_service", f"{base:.2f}")
    rate = _expected_rate(base)
    assert q.rate == rate
    exact = base * rate
    # Half up for a non-negative amount: floor(exact × 100 + ½) fen, computed independently.
    fen = int((exact * 100 + D("0.5")).to_integral_value(rounding="ROUND_FLOOR"))
    assert q.amount == D(fen) / 100
    assert q.amount == q.amount.quantize(D("0.01"))


@given(
    a=st.integers(min_value=0, max_value=10_000_000),
    b=st.integers(min_value=0, max_value=10_000_000),
)
def test_property_more_pay_never_pays_less(a, b):
    low, high = sorted((D(a) / 100, D(b) / 100))
    for category in ("in_service", "retired"):
        assert dues_quote(category, low).amount <= dues_quote(category, high).amount
