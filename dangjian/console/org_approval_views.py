"""The county's authorization of a street 党工委 to approve member development, on the
organization's page (``organizations.services.org_approval_authorize`` / ``_revoke``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dangjian.console.org_approval_forms import ApprovalAuthorizeForm
from dangjian.console.tree_views import org_detail_response
from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.organizations import services
from dangjian.organizations.models import PartyOrg
from dangjian.web.decorators import console_view


@console_view
@require_POST
def org_approval(request, node_id: int):
    """Authorize (``action=authorize``, with the document) or withdraw (``action=revoke``)."""

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
