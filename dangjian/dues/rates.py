"""The dues calculation (党费, 2008 rules): one pure function, no database.

Rates apply to the WHOLE base (not marginally). In-service (and self-employed, on the average
monthly net income of the previous quarter): ≤3000 → 0.5%, 3000<x≤5000 → 1%, 5000<x≤10000 →
1.5%, >10000 → 2%. Retired: ≤5000 → 0.5%, >5000 → 1%. Farmers pay a flat monthly sum the
province sets (0.2–1 yuan, default 0.50: ``DANGJIAN["DUES"]["FARMER_MONTHLY"]``); students,
the unemployed and members on relief (低保) pay 0.20 a month. Amounts are rounded to the fen,
half up, in ``Decimal`` (never float).

The canonical rate strings are the shortest decimal fractions: ``"0.005"``, ``"0.01"``,
``"0.015"``, ``"0.02"`` (``str`` of the ``Decimal`` constants below); a flat category has no
rate (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from dangjian.core import conf

CENT = Decimal("0.01")
MAX_BASE = Decimal("100000000")  # 1亿元: beyond any monthly pay; keeps the arithmetic exact

IN_SERVICE = "in_service"
SELF_EMPLOYED = "self_employed"
RETIRED = "retired"
FARMER = "farmer"
STUDENT = "student"
UNEMPLOYED = "unemployed"
LOW_INCOME = "low_income"

CATEGORY_LABELS = {
    IN_SERVICE: "在职党员",
    SELF_EMPLOYED: "个体及灵活就业党员",
    RETIRED: "离退休党员",
    FARMER: "农民党员",
    STUDENT: "学生党员",
    UNEMPLOYED: "下岗失业党员",
    LOW_INCOME: "享受低保党员",
}
CATEGORIES = tuple(CATEGORY_LABELS)
FLAT_CATEGORIES = frozenset({FARMER, STUDENT, UNEMPLOYED, LOW_INCOME})

# (upper bound inclusive or None for open, rate) on the whole base.
IN_SERVICE_BRACKETS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal("3000"), Decimal("0.005")),
    (Decimal("5000"), Decimal("0.01")),
    (Decimal("10000"), Decimal("0.015")),
    (None, Decimal("0.02")),
)
RETIRED_BRACKETS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal("5000"), Decimal("0.005")),
    (None, Decimal("0.01")),
)
BRACKETS = {
    IN_SERVICE: IN_SERVICE_BRACKETS,
    SELF_EMPLOYED: IN_SERVICE_BRACKETS,
    RETIRED: RETIRED_BRACKETS,
}

DEFAULTS = {
    "FARMER_MONTHLY": "0.50",
    "FLAT_MONTHLY": "0.20",
    # What a retired member's base is: "total" (the 2008 rules: the whole monthly pension) or
    # "basic" (a later notice: the basic pension). Shown beside the base field.
    "RETIRED_BASE": "total",
    # Funds for the grassroots (Nantong standards).
    "FUND_NEW_ORG": "3000",
    "FUND_PER_MEMBER_YEAR": "300",
    "FUND_SECRETARY_MONTH": "300",
    # Payments ahead or late at most this many months.
    "WINDOW_MONTHS": 6,
    # A single voluntary extra of this much or more is remitted whole to the centre.
    "EXTRA_REMIT_WHOLE": "1000",
    "ARREARS_WARNING": 3,
    "ARREARS_LEAVE": 6,
}
FARMER_MIN = Decimal("0.20")
FARMER_MAX = Decimal("1.00")


def setting(key: str):
    """``settings.DANGJIAN["DUES"][key]`` with the defaults above."""
    return conf.setting(key, DEFAULTS[key], section="DUES")


def farmer_monthly() -> Decimal:
    value = Decimal(str(setting("FARMER_MONTHLY"))).quantize(CENT, ROUND_HALF_UP)
    if not FARMER_MIN <= value <= FARMER_MAX:
        raise ValueError(f"农民党员月交党费应在{FARMER_MIN}至{FARMER_MAX}元之间，当前设置为{value}")
    return value


def flat_monthly(category: str) -> Decimal:
    if category == FARMER:
        return farmer_monthly()
    return Decimal(str(setting("FLAT_MONTHLY"))).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Quote:
    category: str
    base: Decimal
    rate: Decimal | None  # None for the flat categories
    amount: Decimal  # yuan, two places

    @property
    def rate_text(self) -> str | None:
        return None if self.rate is None else str(self.rate)

    @property
    def amount_text(self) -> str:
        return f"{self.amount:.2f}"

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


def parse_category(value) -> str:
    if not isinstance(value, str) or value not in CATEGORY_LABELS:
        allowed = "、".join(f"{c}（{label}）" for c, label in CATEGORY_LABELS.items())
        if value in (None, ""):
            raise ValidationError({"category": [f"请填写党费类别（category），可选：{allowed}"]})
        raise ValidationError({"category": [f"党费类别（category）无效，可选：{allowed}"]})
    return value


def parse_base(value, field: str = "base") -> Decimal:
    """A base in yuan: a decimal string or number, finite, ≥ 0, at most two places."""
    label = f"缴费基数（{field}）"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: [f"请填写{label}，单位元"]})
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValidationError({field: [f"{label}必须是数字，如“4500.00”"]})
    try:
        base = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: [f"{label}必须是数字，如“4500.00”"]}) from None
    if not base.is_finite():
        raise ValidationError({field: [f"{label}必须是有限的数字"]})
    if base < 0:
        raise ValidationError({field: [f"{label}不能为负数"]})
    if base > MAX_BASE:
        raise ValidationError({field: [f"{label}不能超过{MAX_BASE:.0f}元"]})
    if base != base.quantize(CENT, ROUND_HALF_UP):
        raise ValidationError({field: [f"{label}最多保留两位小数（到分）"]})
    return base.quantize(CENT)


def rate_for(category: str, base: Decimal) -> Decimal | None:
    brackets = BRACKETS.get(category)
    if brackets is None:
        return None
    for upper, rate in brackets:
        if upper is None or base <= upper:
            return rate
    raise AssertionError("the last bracket is open")  # pragma: no cover


def dues_quote(category, base) -> Quote:
    """The monthly dues for ``category`` on ``base`` (yuan). Bad input → ValidationError
    naming the field (``category`` or ``base``) in Chinese."""
    errors: dict[str, list[str]] = {}
    cat = base_value = None
    try:
        cat = parse_category(category)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        base_value = parse_base(base)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    assert cat is not None and base_value is not None
    rate = rate_for(cat, base_value)
    if rate is None:
        return Quote(cat, base_value, None, flat_monthly(cat))
    return Quote(cat, base_value, rate, (base_value * rate).quantize(CENT, ROUND_HALF_UP))
