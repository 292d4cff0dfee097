"""To-dos and notifications: one's own inbox, never another's."""

from __future__ import annotations

from tests.spine.crossscope.registry import (
    FACTORIES,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    Probe,
    Route,
    fingerprint,
)


# --- to-dos and notifications (issue 18) ---------------------------------------------------------
# One's inbox and notifications are one's own. The to-do lists must show none of the first
# county's events to t-street3 (whose street is in the other county); the notification probes
# are a first-county secretary's notifications, which nobody else reads or marks, the insider
# included (no control: no grant reaches another person's notifications or inbox).
def notification_probes(world) -> list[Probe]:
    from dangjian.core import notify as _notify
    from dangjian.core.models import Notification

    owner = world.users["community"]
    out = []
    for i in range(2):
        title = f"越界探针通知{i}"
        _notify.notify(recipients=[owner], kind="probe", title=title, key=f"probe:{i}")
        n = Notification.objects.get(recipient=owner, key=f"probe:{i}")
        out.append(Probe(n.pk, title))
    return out


FACTORIES["notification"] = notification_probes


@fingerprint
def _notifications_rows(out: dict) -> None:
    """No outsider marks anyone's notification read."""
    from dangjian.core.models import Notification

    out["core.Notification:unread"] = Notification.objects.filter(read_at__isnull=True).count()


ROUTES += [
    Route("api", "/api/v1/todos/", "event", "list", control=False),
    Route("api", "/api/v1/todos/?page_size=200", "event", "list", control=False),
    Route("api", "/api/v1/notifications/", "notification", "list", control=False),
    Route("api", "/api/v1/notifications/?unread=true", "notification", "list", control=False),
    Route(
        "api",
        "/api/v1/notifications/read",
        "notification",
        "write",
        method="POST",
        data=lambda p: {"ids": [p.pk]},
        control_status=frozenset({404}),
    ),
    Route("console", "/todos/", "event", "list", control=False),
    Route("console", "/todos/counts/", "event", "self"),
    Route("console", "/notifications/", "notification", "list", control=False),
    Route("console", "/notifications/?unread=1", "notification", "list", control=False),
    Route("console", "/notifications/menu/", "notification", "list", control=False),
    Route(
        "console",
        "/notifications/{id}/open/",
        "notification",
        "write",
        method="POST",
        control_status=frozenset({404}),
    ),
    Route("console", "/m/todos/", "event", "list", control=False),
    Route("console", "/m/todos/?page=1", "orglife_session", "self", control=False),
    Route("console", "/m/orglife/sessions/{id}/rate/", "orglife_session", "detail", control=False),
    Route(
        "console",
        "/m/orglife/sessions/{id}/rate/",
        "orglife_session",
        "write",
        method="POST",
        data={"score": "5"},
        control_status=frozenset({404}),
    ),
    # A session's phone page (its agenda, materials and the leave request, issue 18): the
    # insider sees it (not on its roster: the leave is refused by name, 400).
    Route("console", "/m/orglife/sessions/{id}/", "orglife_session", "detail"),
    Route(
        "console",
        "/m/orglife/sessions/{id}/",
        "orglife_session",
        "write",
        method="POST",
        data={"reason": "越界请假"},
        control_status=frozenset({400}),
    ),
    Route("console", "/m/notifications/", "notification", "list", control=False),
    Route(
        "console",
        "/m/notifications/{id}/open/",
        "notification",
        "write",
        method="POST",
        control_status=frozenset({404}),
    ),
]
# Preferences and "mark all read" touch one's own rows only.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/notifications/preferences"),
    ("POST", "/api/v1/notifications/preferences"),
}
UNSCOPED_CONSOLE_ROUTES |= {
    "/notifications/read/",
    "/notifications/preferences/",
    "/m/notifications/read/",
}
