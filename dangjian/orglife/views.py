"""Console pages of organizational life, included by the console under ``orglife/``: the
branch calendar, the session record page (attendance, validity, minutes, photos, check-in QR
code), the compliance board for any subtree and its drill-down to one branch."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from dangjian.core import scope, workflow
from dangjian.core.errors import Conflict
from dangjian.core.ids import MAX_PK, pk_or_404
from dangjian.core.months import add_months, next_month
from dangjian.core.scope import scoped_object
from dangjian.core.validators import FILTER_CEILING, FILTER_FLOOR
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.orglife import compliance, feedback, plans, selectors, services, tables
from dangjian.orglife.forms import (
    AttendanceMarkForm,
    MinutesForm,
    PlanForm,
    PlanItemForm,
    SessionScheduleForm,
    messages_of,
    plan_rows,
)
from dangjian.orglife.models import Session, SessionState
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import TransitionForm, add_service_errors
from dangjian.web.paging import paginate

VIEW = "orglife.view"
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


def _org_or_top(request, param: str = "org") -> PartyOrg | None:
    raw = request.GET.get(param) or ""
    qs = PartyOrg.objects.defer("contact_phone")
    if raw:
        try:
            pk = int(raw)
        except ValueError:
            raise Http404 from None
        if not 1 <= pk <= MAX_PK:
            raise Http404
        return scope.get_visible(qs, request.user, VIEW, pk=pk)
    return qs.topmost_visible_to(request.user, VIEW).order_by("path").first()


@console_view
@L.exportable
def calendar_view(request):
    """A month grid of the sessions of one organization's subtree (exported as a list)."""
    org = _org_or_top(request)
    listed = L.listing_of(request, tables.SESSIONS)
    today = timezone.localdate()
    month = request.GET.get("month") or f"{today.year}-{today.month:02d}"
    try:
        year, mon = (int(x) for x in month.split("-"))
        first = dt.date(year, mon, 1)
        # A month past the search bounds (0001-01, 9999-12) is a typo; its neighbours'
        # links would overflow the calendar.
        if not FILTER_FLOOR <= first <= FILTER_CEILING:
            raise ValueError(month)
    except ValueError:
        year, mon, first = today.year, today.month, today.replace(day=1)
    sessions = []
    if org is not None:
        qs = listed.order(
            selectors.session_list(request.user, org=org.pk, month=f"{year}-{mon:02d}")
        )
        if listed.exporting:
            return listed.export(qs, filters={"org": org.pk, "month": f"{year}-{mon:02d}"})
        sessions = list(qs.order_by("starts_at", "id"))
    elif listed.exporting:
        return listed.export([], filters={"month": f"{year}-{mon:02d}"})
    by_day = defaultdict(list)
    now = timezone.now()
    for s in sessions:
        by_day[timezone.localtime(s.starts_at).day].append(s)
        # The colour people expect (issue 18): blue still to come, amber under way or over
        # and waiting for its record, green held and archived, grey cancelled.
        if s.state != SessionState.SCHEDULED:
            s.colour = s.state
        elif s.ends_at < now:
            s.colour = "unrecorded"
        elif s.starts_at <= now:
            s.colour = "ongoing"
        else:
            s.colour = "upcoming"
    weeks = []
    for week in calendar.Calendar().monthdayscalendar(year, mon):
        weeks.append(
            [
                {
                    "day": d,
                    "sessions": by_day.get(d, []),
                    "today": first.replace(day=d) == today if d else False,
                }
                for d in week
            ]
        )
    prev_m = add_months(first, -1).strftime("%Y-%m")
    next_m = next_month(first).strftime("%Y-%m")
    children = []
    if org is not None:
        children = list(
            PartyOrg.objects.defer("contact_phone")
            .visible_to(request.user, VIEW)
            .filter(parent_id=org.pk)
            .order_by("path")[:200]
        )
    return render(
        request,
        "orglife/calendar.html",
        {
            "org": org,
            "children": children,
            "weeks": weeks,
            "weekdays": WEEKDAYS,
            "month_label": f"{year}年{mon}月",
            "month": f"{year}-{mon:02d}",
            "prev_month": prev_m,
            "next_month": next_m,
            "sessions": sessions,
            "can_schedule": org is not None and services.can_manage_in(request.user, org.path),
            "listing": listed,
        },
    )


def _qr_svg(url: str):
    qr = segno.make(url, error="m")
    # segno builds the SVG from our own signed URL: nothing user-typed goes into it.
    return mark_safe(qr.svg_inline(scale=4, dark="#1f1f1f", light="#ffffff", border=2))


def _checkin_qr(request, s):
    """The session's current check-in code (it changes every period), or None when the user
    may not record the session or it is no longer open for check-in."""
    if not (services.can_record(request.user, s) and s.state == SessionState.SCHEDULED):
        return None
    url = request.build_absolute_uri(
        reverse("portal:orglife:checkin", args=[services.checkin_token(s)])
    )
    return {
        "svg": _qr_svg(url),
        "url": url,
        "seconds": services.qr_period_seconds(),
        "counts": services.counts(s),
    }


def _qr_page(request, s, template: str):
    """The session's current check-in code in ``template``, never cached (404 when the session
    is not checking in)."""
    qr = _checkin_qr(request, s)
    if qr is None:
        raise Http404("本次组织生活不在签到中")
    response = render(request, template, {"qr": qr, "s": s})
    response["Cache-Control"] = "no-store"
    return response


@console_view
@require_GET
@scoped_object("session_id", selectors.session_get, name="s")
def session_checkin_qr(request, s):
    """The QR fragment the session page and the projector screen fetch again every period."""
    return _qr_page(request, s, "orglife/_checkin_qr.html")


@console_view
@require_GET
@scoped_object("session_id", selectors.session_get, name="s")
def session_checkin_screen(request, s):
    """Full screen, for a projector in the meeting room: the code, large, renewed each period."""
    return _qr_page(request, s, "orglife/checkin_screen.html")


@console_view
@scoped_object("session_id", selectors.session_get, name="s")
def session_detail(request, s):
    counts = services.counts(s)
    votes = list(s.votes.all())
    can_record = services.can_record(request.user, s)
    qr = _checkin_qr(request, s)
    return render(
        request,
        "orglife/session.html",
        {
            "s": s,
            "counts": counts,
            "attendance": list(selectors.attendance_of(s)),
            "votes": votes,
            "verdict": services.validity(s, counts, votes),
            "quality": compliance.session_quality(s),
            "photos": list(s.photos.order_by("id")),
            "joint": list(s.participants.select_related("org").defer("org__contact_phone")),
            "can_record": can_record and s.state == SessionState.SCHEDULED,
            "can_review": services.can_review(request.user, s) and s.state == SessionState.HELD,
            "allowed": {
                a["action"]: a for a in workflow.allowed_actions(services.SESSION, request.user, s)
            },
            "qr": qr,
        },
    )


@console_view
@require_POST
@scoped_object("session_id", selectors.session_get, name="s")
def session_mark(request, s):
    form = AttendanceMarkForm(request.POST)
    if form.is_valid():
        try:
            services.attendance_mark(actor=request.user, session=s, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
    if form.errors:
        messages.error(request, messages_of(form))
    else:
        messages.success(request, "出席情况已登记")
    return redirect("console:orglife:session", s.pk)


@console_view
@require_POST
@scoped_object("session_id", selectors.session_get, name="s")
def session_mark_present(request, s):
    """Batch: the members ticked (or everyone still unmarked) present, in one step."""
    everyone = request.POST.get("all") == "1"
    try:
        n = services.attendance_mark_present(
            actor=request.user,
            session=s,
            member_ids=None if everyone else request.POST.getlist("member_ids"),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(m for v in exc.message_dict.values() for m in v))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已将{n}名党员登记为出席")
    return redirect("console:orglife:session", s.pk)


@console_view
@require_POST
@scoped_object("session_id", selectors.session_get, name="s")
def session_minutes(request, s):
    form = MinutesForm(request.POST)
    form.is_valid()
    try:
        services.session_update(actor=request.user, session=s, **form.cleaned_data)
        messages.success(request, "会议记录已保存")
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:orglife:session", s.pk)


DONE = {"close": "已归档", "review": "督查意见已保存", "cancel": "已取消"}


@console_view
@require_POST
@scoped_object("session_id", selectors.session_get, name="s")
def session_transition(request, s):
    form = TransitionForm(request.POST)
    form.is_valid()  # text only: always readable, the service checks it
    try:
        services.session_transition(actor=request.user, session=s, **form.cleaned_data)
        messages.success(request, DONE[form.cleaned_data["action"]])
    except ValidationError as exc:
        add_service_errors(form, exc)
        messages.error(request, messages_of(form))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:orglife:session", s.pk)


@console_view
@require_POST
@scoped_object("session_id", selectors.session_get, name="s")
def session_photo_upload(request, s):
    try:
        feedback.session_add_photo(actor=request.user, session=s, upload=request.FILES.get("file"))
        messages.success(request, "照片已上传")
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:orglife:session", s.pk)


@console_view
def session_photo(request, session_id: int, file_id: int):
    from dangjian.core.files import file_response

    s = selectors.session_get(request.user, session_id)
    stored = s.photos.filter(pk=file_id).first()
    if stored is None:
        raise Http404
    return file_response(stored)


@console_view
@L.exportable
def compliance_board(request):
    """The live board of an organization's branches (its period and colour filters; sortable
    in Python: the rows are computed); the export form's POST writes every row filtered."""
    org = _org_or_top(request)
    period = request.GET.get("period") or ""
    error = None
    board = None
    if org is not None:
        try:
            board = compliance.board(request.user, org=org.pk, period=period or None)
        except ValidationError as exc:
            error = exc.message_dict.get("period", ["期间格式有误"])[0]
            board = compliance.board(request.user, org=org.pk)
    colour = request.GET.get("colour") or ""
    rows = board["branches"] if board else []
    if colour in ("red", "amber", "green"):
        rows = [r for r in rows if r["colour"] == colour]
    listed = L.listing_of(request, tables.COMPLIANCE)
    rows = listed.order(rows)
    if listed.exporting:
        filters = {"org": org.pk if org else None, "period": board["period"] if board else ""}
        return listed.export(rows, filters={**filters, "colour": colour})
    return render(
        request,
        "orglife/compliance.html",
        {
            "org": org,
            "board": board,
            "rows": rows[:500],
            "more": max(len(rows) - 500, 0),
            "colour": colour,
            "period": board["period"] if board else period,
            "error": error,
            "listing": listed,
        },
    )


@console_view
def compliance_branch(request, org_id: int):
    period = request.GET.get("period") or None
    try:
        detail = compliance.branch_detail(request.user, org=org_id, period=period)
    except ValidationError as exc:
        if "org" in exc.message_dict:
            raise Http404 from None
        detail = compliance.branch_detail(request.user, org=org_id)
    node = PartyOrg.objects.defer("contact_phone").get(pk=org_id)
    return render(
        request,
        "orglife/branch.html",
        {"d": detail, "b": detail["branch"], "node": node},
    )


__all__ = ["Session"]


# --- scheduling ---------------------------------------------------------------------------------


@console_view
def session_new(request):
    """Schedule a session of one organization (安排组织生活): the roster is written by the
    service from the organization's members, the committee members chosen, and invitees."""
    raw = request.GET.get("org") or request.POST.get("org") or ""
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    if not 1 <= pk <= MAX_PK:
        raise Http404
    org = scope.get_visible(PartyOrg.objects.defer("contact_phone"), request.user, VIEW, pk=pk)
    members = list(
        services.active_members(org.path)
        .visible_to(request.user, "members.view")
        .only("id", "name")
        .order_by("name", "id")[:300]
    )
    plan_item = None
    raw_item = request.GET.get("plan_item") or request.POST.get("plan_item") or ""
    initial = {}
    if raw_item:
        if not raw_item.isdigit():
            raise Http404
        plan_item = selectors.plan_item_get(request.user, pk_or_404(int(raw_item)))
        initial = {"session_type": plan_item.session_type, "topic": plan_item.topic}
    data = request.POST if request.method == "POST" else None
    joint, leaders, invitees = selectors.schedule_choices(request.user, org)
    form = SessionScheduleForm(
        data,
        initial=initial,
        members=members,
        joint_orgs=joint,
        leaders=leaders,
        invitees=invitees,
    )
    if data is not None and form.is_valid():
        try:
            session = services.session_schedule(
                actor=request.user, org=org, plan_item=plan_item, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已安排组织生活，参会名单已生成")
            return redirect("console:orglife:session", session.pk)
    return render(
        request,
        "orglife/session_new.html",
        {"org": org, "form": form, "plan_item": plan_item},
        status=422 if form.errors else 200,
    )


# --- plans (组织生活计划) -----------------------------------------------------------------------

PLAN_PAGE_SIZE = 30
PLAN_ROWS = 6


def _year_param(raw: str, errors: dict) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw)
    errors.setdefault("year", []).append("年度应为2000至2100之间的四位数字")
    return None


def _branch_choices(user, action: str = VIEW):
    return list(
        PartyOrg.objects.defer("contact_phone")
        .visible_to(user, action)
        .filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH))
        .only("id", "name", "path")
        .order_by("path")[:300]
    )


@console_view
@L.exportable
def plan_list(request):
    """The yearly and quarterly plans of the branches in the user's scope, by org and year."""
    errors: dict[str, list[str]] = {}
    org = _org_or_top(request) if request.GET.get("org") else None
    year = _year_param(request.GET.get("year", ""), errors)
    listed = L.listing_of(request, tables.PLANS)
    qs = listed.order(selectors.plan_page(request.user, org=org.pk if org else None, year=year))
    if listed.exporting:
        return listed.export(qs)
    page = paginate(request, qs, PLAN_PAGE_SIZE)
    return render(
        request,
        "orglife/plans.html",
        {
            "org": org,
            "year": year or "",
            "year_raw": request.GET.get("year", ""),
            "errors": errors,
            "page": page,
            "plans": list(page.object_list),
            "branches": _branch_choices(request.user),
            "can_create": request.user.can(services.MANAGE),
            "listing": listed,
        },
    )


@console_view
def plan_new(request):
    """A plan for one branch with its items; blank item rows are left out."""
    choices = _branch_choices(request.user, services.MANAGE)
    data = request.POST if request.method == "POST" else None
    form = PlanForm(
        data,
        initial={"org": request.GET.get("org", ""), "year": str(timezone.localdate().year)},
        choices=choices,
    )
    rows = plan_rows(data)
    if data is not None:
        valid = form.is_valid()
        org = None
        if form.cleaned_data.get("org"):
            try:
                pk = int(form.cleaned_data["org"])
            except ValueError:
                raise Http404 from None
            if not 1 <= pk <= MAX_PK:
                raise Http404
            org = scope.get_visible(
                PartyOrg.objects.defer("contact_phone"), request.user, VIEW, pk=pk
            )
        used = [r for r in rows if r.used()]
        if valid:
            try:
                plan = plans.plan_create(
                    actor=request.user,
                    org=org,
                    year=form.cleaned_data["year"],
                    quarter=form.cleaned_data["quarter"],
                    title=form.cleaned_data["title"],
                    note=form.cleaned_data["note"],
                    items=[r.service_item() for r in used],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    rest = {}
                    for key, msgs in exc.message_dict.items():
                        if key.startswith("items."):
                            _, idx, field = key.split(".", 2)
                            used[int(idx)].add_service_error(field, msgs)
                        else:
                            rest[key] = msgs
                    exc = ValidationError(rest) if rest else None
                if exc is not None:
                    add_service_errors(form, exc)
            else:
                messages.success(request, "组织生活计划已创建")
                return redirect("console:orglife:plan", plan.pk)
    rows += plan_rows(least=PLAN_ROWS - len(rows))
    row_errors = any(r.errors for r in rows)
    return render(
        request,
        "orglife/plan_new.html",
        {
            "form": form,
            "rows": rows,
            "has_errors": bool(form.errors) or row_errors,
        },
        status=422 if form.errors or row_errors else 200,
    )


def _plan_page(request, plan, *, add_form=None, status=200):
    can_manage = services.can_manage_in(request.user, plan.org_path)
    items = selectors.plan_items(plan)
    months = plans.plan_months(plan.quarter)
    add_form = add_form or PlanItemForm(months=months, blank=True)
    return render(
        request,
        "orglife/plan.html",
        {
            "plan": plan,
            "org": plan.org,
            "items": items,
            "used": sum(1 for i in items if i.scheduled),
            "can_manage": can_manage,
            "add_form": add_form,
        },
        status=status,
    )


@console_view
@scoped_object("plan_id", selectors.plan_get)
def plan_detail(request, plan):
    return _plan_page(request, plan)


@console_view
@require_POST
@scoped_object("plan_id", selectors.plan_get)
def plan_item_new(request, plan):
    form = PlanItemForm(request.POST, months=plans.plan_months(plan.quarter), blank=True)
    if form.is_valid():
        try:
            plans.plan_item_add(actor=request.user, plan=plan, **form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(form, exc)
    if form.errors:
        return _plan_page(request, plan, add_form=form, status=422)
    messages.success(request, "计划事项已添加")
    return redirect("console:orglife:plan", plan.pk)


@console_view
@scoped_object("item_id", selectors.plan_item_get)
def plan_item_edit(request, item):
    """Edit an item no session uses yet (a used one is shown read-only with the reason)."""
    plan = item.plan
    if not services.can_manage_in(request.user, plan.org_path):
        raise scope.Forbidden("您没有管理该党组织组织生活的权限")
    used = Session.objects.filter(plan_item=item).exists()
    months = plans.plan_months(plan.quarter)
    initial = {"session_type": item.session_type, "month": str(item.month), "topic": item.topic}
    data = request.POST if request.method == "POST" else None
    form = PlanItemForm(data, initial=initial, months=months)
    if data is not None and form.is_valid():
        try:
            plans.plan_item_update(
                actor=request.user, item=item, base_id=item.base_id, **form.service_kwargs()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("console:orglife:plan", plan.pk)
        else:
            messages.success(request, "计划事项已修改")
            return redirect("console:orglife:plan", plan.pk)
    return render(
        request,
        "orglife/plan_item.html",
        {"plan": plan, "org": plan.org, "item": item, "used": used, "form": form},
        status=422 if form.errors else 200,
    )


@console_view
@require_POST
@scoped_object("item_id", selectors.plan_item_get)
def plan_item_delete(request, item):
    try:
        plans.plan_item_delete(actor=request.user, item=item)
        messages.success(request, "计划事项已删除")
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:orglife:plan", item.plan_id)
