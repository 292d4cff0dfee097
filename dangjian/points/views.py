"""Console pages of the points module (积分), included by the console under ``points/``:
schemes with their rules, catalogue and ranking; the committee's review; the counter where a
receipt code is checked and handed over.

Thin: reads through ``selectors`` (``visible_to``), writes through ``services``; out of scope
reads as 404; a refused write shows the service's Chinese messages on the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core import workflow
from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.organizations.models import PartyOrg
from dangjian.points import selectors, services, tables
from dangjian.points.models import (
    Audience,
    AwardState,
    CapPeriod,
    ListKind,
    NameDisplay,
    RedemptionState,
    Source,
)
from dangjian.territory.models import Area, AreaKind
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

PAGE_SIZE = 50


def _require(user, action: str = "points.view") -> None:
    if not user.can(action):
        raise Forbidden("您没有查看积分的权限")


def _int(value):
    try:
        return _pk(int(value))
    except (TypeError, ValueError):
        return None


def _errors_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for ms in exc.message_dict.values() for m in ms)
    return "；".join(exc.messages)


@console_view
@require_http_methods(["GET", "POST"])
def scheme_list(request):
    user = request.user
    _require(user)
    listed = L.listing_of(request, tables.SCHEMES)
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        return listed.export(listed.order(selectors.schemes(user)))
    errors = ""
    if request.method == "POST":
        data = {k: request.POST.get(k) for k in ("name", "audience", "name_display")}
        data["area_id"] = _int(request.POST.get("area_id"))
        data["org_id"] = _int(request.POST.get("org_id"))
        try:
            s = services.scheme_create(actor=user, data=data)
        except ValidationError as exc:
            errors = _errors_text(exc)
        else:
            messages.success(request, f"已创建积分方案“{s.name}”")
            return redirect("console:points:scheme", scheme_id=s.pk)
    can_manage = user.can("points.manage")
    return render(
        request,
        "points/schemes.html",
        {
            "listing": listed,
            "page": paginate(request, listed.order(selectors.schemes(user)), PAGE_SIZE),
            "errors": errors,
            "can_manage": can_manage,
            "areas": Area.objects.visible_to(user, "points.manage")
            .filter(kind__in=(AreaKind.VILLAGE, AreaKind.COMMUNITY))
            .order_by("path")[:300]
            if can_manage
            else [],
            "orgs": PartyOrg.objects.visible_to(user, "points.manage").order_by("path")[:300]
            if can_manage
            else [],
            "audiences": Audience.choices,
            "name_displays": NameDisplay.choices,
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def scheme_page(request, scheme_id: int):
    user = request.user
    _require(user)
    scheme = selectors.scheme_detail(user, _pk(scheme_id))
    errors = ""
    if request.method == "POST":
        form = request.POST.get("form")
        try:
            if form == "rule":
                data = {
                    k: request.POST.get(k)
                    for k in ("name", "category", "points", "list_kind", "source", "cap_period")
                }
                data["cap"] = request.POST.get("cap") or None
                data["evidence_required"] = bool(request.POST.get("evidence_required"))
                services.rule_create(actor=user, scheme_id=scheme.pk, data=data)
                messages.success(request, "已添加积分规则")
            elif form == "item":
                data = {k: request.POST.get(k) for k in ("name", "price", "stock", "description")}
                services.item_create(actor=user, scheme_id=scheme.pk, data=data)
                messages.success(request, "已添加兑换物品")
            elif form == "stock":
                services.item_update(
                    actor=user,
                    item_id=_int(request.POST.get("item_id")) or 0,
                    data={"stock": request.POST.get("stock")},
                )
                messages.success(request, "已更新库存")
            elif form == "stars":
                stars = services.stars_award(
                    actor=user, scheme_id=scheme.pk, year=_int(request.POST.get("year")) or 0
                )
                messages.success(request, f"已评出积分明星{len(stars)}名")
            else:
                raise ValidationError({"form": ["未知的表单"]})
        except ValidationError as exc:
            errors = _errors_text(exc)
        else:
            return redirect("console:points:scheme", scheme_id=scheme.pk)
    year = _int(request.GET.get("year")) or timezone.localdate().year
    start, end = services.period_bounds(timezone.localdate().replace(year=year), "year")
    return render(
        request,
        "points/scheme.html",
        {
            "scheme": scheme,
            "errors": errors,
            "rules": list(selectors.rules(user, scheme_id=scheme.pk)),
            "items": list(selectors.items(user, scheme_id=scheme.pk)),
            "ranking": selectors.ranking(user, start=start, end=end, scheme_id=scheme.pk, limit=20),
            "stars": list(selectors.stars(user, scheme_id=scheme.pk, year=year)),
            "year": year,
            "can_manage": user.can("points.manage"),
            "can_review": user.can("points.review"),
            "list_kinds": ListKind.choices,
            "sources": Source.choices,
            "cap_periods": CapPeriod.choices,
        },
    )


@console_view
@L.exportable
def review(request):
    """The committee's queue: manual awards for the monthly review and the quarterly scoring."""
    user = request.user
    _require(user, "points.review")
    listed = L.listing_of(request, tables.REVIEW)
    qs = listed.order(selectors.review_queue(user, scheme_id=_int(request.GET.get("scheme"))))
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, PAGE_SIZE)
    rows = [(a, workflow.allowed_actions(services.AWARD_FLOW, user, a)) for a in page.object_list]
    return render(request, "points/review.html", {"page": page, "rows": rows, "listing": listed})


def _record_view(kind: str, table, select, states):
    """The console list of one kind of points record (``award``, ``redemption``) behind a
    points figure: ``table`` through ``web.listing``, rows from ``select``, its template
    ``points/<kind>s.html``. ``?area=`` (its subtree, 404 out of reach), ``?period=YYYY-MM``,
    ``?state=`` (one of ``states``), ``?q=`` (a name), sortable, exported by the form's POST; a
    period that does not parse answers 400 with its message and no rows."""
    template = f"points/{kind}s.html"

    def view(request):
        user = request.user
        _require(user)
        f = {k: (request.GET.get(k) or "").strip()[:50] for k in ("area", "period", "state", "q")}
        if f["state"] not in dict(states):
            f["state"] = ""
        area_id = _int(f["area"]) if f["area"] else None
        if f["area"] and area_id is None:
            raise Http404
        listed = L.listing_of(request, table)
        error = ""
        try:
            qs = select(
                user, area=area_id, period=f["period"] or None, state=f["state"] or None, q=f["q"]
            )
        except ValidationError as exc:
            error = _errors_text(exc)
            qs = None
        if qs is not None and listed.exporting:
            return listed.export(listed.order(qs))
        area = Area.objects.only("pk", "name").get(pk=area_id) if area_id and not error else None
        return render(
            request,
            template,
            {
                "listing": listed,
                "page": paginate(request, listed.order(qs) if qs is not None else [], PAGE_SIZE),
                "f": f,
                "area": area,
                "states": states,
                "error": error,
            },
            status=400 if error else 200,
        )

    view.__name__ = view.__qualname__ = f"{kind}_list"
    view.__doc__ = f"{table.title}: the {kind}s the user sees, the list behind a points figure."
    return console_view(L.exportable(view))


# 积分记录 (the list behind 当月记分 with ``state=posted``) and 积分兑换 (behind 当月兑换积分).
award_list = _record_view("award", tables.AWARDS, selectors.awards, AwardState.choices)
redemption_list = _record_view(
    "redemption", tables.REDEMPTIONS, selectors.redemptions, RedemptionState.choices
)


@console_view
@require_POST
def award_transition(request, award_id: int):
    try:
        services.award_transition(
            actor=request.user,
            award_id=_pk(award_id),
            action=request.POST.get("action", ""),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, Conflict) as exc:
        text = _errors_text(exc) if isinstance(exc, ValidationError) else exc.message
        messages.error(request, text)
    else:
        messages.success(request, "已办理")
    return redirect("console:points:review")


@console_view
@require_http_methods(["GET", "POST"])
def counter(request):
    """The shopkeeper's counter: a scanned or typed receipt code, checked, then handed over."""
    user = request.user
    _require(user, "points.manage")
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    receipt = None
    error = ""
    if request.method == "POST":
        try:
            receipt = services.receipt_use(actor=user, code=code)
            messages.success(request, f"已核销：{receipt.item_name}×{receipt.quantity}")
        except Http404:
            error = "兑换码无效或不属于您管理的积分方案"
        except Conflict as exc:
            error = exc.message
    elif code:
        try:
            receipt = services.receipt_lookup(actor=user, code=code)
        except Http404:
            error = "兑换码无效或不属于您管理的积分方案"
    recent = selectors.redemptions(user, state=RedemptionState.USED)[:20]
    return render(
        request,
        "points/counter.html",
        {"code": code, "receipt": receipt, "error": error, "recent": recent},
    )
