"""The staff console's home, its to-do inbox (我的待办) and notifications (the bell, the list,
the preferences). Everything here is the signed-in person's own: the inbox is read through
``core.todo`` (each source reads its app's selectors: scope applies), notifications through
``core.notify`` (own rows only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.console.audit_labels import action_label
from dangjian.core import notify, todo
from dangjian.core.ids import id_or_none
from dangjian.core.middleware import passive_session
from dangjian.core.models import AuditEntry
from dangjian.core.textmask import mask_text
from dangjian.web.decorators import console_view
from dangjian.web.inbox import decorate, safe_url, source_rows
from dangjian.web.paging import paginate

HOME_ITEMS = 8
RECENT_ROWS = 8
PAGE_SIZE = 20

# Menu entries that carry the count of a module's to-dos (url name → source key prefix).
MENU_SOURCES = {
    "console:cases:list": "cases.",
    "console:development:list": "development.",
    "console:orglife:calendar": "orglife.",
    "console:dues:overview": "dues.",
    "console:members:transfers": "members.transfer",
    "console:accounts:registrations": "accounts.registration",
}


def _recent(user) -> list[dict]:
    rows = (
        AuditEntry.objects.filter(actor_id=user.pk)
        .order_by("-at", "-id")
        .only("at", "action", "object_type", "object_repr", "note")[:RECENT_ROWS]
    )
    out = []
    for e in rows:
        out.append({"at": e.at, "label": action_label(e.action), "what": mask_text(e.object_repr)})
    return out


def _node_figures(user) -> dict | None:
    """The key figures of the person's node from the roll-ups (one node: the topmost they
    reach; several: the page of each is one click away)."""
    if not user.can("dashboard.view"):
        return None
    from dangjian.dashboard import selectors as dashboard
    from dangjian.dashboard.views import decorate as decorate_figures

    data = dashboard.figures(user, None, None)
    if not data["items"]:
        return None
    node = decorate_figures(data["items"][0])
    return {"node": node, "sections": data["sections"], "period": data.get("period_label", "")}


@console_view
def home(request):
    """The staff member's own work: what waits on them, their node's figures, their recent
    activity."""
    user = request.user
    rows = source_rows(user)
    items = todo.inbox(user, limit=HOME_ITEMS)
    return render(
        request,
        "console/home.html",
        {
            "items": decorate(items),
            "sources": rows,
            "todo_total": sum(r["count"] for r in rows),
            "unread": notify.unread_count(user),
            "recent": _recent(user),
            "figures": _node_figures(user),
            "no_grants": not user.grants.exists(),
        },
    )


@console_view
def todo_list(request):
    """我的待办: everything waiting on the person, most urgent first; tabs per source."""
    user = request.user
    rows = source_rows(user)
    keys = {s.key for s in todo.sources()}
    source = request.GET.get("source") or ""
    if source not in keys:  # an unknown source: everything
        source = ""
    items = todo.inbox(user, limit=None, only=[source] if source else None)
    page = paginate(request, decorate(items), PAGE_SIZE)
    return render(
        request,
        "console/todos.html",
        {
            "page": page,
            "rows": page.object_list,
            "sources": rows,
            "source": source,
            "todo_total": sum(r["count"] for r in rows),
        },
    )


@console_view
@passive_session
def inbox_counts(request):
    """The badges (menu counts, the bell) as JSON, fetched after the page has loaded so that
    no page pays for them."""
    from django.urls import reverse

    counts = todo.counts(request.user)
    menu = {}
    for url_name, prefix in MENU_SOURCES.items():
        n = sum(v for k, v in counts.items() if k.startswith(prefix))
        if n:
            menu[reverse(url_name)] = n
    response = JsonResponse(
        {
            "todos": sum(counts.values()),
            "unread": notify.unread_count(request.user),
            "menu": menu,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


# --- notifications ---------------------------------------------------------------------------


def _notification_rows(objs) -> list[dict]:
    return [{"n": n, "kind_label": notify.kind_label(n.kind)} for n in objs]


@console_view
def notification_list(request):
    user = request.user
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, notify.notification_list(user, unread=unread_only), PAGE_SIZE)
    return render(
        request,
        "console/notifications.html",
        {
            "page": page,
            "rows": _notification_rows(page.object_list),
            "unread_only": unread_only,
            "unread": notify.unread_count(user),
        },
    )


@console_view
def notification_menu(request):
    """The bell's drop-down (an htmx fragment): the latest few, unread first."""
    rows = list(notify.notification_list(request.user)[:6])
    return render(
        request,
        "console/_bell_menu.html",
        {"rows": _notification_rows(rows), "unread": notify.unread_count(request.user)},
    )


@console_view
@require_POST
def notification_open(request, notification_id: int):
    """Mark one of one's own notifications read and go where it points (404: not one's own)."""
    from django.http import Http404

    pk = id_or_none(notification_id)
    n = notify.notification_list(request.user).filter(pk=pk).first() if pk else None
    if n is None:
        raise Http404("通知不存在")
    notify.mark_read(user=request.user, ids=[n.pk])
    return redirect(safe_url(request, n.url, "console:notifications"))


@console_view
@require_POST
def notification_read_all(request):
    marked = notify.mark_read(user=request.user)
    messages.success(request, f"已将{marked}条通知标为已读" if marked else "没有未读通知")
    return redirect(safe_url(request, request.POST.get("next", ""), "console:notifications"))


@console_view
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    user = request.user
    if request.method == "POST":
        try:
            for row in notify.preferences(user):
                kind = row["kind"]
                in_app = request.POST.get(f"in_app:{kind}") == "on"
                external = request.POST.get(f"external:{kind}") == "on"
                if (in_app, external) != (row["in_app"], row["external"]):
                    notify.preference_set(user=user, kind=kind, in_app=in_app, external=external)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "通知设置已保存")
        return redirect("console:notification_preferences")
    return render(
        request, "console/notification_preferences.html", {"prefs": notify.preferences(user)}
    )
