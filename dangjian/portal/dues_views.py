"""Mobile pages of the dues module (/m/dues/): a member's own dues (monthly amount, paid
months, arrears, receipts) and a receipt."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from dangjian.core.ids import MAX_PK
from dangjian.dues import calc, selectors
from dangjian.members.models import Member
from dangjian.web.decorators import console_view


def _my_member(user):
    return (
        Member.objects.visible_to(user, "dues.view")
        .filter(user_id=user.pk)
        .select_related("org")
        .first()
    )


@console_view
def my_dues(request):
    member = _my_member(request.user)
    ctx: dict = {"member": member}
    if member is not None:
        st = selectors.statuses([member.pk])[member.pk]
        current = calc.month_of(timezone.localdate())
        recent = [m for m in st.paid if m >= calc.add_months(current, -11)]
        ctx.update(
            {
                "st": st,
                "paid_recent": [calc.month_label(m) for m in recent],
                "arrears": [calc.month_label(m) for m in st.arrears],
                "paid_now": current in st.paid,
                "current": current,
                "payments": list(selectors.payments(request.user, member=member)[:24]),
            }
        )
    return render(request, "portal/dues/mine.html", ctx)


@console_view
def receipt(request, payment_id: int):
    if not 1 <= payment_id <= MAX_PK:
        raise Http404("未找到")
    p = selectors.payment_detail(request.user, payment_id)
    months = selectors.payment_months([p.pk]).get(p.pk, [])
    return render(
        request,
        "portal/dues/receipt.html",
        {"p": p, "months_text": "、".join(calc.month_label(m) for m in months)},
    )
