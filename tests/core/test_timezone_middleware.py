"""core.middleware.TimeZoneMiddleware: the deployment's zone is the active one during a
request (so that lookups of the current zone find it), and none is left active after."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from dangjian.core.middleware import TimeZoneMiddleware


def test_the_default_zone_is_active_during_the_request_and_not_after():
    seen = []

    def view(request):
        seen.append(timezone._active.value)  # set, not the lookup's fallback
        return HttpResponse("ok")

    response = TimeZoneMiddleware(view)(RequestFactory().get("/"))
    assert response.status_code == 200
    assert seen == [timezone.get_default_timezone()]
    assert not hasattr(timezone._active, "value")


def test_no_zone_is_left_active_when_the_view_fails():
    def view(request):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        TimeZoneMiddleware(view)(RequestFactory().get("/"))
    assert not hasattr(timezone._active, "value")
