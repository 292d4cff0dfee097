"""web.batch: the one shape of the console's batch views (issue 18) — the ticked ids, the way
back to the list (kept on the list's pages, never another site), the service's refusals as
messages, all or nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from dangjian.web import batch


def _request(data: dict):
    request = RequestFactory().post("/cases/batch/dispatch/", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_posted_ids_leave_out_what_is_not_an_id():
    request = _request({"ids": ["3", " 5 ", "甲", "", "-1", "0", str(2**63), "3"]})
    assert batch.posted_ids(request, "ids") == [3, 5, 3]


@pytest.mark.parametrize(
    ("next_", "back"),
    [
        ("/cases/?sort=id&page=2", "/cases/?sort=id&page=2"),
        ("//evil.example/cases/", "/cases/"),
        ("https://evil.example/cases/", "/cases/"),
        ("/dues/", "/cases/"),
        ("", "/cases/"),
    ],
)
def test_the_way_back_stays_on_the_list(next_, back):
    request = _request({"next": next_})
    assert batch.back_to(request, prefix="/cases/", default="console:cases:list") == back


def test_refusals_become_errors_and_success_one_message():
    def refuse():
        raise ValidationError({"event_ids": ["未派遣任何事件（1件不能派遣）", "事件7：状态不对"]})

    request = _request({"next": "/cases/?sort=id"})
    r = batch.batch_post(
        request, prefix="/cases/", default="console:cases:list", run=refuse, done=str
    )
    assert r.status_code == 302 and r["Location"] == "/cases/?sort=id"
    assert [(m.level_tag, str(m)) for m in get_messages(request)] == [
        ("error", "未派遣任何事件（1件不能派遣）"),
        ("error", "事件7：状态不对"),
    ]
    request = _request({})
    r = batch.batch_post(
        request,
        prefix="/cases/",
        default="console:cases:list",
        run=lambda: [1, 2],
        done=lambda made: f"已处理{len(made)}件",
    )
    assert r["Location"] == "/cases/"
    assert [(m.level_tag, str(m)) for m in get_messages(request)] == [("success", "已处理2件")]
