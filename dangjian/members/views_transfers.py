"""The member registry's console pages of transfers of organizational relations (组织关系转接):
the request from a member's file, the moves of either side, and the list of both sides."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.core.errors import Conflict
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.members import selectors, services
from dangjian.members import tables as listings
from dangjian.members.forms import TransferRequestForm, TransitionForm, add_service_errors
from dangjian.members.models import Member, MemberTransfer, TransferState, transfer_action_label
from dangjian.members.views import (
    PAGE_SIZE,
    _prepare_pickers,
    _ref,
    _render,
    _require,
    _transfer_rows,
)
from dangjian.organizations.models import PartyOrg
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate


@console_view
@require_http_methods(["GET", "POST"])
def member_transfer(request, member_id: int):
    user = request.user
    member = selectors.member_get(
        user, _pk(member_id), "members.manage", view_action="members.view"
    )
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.transfer_request(
                actor=user,
                member=member,
                kind=data["kind"],
                to_org=_ref(PartyOrg, data.get("to_org")),
                to_org_name=data.get("to_org_name") or "",
                letter_number=data.get("letter_number") or "",
                reason=data.get("reason") or "",
            )
        except Conflict as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc, {"member": None})
        else:
            messages.success(request, "已提出组织关系转接申请，待转出方党组织审批")
            return redirect("console:members:detail", member.pk)
    _prepare_pickers(form, user)
    return _render(request, "members/transfer_form.html", {"form": form, "member": member})


def _after_transfer(request, transfer: MemberTransfer) -> str:
    nxt = request.POST.get("next") or ""
    transfers_url = reverse("console:members:transfers")
    if nxt.startswith(transfers_url) and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}
    ):
        return nxt
    if (
        Member.objects.visible_to(request.user, "members.view")
        .filter(pk=transfer.member_id)
        .exists()
    ):
        return reverse("console:members:detail", args=[transfer.member_id])
    return transfers_url


@console_view
@require_POST
def transfer_transition(request, transfer_id: int):
    """One move of a transfer through the one transition service."""
    user = request.user
    transfer = selectors.transfer_get(user, _pk(transfer_id))
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请求参数有误")
        return redirect(_after_transfer(request, transfer))
    action = form.cleaned_data["action"]
    try:
        services.transfer_transition(
            actor=user,
            transfer=transfer,
            action=action,
            note=form.cleaned_data.get("note") or "",
            letter_number=form.cleaned_data.get("letter_number") or "",
        )
    except Conflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已办理：{transfer_action_label(transfer.kind, action)}")
    return redirect(_after_transfer(request, transfer))


TRANSFER_TABS = (
    ("", "全部"),
    (TransferState.REQUESTED, "待转出方审批"),
    (TransferState.OUT_APPROVED, "待转入方接收"),
    (TransferState.COMPLETED, "已完成"),
    (TransferState.REJECTED, "已退回"),
    (TransferState.CANCELLED, "已撤销"),
)


@console_view
@L.exportable
def transfer_list(request):
    """Transfers either side of which the user sees: the receiving side acts here."""
    user = request.user
    _require(user, "members.view", "您没有查看组织关系转接的权限")
    state = request.GET.get("state") or ""
    if state not in TransferState.values:
        state = ""
    listed = L.listing_of(request, listings.TRANSFERS)
    qs = listed.order(selectors.transfer_list(user, state=state or None))
    if listed.exporting:
        return listed.export(qs, filters={"state": state})
    page = paginate(request, qs.prefetch_related("steps"), PAGE_SIZE)
    return _render(
        request,
        "members/transfers.html",
        {
            "listing": listed,
            "page": page,
            "transfers": _transfer_rows(user, list(page.object_list)),
            "tabs": [(code, label, code == state) for code, label in TRANSFER_TABS],
        },
    )
