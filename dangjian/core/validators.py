"""Validators for the codes the platform stores (see DOMAIN.md, "Codes").

Each raises ``ValidationError`` with a specific Chinese message and a ``code``, and returns
None for valid input.
"""

from __future__ import annotations

import datetime as dt
import operator
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.months import add_years

# --- ID numbers (GB 11643) -----------------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_MIN_BIRTH = dt.date(1900, 1, 1)

_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_ID15_RE = re.compile(r"^\d{15}$")


def id_number_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != len(ID_WEIGHTS):
        raise ValueError("需要身份证号码的前17位")
    total = sum(map(operator.mul, map(int, first17), ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def _today() -> dt.date:
    return timezone.localdate()


def _birth_digits(value: str) -> str:
    if _ID15_RE.match(value):
        return "19" + value[6:12]
    return value[6:14]


def id_number_birth_date(value: str) -> dt.date:
    """The birth date an ID number carries (18 digits, or the old 15-digit form)."""
    value = (value or "").strip()
    if not (_ID_RE.match(value) or _ID15_RE.match(value)):
        raise ValidationError(_("身份证号码格式错误"), code="id_number_format")
    digits = _birth_digits(value)
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationError(_("身份证号码出生日期无效"), code="id_number_birth_date") from None
    return born


def id_number_gender(value: str) -> str:
    """``"male"`` or ``"female"`` from the sequence digit (odd is male)."""
    value = (value or "").strip()
    if _ID_RE.match(value):
        digit = value[16]
    elif _ID15_RE.match(value):
        digit = value[14]
    else:
        raise ValidationError(_("身份证号码格式错误"), code="id_number_format")
    return "male" if int(digit) % 2 == 1 else "female"


def validate_id_number(value, *, today: dt.date | None = None) -> None:
    """An 18-character GB 11643 number: 17 digits, a valid birth date, a right check digit.
    ``today``: the date a birth may not be after (default the local date; a bulk check passes
    it once instead of reading the clock and time zone per number)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if len(text) != 18:
        if _ID15_RE.match(text):
            raise ValidationError(
                _("身份证号码应为18位，15位旧号码请换用18位号码"), code="id_number_length"
            )
        raise ValidationError(_("身份证号码应为18位"), code="id_number_length")
    if not _ID_RE.match(text):
        raise ValidationError(
            _("身份证号码格式错误：前17位应为数字，最后一位为数字或X"), code="id_number_format"
        )
    born = id_number_birth_date(text)
    if born < ID_MIN_BIRTH or born > (today or _today()):
        raise ValidationError(_("身份证号码出生日期无效"), code="id_number_birth_date")
    expected = id_number_check_digit(text[:17])
    if text[17].upper() != expected:
        raise ValidationError(
            _("身份证号码校验位错误，应为%(expected)s"),
            code="id_number_check_digit",
            params={"expected": expected},
        )


# --- Unified social credit codes (GB 32100) ------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARS)}


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    check = 31 - total % 31
    return USCC_CHARS[0 if check == 31 else check]


def validate_uscc(value, *, override_reason: str = "") -> None:
    """An 18-character GB 32100 code. With ``override_reason`` a wrong check character is
    accepted (some old legal codes fail it); a wrong length or character never is."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = text.upper()
    if len(text) != 18:
        raise ValidationError(_("统一社会信用代码应为18位"), code="uscc_length")
    bad = sorted({c for c in text if c not in _USCC_VALUES})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有无效字符：%(chars)s（不使用I、O、S、V、Z）"),
            code="uscc_charset",
            params={"chars": "、".join(bad)},
        )
    expected = uscc_check_char(text[:17])
    if text[17] != expected and not (override_reason or "").strip():
        raise ValidationError(
            _("统一社会信用代码校验位错误，应为%(expected)s；如确为旧代码，请填写例外原因"),
            code="uscc_check_digit",
            params={"expected": expected},
        )


CREDIT_REASON_MAX = 200


def clean_credit_code(
    code,
    *,
    override: bool = False,
    override_reason: str = "",
    field: str = "credit_code",
    reason_field: str = "credit_code_override_reason",
) -> tuple[str, str]:
    """What a service calls wherever a unit or an organization records a unified social credit
    code: answers ``(code, reason)`` to store, upper-cased and stripped, or raises a
    ValidationError keyed by ``field`` / ``reason_field``.

    A blank code is allowed (answers ``("", "")``). ``override`` (the form's "the check
    character is wrong but the code is real" box) accepts a wrong check character only, and
    only with a reason of at most 200 characters; the reason is kept only while it is needed
    (an override of a code that passes anyway stores no reason)."""
    text = ("" if code is None else str(code)).strip().upper()
    reason = (override_reason or "").strip()
    if not text:
        return "", ""
    if override and not reason:
        raise ValidationError(
            {reason_field: [ValidationError(_("请填写例外原因"), code="uscc_reason")]}
        )
    if len(reason) > CREDIT_REASON_MAX:
        raise ValidationError(
            {
                reason_field: [
                    ValidationError(
                        _("例外原因不能超过%(n)s个字"),
                        code="uscc_reason",
                        params={"n": CREDIT_REASON_MAX},
                    )
                ]
            }
        )
    try:
        validate_uscc(text, override_reason=reason if override else "")
    except ValidationError as exc:
        raise ValidationError({field: [exc]}) from exc
    passes = uscc_check_char(text[:17]) == text[17]
    return text, ("" if passes else reason)


# --- Mobile numbers ------------------------------------------------------------------------

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(value) -> None:
    """A mainland mobile number: 11 digits starting 13–19."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if not text.isascii() or not text.isdigit() or len(text) != 11:
        raise ValidationError(_("手机号码应为11位数字"), code="mobile_format")
    if not _MOBILE_RE.match(text):
        raise ValidationError(_("手机号码应以13至19开头"), code="mobile_prefix")


_LANDLINE_RE = re.compile(r"^0\d{2,3}-?[1-9]\d{6,7}(?:-\d{1,6})?$")
_SERVICE_RE = re.compile(r"^(?:[48]00-?\d{3}-?\d{4}|1\d{4}|9\d{4})$")


def validate_phone(value) -> None:
    """Any phone an organization or a department may give: a mobile number, a landline with
    its area code (``0594-2345678``, an extension after a second dash), a 400/800 number or a
    five-digit service number (12345)."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = text.strip()
    if not text.isascii():
        raise ValidationError(_("电话号码应为数字，区号与号码之间可用“-”分隔"), code="phone_format")
    if _MOBILE_RE.match(text) or _LANDLINE_RE.match(text) or _SERVICE_RE.match(text):
        return
    if text.isdigit() and len(text) == 11 and text.startswith("1"):
        raise ValidationError(_("手机号码应以13至19开头"), code="mobile_prefix")
    raise ValidationError(
        _("电话号码格式错误：手机号码为11位数字，固定电话须带区号（如0594-2345678）"),
        code="phone_format",
    )


# --- Administrative division codes ---------------------------------------------------------

PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37}
    | {41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82}
)
_DIGITS_RE = re.compile(r"^\d+$")


def validate_division_code(value) -> None:
    """A 6-digit county-level code or a 12-digit statistical code.

    6 digits: province (a real province code), prefecture, county; ``00`` tails for higher
    levels. 12 digits: the same 6, then township ``001``–``399`` and village ``001``–``399``,
    or ``000`` for a township (and ``000000`` for a county or higher).
    """
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    if len(text) not in (6, 12) or not text.isascii() or not _DIGITS_RE.match(text):
        raise ValidationError(_("行政区划代码应为6位或12位数字"), code="division_format")
    if int(text[:2]) not in PROVINCE_CODES:
        raise ValidationError(
            _("行政区划代码的省级代码%(code)s不存在"),
            code="division_province",
            params={"code": text[:2]},
        )
    if text[2:4] == "00" and text[4:6] != "00":
        raise ValidationError(
            _("行政区划代码无效：地级代码为00时县级代码也应为00"), code="division_prefecture"
        )
    if len(text) == 6:
        return
    township, village = int(text[6:9]), int(text[9:12])
    if township == 0:
        if village != 0:
            raise ValidationError(
                _("行政区划代码无效：乡级代码为000时村级代码也应为000"), code="division_township"
            )
        return
    if text[2:4] == "00":
        raise ValidationError(
            _("行政区划代码无效：省级代码下不能直接设乡级代码"), code="division_township"
        )
    # A prefecture-level city without counties (Dongguan 441900, Zhongshan 442000) has
    # townships right under it, so a ``00`` county part may carry a township part.
    if township > 399:
        raise ValidationError(_("行政区划代码的乡级代码应在001至399之间"), code="division_township")
    if village > 399:
        raise ValidationError(
            _("行政区划代码的村级代码应在001至399之间（乡级单位为000）"), code="division_village"
        )


# --- dates a user types ----------------------------------------------------------------------

# A party record is never dated before the party was founded; a birth date never before 1900
# (as ID numbers); a planned date at most a few years ahead; a search filter within the
# working-day horizon. Past the bounds a date is a typo (0001-01-01, 9999-12-31), answered as
# a 422 naming the field before any arithmetic on it can overflow.
PARTY_FOUNDED = dt.date(1921, 7, 1)
BIRTH_FLOOR = ID_MIN_BIRTH
PLAN_YEARS = 10
FILTER_FLOOR = dt.date(1900, 1, 1)
FILTER_CEILING = dt.date(2199, 12, 31)


def fmt_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def plan_ceiling(today: dt.date | None = None) -> dt.date:
    """The latest planned date: ``PLAN_YEARS`` years after today."""
    today = today or _today()
    return add_years(today, PLAN_YEARS)


def date_range_message(
    value: dt.date | dt.datetime, *, earliest=None, latest=None, label="日期"
) -> str:
    """Why ``value`` is out of ``[earliest, latest]`` ("" when it is within)."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if earliest is not None and day < earliest:
        return f"{label}不能早于{fmt_date(earliest)}"
    if latest is not None and day > latest:
        if latest == _today():
            return f"{label}不能晚于今天（{fmt_date(latest)}）"
        return f"{label}不能晚于{fmt_date(latest)}"
    return ""


def validate_date_in_range(value, *, field: str, earliest=None, latest=None, label="日期") -> None:
    """Raise a ``ValidationError`` on ``field`` when the date is out of bounds (None passes)."""
    if value is None:
        return
    message = date_range_message(value, earliest=earliest, latest=latest, label=str(label))
    if message:
        raise ValidationError({field: [ValidationError(message, code="date_range")]})


def parse_date_field(value, *, field: str, label="日期") -> dt.date | None:
    """A date typed as ``YYYY-MM-DD`` (or already a date); None for empty."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(
            {field: [ValidationError(f"{label}格式应为YYYY-MM-DD", code="date_format")]}
        ) from None


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value, *, field: str = "period", label="期间") -> dt.date | None:
    """A month typed as ``YYYY-MM`` (2000 to 2100) as its first day; None for empty. The one
    reading of a period the dashboard and the lists behind its figures share."""
    if value in (None, ""):
        return None
    m = _MONTH.fullmatch(str(value).strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationError(
            {
                field: [
                    ValidationError(
                        f"{label}格式应为 YYYY-MM，如 2026-11（2000年至2100年）",
                        code="month_format",
                    )
                ]
            }
        )
    return dt.date(int(m.group(1)), int(m.group(2)), 1)
