"""The approval authorization's form and what the organization page shows of it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangjian.core import scope, tree
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
