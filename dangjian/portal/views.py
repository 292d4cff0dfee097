"""The mobile home page; each module's mobile pages live in their own module beside it."""

from __future__ import annotations

from django.shortcuts import render

from dangjian.portal.tiles import tiles_for
from dangjian.web.decorators import console_view


@console_view
def home(request):
    return render(request, "portal/home.html", {"tiles": tiles_for(request.user)})
