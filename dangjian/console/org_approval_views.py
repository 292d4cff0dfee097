"""The county's authorization of a street 党工委 to approve member development, on the
organization's page (``organizations.services.org_approval_authorize`` / ``_revoke``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dangjian.console.decorators import console_view
from dangjian.core import scope, tree
from dangjian.core.errors import Conflict
from dangjian.organizations import services
from dangjian.organizations.models import OrgKind, PartyOrg


class ApprovalAuthorizeForm(forms.Form):
    document_no = forms.CharField(
        label=_("授权文件文号"), max_length=services.MAX_DOCUMENT_NO, strip=True
    )
    document_date = forms.DateField(
        label=_("授权文件日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为YYYY-MM-DD")},
    )

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, msgs in exc.message_dict.items():
            field = key if key in self.fields else None
            for message in msgs:
                self.add_error(field, message)


def can_authorize(user, org: PartyOrg) -> bool:
    """Whether ``user`` may set or withdraw ``org``'s authorization (a 党工委 only)."""
    if org.kind != OrgKind.WORKING_COMMITTEE:
        return False
    reach = scope.reach_of(user, services.AUTHORIZE_APPROVAL)
    return any(tree.is_within(org.path, p) for p in reach.org_paths)


def approval_context(user, org: PartyOrg, form: ApprovalAuthorizeForm | None = None) -> dict:
    return {
        "approval_shown": org.kind == OrgKind.WORKING_COMMITTEE,
        "approval_can_edit": can_authorize(user, org),
        "approval_form": form or ApprovalAuthorizeForm(),
    }


@console_view
@require_POST
def org_approval(request, node_id: int):
    """Authorize (``action=authorize``, with the document) or withdraw (``action=revoke``)."""
    from dangjian.console.tree_views import org_detail_response

    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        request.user,
        services.AUTHORIZE_APPROVAL,
        view_action="organizations.view",
        pk=node_id,
    )
    try:
        if request.POST.get("action") == "revoke":
            services.org_approval_revoke(actor=request.user, org=org)
            messages.success(request, f"已撤销{org.name}审批发展党员的授权")
        else:
            form = ApprovalAuthorizeForm(request.POST)
            if not form.is_valid():
                return org_detail_response(request, node_id, approval_form=form, status=422)
            try:
                services.org_approval_authorize(
                    actor=request.user,
                    org=org,
                    document_no=form.cleaned_data["document_no"],
                    document_date=form.cleaned_data["document_date"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
                return org_detail_response(request, node_id, approval_form=form, status=422)
            messages.success(request, f"已登记{org.name}经县级党委授权审批发展党员")
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("console:org_detail", node_id=org.pk)
