"""The phone's to-do list and notification list (the person's own, as on the console)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.core import notify, todo
from dangjian.core.ids import id_or_none
from dangjian.web.decorators import console_view
from dangjian.web.inbox import decorate, safe_url, source_rows
from dangjian.web.paging import paginate

PAGE_SIZE = 20


@console_view
def todos(request):
    user = request.user
    rows = source_rows(user)
    items = decorate(todo.inbox(user, limit=None))
    for row in items:
        row["url"] = row["t"].extra.get("phone_url") or row["t"].url
    page = paginate(request, items, PAGE_SIZE)
    return render(
        request,
        "portal/todos.html",
        {"page": page, "rows": page.object_list, "sources": rows},
    )


@console_view
def notifications(request):
    user = request.user
    page = paginate(request, notify.notification_list(user), PAGE_SIZE)
    rows = [{"n": n, "kind_label": notify.kind_label(n.kind)} for n in page.object_list]
    return render(
        request,
        "portal/notifications.html",
        {"page": page, "rows": rows, "unread": notify.unread_count(user)},
    )


@console_view
@require_POST
def notification_open(request, notification_id: int):
    pk = id_or_none(notification_id)
    n = notify.notification_list(request.user).filter(pk=pk).first() if pk else None
    if n is None:
        raise Http404("通知不存在")
    notify.mark_read(user=request.user, ids=[n.pk])
    return redirect(safe_url(request, n.url, "portal:notifications"))


@console_view
@require_POST
def notification_read_all(request):
    notify.mark_read(user=request.user)
    return redirect("portal:notifications")
