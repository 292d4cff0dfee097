"""Per-request facts the audit trail needs, without passing the request everywhere."""

from __future__ import annotations

import contextvars
import uuid

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
remote_addr: contextvars.ContextVar[str] = contextvars.ContextVar("remote_addr", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]
