"""The console's batch actions on ticked rows (issue 18), one shape for all of them: a POST of
the list's batch form runs one all-or-nothing service, its refusals (a ``ValidationError``
naming each refused row) become the page's error messages, its success one message, and the
answer goes back to the list as it was (``next``, kept on the list's own pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from dangjian.core.ids import id_or_none

T = TypeVar("T")


def posted_ids(request, name: str) -> list[int]:
    """The ticked rows' ids (``name`` repeated); anything not an id is left out."""
    return [i for i in (id_or_none(v) for v in request.POST.getlist(name)) if i is not None]


def back_to(request, *, prefix: str, default: str) -> str:
    """Where the batch returns: the form's ``next`` when it is a page under ``prefix`` (never
    another site: no ``//host``), else the list ``default`` (a URL name)."""
    back = request.POST.get("next") or ""
    if not back.startswith(prefix) or back.startswith("//"):
        return reverse(default)
    return back


def batch_post(
    request,
    *,
    prefix: str,
    default: str,
    run: Callable[[], T],
    done: Callable[[T], str],
) -> HttpResponseRedirect:
    """Run the batch service (``run``); on refusal each of its messages as an error, on
    success ``done(result)``; back to the list either way."""
    try:
        result = run()
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, done(result))
    return redirect(back_to(request, prefix=prefix, default=default))
