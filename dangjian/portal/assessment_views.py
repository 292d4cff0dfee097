"""Mobile pages of the two-colour warnings (/m/assessment/): a member's own warnings with
the reason and what clears them; a secretary's branch (its active warnings)."""

from __future__ import annotations

from django.shortcuts import render

from dangjian.assessment.selectors import warnings as selectors
from dangjian.core.scope import Forbidden
from dangjian.web.decorators import console_view


@console_view
def my_warnings(request):
    rows = list(selectors.own(request.user, history=True)[:50])
    return render(
        request,
        "portal/assessment/mine.html",
        {
            "active": [w for w in rows if w.active],
            "cleared": [w for w in rows if not w.active],
        },
    )


@console_view
def branch_warnings(request):
    if not request.user.can("members.manage"):
        raise Forbidden("只有党组织书记可以查看本支部的预警")
    rows = list(
        selectors.warnings(request.user).exclude(user=request.user).select_related("org")[:200]
    )
    return render(request, "portal/assessment/branch.html", {"rows": rows})
