"""The mobile home page; each module's mobile pages live in their own module beside it."""

from __future__ import annotations

from django.shortcuts import render

from dangjian.core import notify, todo
from dangjian.portal.tiles import tiles_for
from dangjian.web.decorators import console_view, phone_only


@console_view
def home(request):
    """The phone home: what waits on the person and their unread notifications on top, then
    the tiles; a link to the console for those who also hold a staff role there."""
    user = request.user
    return render(
        request,
        "portal/home.html",
        {
            "tiles": tiles_for(user),
            "todo_total": todo.total(user),
            "unread": notify.unread_count(user),
            "console_link": not phone_only(user),
        },
    )
