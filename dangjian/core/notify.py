"""Notifications: services raise them through :func:`notify` and nowhere else.

Rows are in-app (the console's bell, the phone's list). Delivery beyond the app (SMS …) goes
through the adapters a deployment lists in ``DANGJIAN_NOTIFY_ADAPTERS``; the default list is
empty, so nothing leaves the machine in the demo or the tests. Adapters run after the
transaction commits and a failing adapter never undoes the in-app row.

Kinds are declared (:func:`declare_kind`) with a Chinese label so preferences can be shown.
Titles and bodies are shown to people: ID and phone numbers in them are masked on the way in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core.scope import PERSONAL
from dangjian.core.textmask import mask_text

log = logging.getLogger(__name__)

_KINDS: dict[str, str] = {}


def declare_kind(kind: str, label: str) -> None:
    _KINDS[kind] = str(label)


def kinds() -> dict[str, str]:
    return dict(sorted(_KINDS.items()))


def kind_label(kind: str) -> str:
    return _KINDS.get(kind, kind)


@dataclass(frozen=True)
class Message:
    """What an adapter receives: no personal data beyond the recipient's own account."""

    recipient_id: int
    kind: str
    title: str
    body: str
    url: str


class Adapter:
    """Delivery beyond the app. ``send`` gets messages the recipient asked to receive this way."""

    channel = "external"

    def send(self, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LogAdapter(Adapter):
    """Writes one log line per message: for trying a deployment's wiring without a gateway."""

    channel = "log"

    def send(self, message: Message) -> None:
        log.info("notify %s to user %s: %s", message.kind, message.recipient_id, message.title)


class SmsAdapter(Adapter):
    """The SMS gateway a deployment plugs in: subclass and implement ``deliver(phone, text)``.

    The phone number is looked up only here, decrypted for the send and never stored or logged.
    """

    channel = "sms"

    def phone_of(self, recipient_id: int) -> str:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=recipient_id).first()
        getter = getattr(user, "notification_phone", None)
        return getter() if callable(getter) else ""

    def send(self, message: Message) -> None:
        phone = self.phone_of(message.recipient_id)
        if phone:
            self.deliver(phone, f"{message.title} {message.body}".strip())

    def deliver(self, phone: str, text: str) -> None:  # pragma: no cover - deployment's
        raise NotImplementedError("部署时请实现短信网关")


def adapters() -> list[Adapter]:
    return [import_string(path)() for path in getattr(settings, "DANGJIAN_NOTIFY_ADAPTERS", [])]


def _deliver(messages: list[Message]) -> None:
    from dangjian.core.models import NotificationPreference

    chosen = adapters()
    if not chosen or not messages:
        return
    ids = {m.recipient_id for m in messages}
    refused = set(
        NotificationPreference.objects.filter(user_id__in=ids, external=False).values_list(
            "user_id", "kind"
        )
    )
    for message in messages:
        if (message.recipient_id, message.kind) in refused:
            continue
        for adapter in chosen:
            try:
                adapter.send(message)
            except Exception:  # one gateway's failure must not hide the in-app row
                log.exception("notification adapter %s failed", type(adapter).__name__)


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    key: str = "",
) -> int:
    """Raise one notification to each recipient (users or user ids); returns how many were new.

    ``key`` makes it idempotent per recipient: a sweep that runs twice, or a service replayed,
    raises nothing the second time. Recipients who turned the kind off in-app get no row.
    """
    from dangjian.core.models import Notification, NotificationPreference

    ids = sorted({getattr(r, "pk", r) for r in recipients if r is not None})
    if not ids:
        return 0
    muted = set(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind, in_app=False).values_list(
            "user_id", flat=True
        )
    )
    title = mask_text(str(title))[:200]
    body = mask_text(str(body))[:1000]
    wanted = [i for i in ids if i not in muted]
    if key:
        seen = set(
            Notification.objects.filter(recipient_id__in=wanted, key=key).values_list(
                "recipient_id", flat=True
            )
        )
        wanted = [i for i in wanted if i not in seen]
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=i, kind=kind, title=title, body=body, url=url, key=key, created_at=now
        )
        for i in wanted
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    messages = [Message(i, kind, title, body, url) for i in wanted]
    transaction.on_commit(lambda: _deliver(messages))
    return len(rows)


def unread_count(user) -> int:
    from dangjian.core.models import Notification

    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.visible_to(user, PERSONAL).filter(read_at__isnull=True).count()


def mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them when ``ids`` is None)."""
    from dangjian.core.models import Notification

    rows = Notification.objects.visible_to(user, PERSONAL).filter(read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=timezone.now())


# --- reading and preferences (the console's bell, the phone's list, the API) ------------------


def notification_list(user, *, unread: bool = False):
    """The user's own notifications, newest first (nobody else's: no grant reaches them)."""
    from dangjian.core.models import Notification

    qs = Notification.objects.visible_to(user, PERSONAL)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def preferences(user) -> list[dict]:
    """Every declared kind with the user's choice (both on unless they turned it off)."""
    from dangjian.core.models import NotificationPreference

    pk = getattr(user, "pk", None)
    rows = NotificationPreference.objects.filter(user_id=pk) if pk else []
    chosen = {p.kind: p for p in rows}
    out = []
    for kind, label in kinds().items():
        p = chosen.get(kind)
        out.append(
            {
                "kind": kind,
                "label": label,
                "in_app": p.in_app if p else True,
                "external": p.external if p else True,
            }
        )
    return out


def preference_set(*, user, kind: str, in_app: bool, external: bool) -> dict:
    """Set the user's own choice for one kind (422 naming ``kind`` when it is unknown)."""
    from django.core.exceptions import ValidationError

    from dangjian.core import audit
    from dangjian.core.models import NotificationPreference

    kind = str(kind or "").strip()[:64]
    if kind not in _KINDS:
        raise ValidationError({"kind": [f"通知类别“{kind[:32]}”不存在"]})
    with transaction.atomic():
        row, _created = NotificationPreference.objects.update_or_create(
            user_id=user.pk,
            kind=kind,
            defaults={"in_app": bool(in_app), "external": bool(external)},
        )
        audit.record(
            actor=user,
            action="notification.preference",
            object_type="core.notificationpreference",
            object_id=str(row.pk),
            object_repr=kind_label(kind),
            after={"kind": kind, "in_app": row.in_app, "external": row.external},
        )
    return {"kind": kind, "label": kind_label(kind), "in_app": row.in_app, "external": row.external}


# --- the deadline sweep: each app declares what it checks ------------------------------------

_SWEEPS: dict[str, object] = {}


def declare_sweep(key: str, fn) -> None:
    """``fn(now=...) -> int``: raise the app's "deadline approaching/passed" notifications
    (with ``key``s, so that a second run raises nothing) and answer how many were new."""
    _SWEEPS[key] = fn


def sweep(*, now=None) -> dict[str, int]:
    """Run every declared deadline sweep; ``{key: notifications raised}``."""
    now = now or timezone.now()
    return {key: int(_SWEEPS[key](now=now)) for key in sorted(_SWEEPS)}  # type: ignore[operator]
