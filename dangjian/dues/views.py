"""Console pages of the dues module (党费), included by the console under ``dues/``.

Thin: reads through ``selectors`` (so through ``visible_to``), writes through ``services``;
out of scope reads as 404; a refused write shows the service's Chinese messages in the form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse as url_for
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core import scope, workflow
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none as _int
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.dues import batch, calc, rates, selectors, services, tables
from dangjian.dues.forms import (
    HardshipForm,
    PaymentForm,
    ProfileForm,
    RemittanceForm,
    RemittanceTargetForm,
)
from dangjian.dues.models import (
    HARDSHIP_FLOW,
    DuesCategory,
    DuesPayment,
    Hardship,
    HardshipKind,
)
from dangjian.members.models import Member
from dangjian.organizations.models import OrgKind, PartyOrg
from dangjian.web import batch as web_batch
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import NoteForm, TransitionForm, add_service_errors, messages_of
from dangjian.web.paging import paginate

PAGE_SIZE = 50


def _require(user, action: str) -> None:
    if not user.can(action):
        raise Forbidden("您没有查看党费的权限")


def _branches(user, org: PartyOrg | None):
    """The branches (and general branches) under ``org`` or the user's topmost visible."""
    qs = PartyOrg.objects.visible_to(user, "organizations.view").filter(
        kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)
    )
    if org is not None:
        from dangjian.core import tree

        qs = qs.filter(tree.subtree_q("path", org.path))
    return qs.order_by("path")[:200]


def _overview_rows(items, current) -> list[dict]:
    return [
        {
            "member": m,
            "st": s,
            "paid_now": current in s.paid,
            "arrears_text": "、".join(calc.month_label(x) for x in s.streak),
        }
        for m, s in items
    ]


@console_view
@require_POST
def pay_batch(request):
    """Record this month's dues of the ticked members (``dues.batch``: all or nothing, each
    refused member named)."""

    def done(made) -> str:
        total = sum((p.total for p in made), start=Decimal("0.00"))
        return f"已登记{len(made)}名党员本月党费，合计{total}元"

    return web_batch.batch_post(
        request,
        prefix="/dues/",
        default="console:dues:overview",
        run=lambda: batch.payment_batch_create(
            actor=request.user,
            member_ids=web_batch.posted_ids(request, "member_ids"),
            month=calc.month_of(timezone.localdate()),
        ),
        done=done,
    )


@console_view
@L.exportable
def overview(request):
    """Who paid this month, who is behind (amber: 3 months in a row, red: 6), the totals."""
    user = request.user
    _require(user, "dues.view")
    org_id = _int(request.GET.get("org"))
    org = selectors.visible_org(user, org_id) if request.GET.get("org") else None
    if request.GET.get("org") and org_id is None:
        raise Http404("未找到")
    level = request.GET.get("level", "")
    q = (request.GET.get("q") or "").strip()[:50]
    listed = L.listing_of(request, tables.OVERVIEW)
    current = calc.month_of(timezone.localdate())
    if level in ("warning", "leave"):
        pairs = [
            (m, st)
            for m, st in selectors.arrears(user, org=org)
            if st.level == level and (not q or q in m.name)
        ]
        if listed.sort.key:  # the arrears are a list: sorted here by the same keys
            field = "name_pinyin" if listed.sort.key == "name" else "org_path"
            pairs.sort(key=lambda pair: (getattr(pair[0], field), pair[0].pk))
            if listed.sort.descending:
                pairs.reverse()
        if listed.exporting:
            return listed.export(pairs, prepare=lambda chunk: _overview_rows(chunk, current))
        page = paginate(request, pairs, PAGE_SIZE)
        items = list(page.object_list)
    else:
        qs = listed.order(selectors.members(user, org=org, q=q))
        if listed.exporting:

            def prepare(chunk):
                st = selectors.statuses([m.pk for m in chunk])
                return _overview_rows([(m, st[m.pk]) for m in chunk], current)

            return listed.export(qs, prepare=prepare)
        page = paginate(request, qs, PAGE_SIZE)
        st = selectors.statuses([m.pk for m in page.object_list])
        items = [(m, st[m.pk]) for m in page.object_list]
    rows = _overview_rows(items, current)
    totals = selectors.totals(user, org) if org is not None else None
    return render(
        request,
        "dues/overview.html",
        {
            "org": org,
            "rows": rows,
            "page": page,
            "level": level,
            "q": q,
            "totals": totals,
            "branches": _branches(user, org),
            "current": current,
            "listing": listed,
            "can_manage": user.can("dues.manage"),
        },
    )


def _with_moves(user, hardships) -> list[Hardship]:
    """Each hardship with ``moves``: the actions ``user`` may take now (the engine's list)."""
    out = list(hardships)
    for h in out:
        h.moves = [
            a | {"needs_note": "note" in HARDSHIP_FLOW[a["action"]].needs}
            for a in workflow.allowed_actions(services.HARDSHIP, user, h)
        ]
    return out


def _member_context(user, member: Member) -> dict:
    st = selectors.statuses([member.pk])[member.pk]
    profile = selectors.profile_of(member)
    return {
        "member": member,
        "st": st,
        "profile": profile,
        "bases": list(profile.bases.all()) if profile else [],
        "months": selectors.month_table(member, profile, st) if profile else [],
        "payments": list(selectors.payments(user, member=member)[:50]),
        "hardships": _with_moves(
            user, selectors.hardships(user).filter(member=member).prefetch_related("steps__actor")
        ),
        "categories": DuesCategory.choices,
        "hardship_kinds": HardshipKind.choices,
        "arrears_text": "、".join(calc.month_label(x) for x in st.streak),
        "retired_base": rates.setting("RETIRED_BASE"),
        "can_manage": scope.is_visible(member, user, "dues.manage"),
    }


@console_view
@require_http_methods(["GET", "POST"])
def member_page(request, member_id: int):
    """A member's dues: category and base history, months, payments, hardship decisions.
    POST sets the category and base from an effective month (``form=profile``) or records a
    hardship request (``form=hardship``)."""
    user = request.user
    member = selectors.member_detail(user, _pk(member_id))
    st = selectors.statuses([member.pk])[member.pk]
    data = request.POST if request.method == "POST" else None
    which = request.POST.get("form", "profile") if data is not None else None
    profile_form = ProfileForm(
        data if which == "profile" else None,
        initial={"category": st.category, "quarterly": st.quarterly},
        retired_base=rates.setting("RETIRED_BASE"),
        placeholder=st.base or "",
    )
    hardship_form = HardshipForm(data if which == "hardship" else None)
    form = hardship_form if which == "hardship" else profile_form
    if data is not None and form.is_valid():
        try:
            if which == "hardship":
                services.hardship_request(actor=user, member=member, **form.service_kwargs())
                messages.success(request, "已登记减免申请，待支部决定")
            else:
                services.profile_set(actor=user, member=member, **form.service_kwargs())
                messages.success(request, "已保存党费类别和缴费基数")
            return redirect("console:dues:member", member.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
    ctx = _member_context(user, member)
    ctx["profile_form"], ctx["hardship_form"] = profile_form, hardship_form
    return render(request, "dues/member.html", ctx)


@console_view
@require_http_methods(["GET", "POST"])
def pay(request, member_id: int):
    """Record a payment: the payable months (within six months late or ahead), an extra."""
    user = request.user
    member = selectors.member_detail(user, _pk(member_id))
    if not scope.is_visible(member, user, "dues.manage"):
        raise Forbidden("您没有登记该党员党费的权限")
    data = request.POST if request.method == "POST" else None
    form = PaymentForm(data, initial={"paid_on": timezone.localdate().isoformat()})
    if data is not None and form.is_valid():
        try:
            payment, _ = services.payment_create(actor=user, member=member, **form.service_kwargs())
            messages.success(request, f"已登记党费，收据编号{payment.receipt_no}")
            return redirect("console:dues:receipt", payment.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Conflict as exc:
            form.add_error(None, exc.message)
    ctx = _member_context(user, member)
    ctx.update(
        {
            "form": form,
            "chosen": form["months"].value() or [],
            # a form sent without its key gets a new one, as before
            "client_key": form["client_key"].value() or _new_key(),
        }
    )
    return render(request, "dues/pay.html", ctx)


def _new_key() -> str:
    import uuid

    return uuid.uuid4().hex


@console_view
def receipt(request, payment_id: int):
    p = selectors.payment_detail(request.user, _pk(payment_id))
    months = selectors.payment_months([p.pk]).get(p.pk, [])
    return render(
        request,
        "dues/receipt.html",
        {
            "p": p,
            "months_text": "、".join(calc.month_label(m) for m in months),
            "can_reverse": p.reversed_at is None
            and scope.is_visible(p, request.user, "dues.manage"),
        },
    )


@console_view
@require_POST
def reverse(request, payment_id: int):
    p = selectors.payment_detail(request.user, _pk(payment_id))
    form = NoteForm(request.POST)
    form.is_valid()  # text only: always readable, the service checks it
    try:
        services.payment_reverse(
            actor=request.user, payment=DuesPayment(pk=p.pk), note=form.cleaned_data["note"]
        )
        messages.success(request, f"收据{p.receipt_no}已冲正")
    except ValidationError as exc:
        add_service_errors(form, exc)
        messages.error(request, messages_of(form))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:dues:receipt", p.pk)


@console_view
@require_POST
def hardship_transition(request, hardship_id: int):
    h = selectors.hardship_detail(request.user, _pk(hardship_id))
    form = TransitionForm(request.POST)
    form.is_valid()  # text only: always readable, the service checks it
    try:
        services.hardship_transition(
            actor=request.user, hardship=Hardship(pk=h.pk), **form.cleaned_data
        )
        messages.success(request, "已办理")
    except ValidationError as exc:
        add_service_errors(form, exc)
        messages.error(request, messages_of(form))
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:dues:member", h.member_id)


# --- remittances upward and the funds for the grassroots ------------------------------------------


def _month_or_error(raw: str, errors: dict) -> dt.date | None:
    try:
        return calc.parse_month(raw, "month", "月份")
    except ValidationError as exc:
        for key, msgs in exc.message_dict.items():
            errors.setdefault(key, []).extend(msgs)
        return None


def _org_param(user, raw: str | None) -> PartyOrg | None:
    if not raw:
        return None
    pk = _int(raw)
    if pk is None:
        raise Http404("未找到")
    return selectors.visible_org(user, pk)


@console_view
@L.exportable
def remittance_list(request):
    """The remittances upward of the organizations in scope, by organization and month, with
    the number and the sum of what the filter shows."""
    user = request.user
    _require(user, "dues.view")
    org = _org_param(user, request.GET.get("org"))
    errors: dict[str, list[str]] = {}
    month_raw = (request.GET.get("month") or "").strip()
    month = _month_or_error(month_raw, errors) if month_raw else None
    listed = L.listing_of(request, tables.REMITTANCES)
    qs = listed.order(selectors.remittance_page(user, org=org, month=month))
    if listed.exporting:
        return listed.export(qs)
    count, total = selectors.remittance_sum(qs)
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "dues/remittances.html",
        {
            "org": org,
            "month_raw": month_raw,
            "errors": errors,
            "page": page,
            "rows": list(page.object_list),
            "count": count,
            "total": total,
            "listing": listed,
            "branches": _branches(user, None),
            "can_manage": user.can("dues.manage"),
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def remittance_new(request):
    """Remit a branch's dues for a month to the organization above it: choosing the branch and
    the month shows what it collected for that month, what it already remitted for it and its
    balance; confirming posts the remittance through the ledger (``services``)."""
    user = request.user
    _require(user, "dues.view")
    if not user.can("dues.manage"):
        raise Forbidden("您没有登记党费上缴的权限")
    posting = request.method == "POST"
    target = RemittanceTargetForm(request.POST if posting else request.GET, confirming=posting)
    target.is_valid()
    errors = {k: list(v) for k, v in target.errors.items()}
    raw_org = target.cleaned_data.get("org", "")
    org = _org_param(user, raw_org)
    month = target.cleaned_data.get("month")
    summary = selectors.month_total(user, org, month) if org is not None and month else None
    values = {"org": raw_org, "month": target.month_raw}
    form = RemittanceForm(
        request.POST if posting else None,
        initial={"amount": f"{summary.outstanding:.2f}" if summary else ""},
    )
    client_key = (form["client_key"].value() if posting else "") or _new_key()
    if posting:
        if not errors and form.is_valid():
            try:
                r, created = services.remittance_create(
                    actor=user,
                    org=org,
                    amount=form.cleaned_data["amount"],
                    period=calc.month_text(month),
                    note=form.cleaned_data["note"],
                    client_key=client_key,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"已登记{r.from_org.name}{calc.month_label(month)}党费上缴{r.amount:.2f}元"
                    + ("" if created else "（重复提交，未重复上缴）"),
                )
                return redirect(
                    f"{url_for('console:dues:remittances')}?org={org.pk}&month={calc.month_text(month)}"
                )
    choices = list(
        PartyOrg.objects.visible_to(user, "dues.manage")
        .filter(kind__in=(OrgKind.BRANCH, OrgKind.GENERAL_BRANCH))
        .only("id", "name", "path")
        .order_by("path")[:300]
    )
    return render(
        request,
        "dues/remittance_new.html",
        {
            "org": org,
            "choices": choices,
            "values": values,
            "errors": errors,
            "form": form,
            "client_key": client_key,
            "summary": summary,
            "month_label": calc.month_label(month) if month else "",
        },
        status=422 if (errors or form.errors) and request.method == "POST" else 200,
    )


@console_view
def funds_page(request):
    """The funds a subtree's 两新 organizations are entitled to in a year under the allocation
    settings: new organizations, members per year, full-time secretaries per month served."""
    user = request.user
    _require(user, "dues.view")
    org = _org_param(user, request.GET.get("org"))
    if org is None:
        org = (
            PartyOrg.objects.topmost_visible_to(user, "organizations.view").order_by("path").first()
        )
    errors: dict[str, list[str]] = {}
    year_raw = (request.GET.get("year") or "").strip()
    year = timezone.localdate().year
    if year_raw:
        if year_raw.isdigit() and 2000 <= int(year_raw) <= 2100:
            year = int(year_raw)
        else:
            errors["year"] = ["年度应为2000至2100之间的四位数字"]
    f = selectors.funds(user, org=org, year=year) if org is not None else None
    children = []
    if org is not None:
        children = list(
            PartyOrg.objects.visible_to(user, "organizations.view")
            .filter(parent_id=org.pk)
            .only("id", "name", "path")
            .order_by("path")[:200]
        )
    return render(
        request,
        "dues/funds.html",
        {
            "org": org,
            "f": f,
            "year": year,
            "year_raw": year_raw or str(year),
            "errors": errors,
            "children": children,
        },
    )
