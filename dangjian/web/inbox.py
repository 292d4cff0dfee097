"""What the console and the phone both show of a person's inbox: the rows and their
deadlines as people write them, the count per source, a safe place to go."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from dangjian.core import todo


def source_rows(user) -> list[dict]:
    """Per source with something waiting: its label, module and count (declared order)."""
    counts = todo.counts(user)
    return [
        {"key": s.key, "label": s.label, "module": s.module, "count": counts[s.key]}
        for s in todo.sources()
        if s.key in counts
    ]


def due_text(due) -> str:
    """A deadline as people write it: 2026-12-07, or 2026-12-07 14:30 for a time of day."""
    if due is None:
        return ""
    if isinstance(due, dt.datetime):
        if timezone.is_aware(due):
            due = timezone.localtime(due)
        return f"{due:%Y-%m-%d %H:%M}"
    return f"{due:%Y-%m-%d}"


def decorate(items) -> list[dict]:
    return [{"t": t, "due_text": due_text(t.due), "overdue": t.is_overdue()} for t in items]


def safe_url(request, url: str, fallback: str) -> str:
    """``url`` when it stays on this site, else ``fallback`` (a URL name)."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback
