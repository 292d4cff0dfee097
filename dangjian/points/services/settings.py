"""A scheme's settings: the scheme, its rules and its catalogue. Every change audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from dangjian.core import audit, scope
from dangjian.core.validation import Errors, clean_text, one_line
from dangjian.organizations.models import PartyOrg
from dangjian.points.models import (
    Audience,
    CapPeriod,
    Item,
    ListKind,
    NameDisplay,
    Rule,
    Scheme,
    Source,
)
from dangjian.territory.models import Area, AreaKind

MANAGE = "points.manage"
MAX_POINTS = Decimal("100000")


def points_value(errors: Errors, field: str, value, *, allow_none=False, positive=True):
    """A number of points (two places at most, positive, below ``MAX_POINTS``) or an error."""
    if value in (None, ""):
        if not allow_none:
            errors.add(field, "此项为必填项")
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, f"积分必须是数字：{value}")
        return None
    if not d.is_finite() or d != d.quantize(Decimal("0.01")):
        errors.add(field, "积分最多保留两位小数")
        return None
    if positive and d <= 0:
        errors.add(field, "积分必须大于零")
        return None
    if abs(d) >= MAX_POINTS:
        errors.add(field, f"积分不能超过{MAX_POINTS}")
        return None
    return d


def _choice(errors: Errors, field: str, value, choices, default=None):
    if value in (None, "") and default is not None:
        return default
    if value not in choices.values:
        labels = "、".join(f"{v}（{label}）" for v, label in choices.choices)
        errors.add(field, f"可选值：{labels}")
        return None
    return value


def _snapshot(obj, fields) -> dict:
    return {f: str(getattr(obj, f)) for f in fields}


SCHEME_FIELDS = ("name", "name_display", "star_count", "active")
RULE_FIELDS = (
    "name",
    "category",
    "list_kind",
    "points",
    "source",
    "evidence_required",
    "cap",
    "cap_period",
    "active",
)
ITEM_FIELDS = ("name", "description", "price", "stock", "active")


def _scheme_fields(errors: Errors, data: dict, scheme: Scheme) -> None:
    if "name" in data or scheme.pk is None:
        name = one_line(data.get("name"))[:100]
        if not name:
            errors.add("name", "请填写方案名称")
        scheme.name = name
    if "name_display" in data:
        scheme.name_display = _choice(
            errors, "name_display", data["name_display"], NameDisplay, NameDisplay.SURNAME
        )
    if "star_count" in data:
        try:
            n = int(data["star_count"])
        except (TypeError, ValueError):
            n = -1
        if not 0 <= n <= 100:
            errors.add("star_count", "积分明星人数必须在0到100之间")
        scheme.star_count = n
    if "active" in data:
        scheme.active = bool(data["active"])


def _visible(model, actor, pk):
    """The node ``pk`` names (None when none is named); out of the actor's reach reads 404."""
    if pk in (None, ""):
        return None
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    node = model.objects.visible_to(actor, "points.view").filter(pk=pk).first()
    if node is None:
        raise Http404("未找到")
    return node


@transaction.atomic
def scheme_create(*, actor, data: dict) -> Scheme:
    """A residents' scheme for a village or community (``area_id``) or a members' scheme for a
    party organization (``org_id``)."""
    errors = Errors()
    audience = _choice(errors, "audience", data.get("audience"), Audience)
    scheme = Scheme(audience=audience or "")
    if audience == Audience.RESIDENTS:
        area = _visible(Area, actor, data.get("area_id"))
        if area is None:
            errors.add("area_id", "请选择村(社区)")
        elif area.kind not in (AreaKind.VILLAGE, AreaKind.COMMUNITY):
            errors.add("area_id", "居民积分方案只能设在村或社区")
        else:
            scheme.area, scheme.area_path = area, area.path
    elif audience == Audience.MEMBERS:
        org = (
            PartyOrg.objects.visible_to(actor, "points.view").filter(pk=data.get("org_id")).first()
        )
        if org is None:
            errors.add("org_id", "请选择党组织")
        else:
            scheme.org, scheme.org_path, scheme.area_path = org, org.path, org.area_path
    _scheme_fields(errors, data, scheme)
    errors.check()
    scheme.save()
    if not scope.is_visible(scheme, actor, MANAGE):
        raise scope.Forbidden("您没有管理该积分方案的权限")
    audit.record(
        actor=actor,
        action="points.scheme_create",
        obj=scheme,
        after=_snapshot(scheme, SCHEME_FIELDS),
    )
    return scheme


def _update(kind: str, *, actor, pk: int, data: dict):
    """The one update of a scheme's settings (``kind``: the scheme, a rule, an item): under
    the row's lock, its fields' checker sets what ``data`` names, and the change is audited
    as ``points.<kind>_update`` with what it changed."""
    model, fill, fields = _SETTINGS[kind]
    obj = scope.get_visible(
        model.objects.select_for_update(), actor, MANAGE, view_action="points.view", pk=pk
    )
    before = _snapshot(obj, fields)
    errors = Errors()
    fill(errors, data, obj)
    errors.check()
    obj.save()
    b, a = audit.diff(before, _snapshot(obj, fields))
    audit.record(actor=actor, action=f"points.{kind}_update", obj=obj, before=b, after=a)
    return obj


def _create_in(kind: str, *, actor, scheme_id: int, data: dict):
    """A rule or an item of a scheme the actor manages, audited as ``points.<kind>_create``."""
    model, fill, fields = _SETTINGS[kind]
    scheme = scope.get_visible(Scheme, actor, MANAGE, view_action="points.view", pk=scheme_id)
    obj = model(scheme=scheme, area_path=scheme.area_path, org_path=scheme.org_path)
    errors = Errors()
    fill(errors, data, obj)
    errors.check()
    obj.save()
    audit.record(actor=actor, action=f"points.{kind}_create", obj=obj, after=_snapshot(obj, fields))
    return obj


@transaction.atomic
def scheme_update(*, actor, scheme_id: int, data: dict) -> Scheme:
    return _update("scheme", actor=actor, pk=scheme_id, data=data)


def _rule_fields(errors: Errors, data: dict, rule: Rule) -> None:
    new = rule.pk is None
    if "name" in data or new:
        rule.name = one_line(data.get("name"))[:100]
        if not rule.name:
            errors.add("name", "请填写规则名称")
    if "category" in data or new:
        rule.category = one_line(data.get("category"))[:50]
        if not rule.category:
            errors.add("category", "请填写类别")
    if "list_kind" in data or new:
        rule.list_kind = _choice(errors, "list_kind", data.get("list_kind"), ListKind, ListKind.RED)
    if "points" in data or new:
        rule.points = points_value(errors, "points", data.get("points"))
    if "source" in data or new:
        rule.source = _choice(errors, "source", data.get("source"), Source, Source.MANUAL)
    if "evidence_required" in data:
        rule.evidence_required = bool(data["evidence_required"])
    if "cap" in data:
        rule.cap = points_value(errors, "cap", data["cap"], allow_none=True)
    if "cap_period" in data or new:
        rule.cap_period = _choice(
            errors, "cap_period", data.get("cap_period"), CapPeriod, CapPeriod.MONTH
        )
    if "active" in data:
        rule.active = bool(data["active"])
    if rule.source != Source.MANUAL and rule.list_kind == ListKind.BLACK:
        errors.add("list_kind", "自动采集的规则只能加分；扣分须人工申报并经评议")
    if rule.source != Source.MANUAL and rule.evidence_required:
        errors.add("evidence_required", "自动采集的规则以来源记录为佐证，不能要求另行提供")


@transaction.atomic
def rule_create(*, actor, scheme_id: int, data: dict) -> Rule:
    return _create_in("rule", actor=actor, scheme_id=scheme_id, data=data)


@transaction.atomic
def rule_update(*, actor, rule_id: int, data: dict) -> Rule:
    return _update("rule", actor=actor, pk=rule_id, data=data)


def _item_fields(errors: Errors, data: dict, item: Item) -> None:
    new = item.pk is None
    if "name" in data or new:
        item.name = one_line(data.get("name"))[:100]
        if not item.name:
            errors.add("name", "请填写物品名称")
    if "description" in data:
        item.description = clean_text(data["description"], 300)
    if "price" in data or new:
        item.price = points_value(errors, "price", data.get("price"))
    if "stock" in data or new:
        try:
            stock = int(data.get("stock", 0))
        except (TypeError, ValueError):
            stock = -1
        if not 0 <= stock <= 1_000_000:
            errors.add("stock", "库存必须是0到1000000之间的整数")
        item.stock = max(stock, 0)
    if "active" in data:
        item.active = bool(data["active"])


@transaction.atomic
def item_create(*, actor, scheme_id: int, data: dict) -> Item:
    return _create_in("item", actor=actor, scheme_id=scheme_id, data=data)


@transaction.atomic
def item_update(*, actor, item_id: int, data: dict) -> Item:
    """Change an item; ``stock`` sets the count on hand (under the item's row lock)."""
    return _update("item", actor=actor, pk=item_id, data=data)


_SETTINGS = {
    "scheme": (Scheme, _scheme_fields, SCHEME_FIELDS),
    "rule": (Rule, _rule_fields, RULE_FIELDS),
    "item": (Item, _item_fields, ITEM_FIELDS),
}


def require(condition: bool, field: str, message: str) -> None:
    if not condition:
        raise ValidationError({field: [message]})
