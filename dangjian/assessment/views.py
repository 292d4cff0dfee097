"""Console pages of 考核 (weak organizations and warnings), included by the console under
``assessment/``. Thin: a selector or a service per page, errors shown as messages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.assessment import tables, thresholds
from dangjian.assessment.models import (
    RankingState,
    RectificationState,
    WarningColour,
    WeakRule,
)
from dangjian.assessment.selectors import warnings as warning_selectors
from dangjian.assessment.selectors import weak as selectors
from dangjian.assessment.selectors.rating import visible_area
from dangjian.assessment.services import rectify
from dangjian.assessment.services import weak as services
from dangjian.core import files, scope, workflow
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none as _int
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

PAGE = 30


def _require(user, action: str = services.VIEW) -> None:
    if not user.can(action):
        raise Forbidden("您没有查看考核的权限")


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for ms in exc.message_dict.values() for m in ms)
    return "；".join(exc.messages)


def _year(request) -> int:
    y = _int(request.GET.get("year"))
    return y if y and 2000 <= y <= 2100 else timezone.localdate().year


def _org(request):
    pk = _int(request.GET.get("org"))
    return selectors.visible_org(request.user, pk) if pk else None


def _area(request):
    """The area of ``?area=`` (404 when out of reach), None when absent."""
    pk = _int(request.GET.get("area"))
    return visible_area(request.user, pk) if pk else None


@console_view
@L.exportable
def flag_list(request):
    _require(request.user)
    year, org = _year(request), _org(request)
    rule = request.GET.get("rule", "")
    if rule not in WeakRule.values:
        rule = ""
    listed = L.listing_of(request, tables.FLAGS)
    qs = listed.order(selectors.flags(request.user, year=year, org=org, rule=rule))
    if listed.exporting:
        return listed.export(qs)
    return render(
        request,
        "assessment/flags.html",
        {
            "listing": listed,
            "page": paginate(request, qs.prefetch_related("evidence_files"), PAGE),
            "year": year,
            "org": org,
            "rule": rule,
            "rules": WeakRule.choices,
            "section": "flags",
            "may_manage": request.user.can(services.MANAGE),
            "max_bytes": files.max_bytes(),
        },
    )


@console_view
@require_POST
def flag_add(request):
    # No permission check before the service: an organization out of reach reads 404.
    org = _int(request.POST.get("org"))
    if org is None:
        messages.error(request, "请选择党组织")
        return redirect("console:assessment:flags")
    try:
        f = services.flag_add_manual(
            actor=request.user,
            org=org,
            year=request.POST.get("year"),
            summary=request.POST.get("summary", ""),
            evidence=request.POST.get("evidence", ""),
        )
        messages.success(request, "已登记人工认定的情形")
        return redirect(f"{_url('console:assessment:flags')}?year={f.year}&org={f.org_id}")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("console:assessment:flags")


def _url(name, *args):
    from django.urls import reverse

    return reverse(name, args=args)


@console_view
@L.exportable
def ranking_list(request):
    _require(request.user)
    year = _year(request)
    listed = L.listing_of(request, tables.RANKINGS)
    qs = listed.order(selectors.rankings(request.user, year=year))
    if listed.exporting:
        return listed.export(qs)
    return render(
        request,
        "assessment/rankings.html",
        {
            "listing": listed,
            "page": paginate(request, qs, PAGE),
            "year": year,
            "section": "rankings",
            "may_manage": request.user.can(services.MANAGE),
        },
    )


@console_view
def ranking_page(request, ranking_id: int):
    _require(request.user)
    ranking = selectors.ranking_detail(request.user, _pk(ranking_id))
    entries = list(ranking.entries.all())
    rect = {r.entry_id: r for r in selectors.rectifications(request.user).filter(entry__in=entries)}
    for e in entries:
        e.rect = rect.get(e.pk)
    return render(
        request,
        "assessment/ranking.html",
        {
            "ranking": ranking,
            "entries": entries,
            "section": "rankings",
            "may_confirm": ranking.state == RankingState.DRAFT
            and scope.is_visible(ranking, request.user, services.MANAGE),
        },
    )


@console_view
@require_POST
def ranking_confirm(request, ranking_id: int):
    ranking = selectors.ranking_detail(request.user, _pk(ranking_id))
    try:
        services.ranking_confirm(
            actor=request.user, ranking=ranking, note=request.POST.get("note", "")
        )
        messages.success(request, "名单已确认，已为名单上的党组织建立整顿项目")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:assessment:ranking", ranking.pk)


@console_view
@L.exportable
def rectification_list(request):
    _require(request.user)
    year = _int(request.GET.get("year"))
    state = request.GET.get("state", "")
    if state not in RectificationState.values:
        state = ""
    area = _area(request)
    listed = L.listing_of(request, tables.RECTIFICATIONS)
    qs = listed.order(
        selectors.rectifications(request.user, year=year, state=state, org=_org(request), area=area)
    )
    if listed.exporting:
        return listed.export(qs)
    return render(
        request,
        "assessment/rectifications.html",
        {
            "listing": listed,
            "page": paginate(request, qs, PAGE),
            "year": year or "",
            "state": state,
            "area": area,
            "states": RectificationState.choices,
            "section": "rectifications",
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def rectification_page(request, rectification_id: int):
    _require(request.user)
    r = selectors.rectification_detail(request.user, _pk(rectification_id))
    if request.method == "POST":
        action = request.POST.get("action", "")
        fields = {k: request.POST[k] for k in ("measures", "leader") if k in request.POST}
        try:
            rectify.rectification_transition(
                actor=request.user,
                rectification=r,
                action=action,
                note=request.POST.get("note", ""),
                **fields,
            )
            messages.success(request, "已办理")
            return redirect("console:assessment:rectification", r.pk)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except Conflict as exc:
            messages.error(request, exc.message)
        r = selectors.rectification_detail(request.user, _pk(rectification_id))
    allowed = workflow.allowed_actions(rectify.RECTIFY, request.user, r)
    return render(
        request,
        "assessment/rectification.html",
        {
            "r": r,
            "steps": list(r.steps.all()),
            "allowed": allowed,
            "allowed_codes": {a["action"] for a in allowed},
            "labels": rectify.ACTION_LABELS,
            "overdue": r.state != RectificationState.CLOSED and r.deadline < timezone.localdate(),
            "section": "rectifications",
        },
    )


@console_view
@L.exportable
def warning_list(request):
    if not request.user.can(warning_selectors.VIEW):
        raise Forbidden("您没有查看党员预警的权限")
    org = _org(request)
    colour = request.GET.get("colour", "")
    if colour not in WarningColour.values:
        colour = ""
    history = request.GET.get("history") == "1"
    listed = L.listing_of(request, tables.WARNINGS)
    qs = warning_selectors.warnings(
        request.user, org=org, colour=colour, active=None if history else True
    ).select_related("org")
    qs = listed.order(qs)
    if listed.exporting:
        return listed.export(qs)
    return render(
        request,
        "assessment/warnings.html",
        {
            "listing": listed,
            "counts": warning_selectors.counts(request.user, org=org)[:200],
            "page": paginate(request, qs, PAGE),
            "org": org,
            "colour": colour,
            "history": history,
            "section": "warnings",
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def settings_page(request):
    _require(request.user)
    if request.method == "POST":
        try:
            services.rule_setting_set(
                actor=request.user, key=request.POST.get("key", ""), value=request.POST.get("value")
            )
            messages.success(request, "已保存，下次重算时生效")
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        return redirect("console:assessment:settings")
    values = thresholds.snapshot()
    rows = [
        {"key": k, "label": knob.label, "value": values[k], "default": knob.default}
        for k, knob in thresholds.KNOBS.items()
    ]
    return render(
        request,
        "assessment/settings.html",
        {"rows": rows, "section": "settings", "may_edit": request.user.can(services.MANAGE)},
    )


@console_view
@require_POST
def recompute(request):
    _require(request.user, services.MANAGE)
    from dangjian.assessment.tasks import assessment_nightly

    year = _int(request.POST.get("year")) or timezone.localdate().year
    if not 2000 <= year <= 2100:
        messages.error(request, "年度应在2000至2100之间")
    else:
        assessment_nightly.enqueue(year=year, actor_id=request.user.pk)
        messages.success(request, f"已提交{year}年考核重算，后台完成后刷新页面查看")
    return redirect(f"{_url('console:assessment:rankings')}?year={year}")


@console_view
def org_page(request, org_id: int):
    """An organization's flags and rectifications (the org page loads it into its panel)."""
    _require(request.user)
    org = selectors.visible_org(request.user, _pk(org_id))
    return render(
        request,
        "assessment/org.html",
        {"org": org, "assessment": selectors.org_summary(request.user, org)},
    )
