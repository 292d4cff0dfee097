import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.validators import (
    ID_CHECK_CHARS,
    id_number_birth_date,
    id_number_check_digit,
    id_number_gender,
    uscc_check_char,
    validate_division_code,
    validate_id_number,
    validate_mobile,
    validate_phone,
    validate_uscc,
)


def _error(fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    return info.value


# --- ID numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["11010519491231002X", "11010519491231002x", "440524198001010013", "350102199001011238"],
)
def test_valid_id_numbers(value):
    assert validate_id_number(value) is None


def test_wrong_check_digit_names_the_right_one():
    err = _error(validate_id_number, "110105194912310021")
    assert err.code == "id_number_check_digit"
    assert err.messages == ["身份证号码校验位错误，应为X"]


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("11010519491231002", "id_number_length", "身份证号码应为18位"),
        ("", "id_number_length", "身份证号码应为18位"),
        ("110105491231002", "id_number_length", "身份证号码应为18位，15位旧号码请换用18位号码"),
        ("11010519491231002Y", "id_number_format", None),
        ("1101051949123100X2", "id_number_format", None),
        ("110105194902300025", "id_number_birth_date", "身份证号码出生日期无效"),
        ("110105189912310025", "id_number_birth_date", "身份证号码出生日期无效"),
    ],
)
def test_invalid_id_numbers(value, code, message):
    err = _error(validate_id_number, value)
    assert err.code == code
    if message:
        assert err.messages == [message]


def test_birth_date_in_the_future_is_invalid():
    future = dt.date.today() + dt.timedelta(days=400)
    first17 = "350102" + future.strftime("%Y%m%d") + "123"
    err = _error(validate_id_number, first17 + id_number_check_digit(first17))
    assert err.code == "id_number_birth_date"


def test_birth_date_and_gender():
    assert id_number_birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert id_number_gender("11010519491231002X") == "female"
    assert id_number_gender("440524198001010013") == "male"
    assert id_number_birth_date("350102900101123") == dt.date(1990, 1, 1)
    assert id_number_gender("350102900101123") == "male"
    assert _error(id_number_birth_date, "abc").code == "id_number_format"


@st.composite
def id_bodies(draw):
    area = draw(st.sampled_from(["110105", "350302", "440524", "650102", "810000"]))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)))
    seq = draw(st.integers(min_value=0, max_value=999))
    return f"{area}{born:%Y%m%d}{seq:03d}"


@given(id_bodies())
def test_any_body_with_its_computed_check_digit_validates(body):
    assert validate_id_number(body + id_number_check_digit(body)) is None


@given(id_bodies(), st.integers(min_value=1, max_value=10))
def test_any_other_check_digit_fails(body, shift):
    right = id_number_check_digit(body)
    wrong = ID_CHECK_CHARS[(ID_CHECK_CHARS.index(right) + shift) % 11]
    err = _error(validate_id_number, body + wrong)
    assert err.code == "id_number_check_digit"
    assert err.messages == [f"身份证号码校验位错误，应为{right}"]


# --- Unified social credit codes -----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["91350100M000100Y43", "91110000600037341L", "91350100m000100y43"]
)
def test_valid_uscc(value):
    assert validate_uscc(value) is None


def test_uscc_wrong_check_char():
    err = _error(validate_uscc, "91350100M000100Y44")
    assert err.code == "uscc_check_digit"
    assert "应为3" in err.messages[0]


def test_uscc_override_accepts_a_wrong_check_char_only():
    assert validate_uscc("91350100M000100Y44", override_reason="旧法人代码转换") is None
    assert _error(validate_uscc, "91350100M000100Y44", override_reason="  ").code == (
        "uscc_check_digit"
    )
    err = _error(validate_uscc, "91350100M000100Y4", override_reason="旧代码")
    assert err.code == "uscc_length"
    err = _error(validate_uscc, "91350100M000100YO3", override_reason="旧代码")
    assert err.code == "uscc_charset"
    assert "O" in err.messages[0]


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_uscc_computed_check_char_validates(body):
    assert validate_uscc(body + uscc_check_char(body)) is None


# --- Mobile and other phones ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "15000000000"])
def test_valid_mobiles(value):
    assert validate_mobile(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("12812345678", "mobile_prefix"),
        ("1381234567", "mobile_format"),
        ("138123456789", "mobile_format"),
        ("138-1234-5678", "mobile_format"),
        ("１３８１２３４５６７８", "mobile_format"),
        ("", "mobile_format"),
    ],
)
def test_invalid_mobiles(value, code):
    err = _error(validate_mobile, value)
    assert err.code == code
    assert err.messages[0].startswith("手机号码")


@pytest.mark.parametrize(
    "value",
    ["13812345678", "0594-2345678", "05942345678", "010-12345678-801", "400-123-4567", "12345"],
)
def test_valid_phones(value):
    assert validate_phone(value) is None


@pytest.mark.parametrize("value", ["2345678", "0594-0345678", "abc", "12812345678"])
def test_invalid_phones(value):
    assert _error(validate_phone, value).code in {"phone_format", "mobile_prefix"}


# --- Division codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "350000",  # province
        "350300",  # prefecture
        "350302",  # county
        "110101",
        "710000",
        "820000",
        "350302000000",  # county, 12 digits
        "350302001000",  # street
        "350302101000",  # town
        "350302001001",  # residents' committee
        "350302201399",  # villagers' committee
        "441900003000",  # township under a city without counties
    ],
)
def test_valid_division_codes(value):
    assert validate_division_code(value) is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("35030", "division_format"),
        ("3503020010", "division_format"),
        ("35030A", "division_format"),
        ("990000", "division_province"),
        ("100000", "division_province"),
        ("660101", "division_province"),
        ("350001", "division_prefecture"),
        ("350302400000", "division_township"),
        ("350302000001", "division_township"),
        ("350000001000", "division_township"),
        ("350302001400", "division_village"),
    ],
)
def test_invalid_division_codes(value, code):
    err = _error(validate_division_code, value)
    assert err.code == code
    assert "行政区划代码" in err.messages[0]
