"""Division codes checked against the area's kind and its ancestors (GB/T 2260 and the
statistical division codes of the National Bureau of Statistics).

One function, ``check_area_code``, used wherever an area is written (``territory.services``:
create, update, move) and by the demo generator. A blank code is allowed (a deployment may not
know it); a given code must be:

- city: 6 digits (a prefecture-level ``PPCC00``, a municipality ``PP0000``, or a county-level
  city ``PPCCNN`` at the root of a county-level deployment such as Yong'an);
- county: 6 digits, county part ``01``–``99``;
- street: 12 digits, township part ``001``–``099``, village part ``000``;
- township: 12 digits, township part ``100``–``199`` for a town (名称以“镇”结尾),
  ``200``–``399`` for a township (以“乡”结尾), ``100``–``399`` when the name says neither;
  village part ``000``;
- community (residents' committee): 12 digits, village part ``001``–``199``;
- village (villagers' committee): 12 digits, village part ``200``–``399``;
- grid and unit: no division code of their own (the statistical codes stop at villages).

The parent's prefix: a code must begin with the significant prefix of the nearest ancestor
that has a code (a deployment may leave a level out, or not know an ancestor's code): a
county's 6 digits, a township's or street's first 9, a city's ``PPCC`` (``PP`` for a
municipality, all 6 for a county-level city). So a township right under a county-level city
root starts with the city's 6 digits, and a township under a prefecture-level city whose
county level was left out starts with the city's 4.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from dangjian.core.errors import field_error
from dangjian.core.validators import validate_division_code
from dangjian.territory.models import AreaKind

TOWNSHIP_KINDS = {AreaKind.TOWNSHIP, AreaKind.STREET}
VILLAGE_KINDS = {AreaKind.VILLAGE, AreaKind.COMMUNITY}
NO_CODE_KINDS = {AreaKind.GRID, AreaKind.UNIT}


def township_range(kind: str, name: str = "") -> tuple[int, int, str]:
    """The township part a street, town or township takes, and what it is called."""
    if kind == AreaKind.STREET:
        return 1, 99, _("街道")
    if name.endswith("镇"):
        return 100, 199, _("镇")
    if name.endswith("乡"):
        return 200, 399, _("乡")
    return 100, 399, _("乡镇")


def village_range(kind: str) -> tuple[int, int, str]:
    if kind == AreaKind.COMMUNITY:
        return 1, 199, _("社区（居委会）")
    return 200, 399, _("村（村委会）")


def significant_prefix(kind: str, code: str) -> str:
    """The part of an area's code every descendant's code begins with."""
    if not code:
        return ""
    if kind in TOWNSHIP_KINDS:
        return code[:9]
    if kind in VILLAGE_KINDS:
        return code
    if kind == AreaKind.COUNTY or code[4:6] != "00":
        return code[:6]
    return code[:2] if code[2:4] == "00" else code[:4]


def _error(message: str, **params) -> ValidationError:
    return field_error("code", message % params if params else message, code="division_code")


def check_area_code(
    *, kind: str, code: str, name: str = "", ancestors: Iterable[tuple[str, str]] = ()
) -> None:
    """Refuse ``code`` (field ``code``) when it does not fit an area of ``kind`` named ``name``
    under ``ancestors`` (``(kind, code)`` pairs, root first). A blank code passes."""
    if not code:
        return
    if kind in NO_CODE_KINDS:
        raise _error(_("%(kind)s没有行政区划代码，请留空"), kind=AreaKind(kind).label)
    try:
        validate_division_code(code)
    except ValidationError as exc:
        raise field_error("code", exc.messages[0], code="division_code") from exc
    if kind in (AreaKind.CITY, AreaKind.COUNTY):
        if len(code) != 6:
            raise _error(_("%(kind)s的区划代码应为6位"), kind=AreaKind(kind).label)
        if kind == AreaKind.COUNTY and code[4:6] == "00":
            raise _error(_("县(区)的区划代码末两位（县级代码）应在01至99之间"))
    else:
        if len(code) != 12:
            raise _error(_("%(kind)s的区划代码应为12位"), kind=AreaKind(kind).label)
        township, village = int(code[6:9]), int(code[9:12])
        if kind in TOWNSHIP_KINDS:
            low, high, label = township_range(kind, name)
            if not low <= township <= high:
                raise _error(
                    _("%(label)s的区划代码第7至9位应在%(low)03d至%(high)03d之间"),
                    label=label,
                    low=low,
                    high=high,
                )
            if village != 0:
                raise _error(_("%(label)s的区划代码末三位应为000"), label=label)
        else:
            low, high, label = village_range(kind)
            if township == 0:
                raise _error(_("%(label)s的区划代码第7至9位（乡级代码）不能为000"), label=label)
            if not low <= village <= high:
                raise _error(
                    _("%(label)s的区划代码末三位应在%(low)03d至%(high)03d之间"),
                    label=label,
                    low=low,
                    high=high,
                )
    coded = [(k, c) for k, c in ancestors if c]
    if coded:
        parent_kind, parent_code = coded[-1]
        prefix = significant_prefix(parent_kind, parent_code)
        if parent_kind in VILLAGE_KINDS:
            raise _error(_("村和社区之下的区域没有行政区划代码，请留空"))
        if not code.startswith(prefix) or code == parent_code:
            raise _error(
                _("区划代码应以上级%(parent)s的区划代码%(prefix)s开头"),
                parent=AreaKind(parent_kind).label,
                prefix=prefix,
            )


def ancestry_of(parent) -> list[tuple[str, str]]:
    """``(kind, code)`` of ``parent`` and the areas above it, root first, by following
    ``parent`` links in memory (the demo builder's unsaved areas)."""
    chain = []
    while parent is not None:
        chain.append((parent.kind, parent.code))
        parent = parent.parent
    return chain[::-1]
