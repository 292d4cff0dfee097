"""The client's address comes from X-Forwarded-For only through a trusted proxy; a client's
request id is kept only when it is a short token; every answer carries Permissions-Policy."""

from __future__ import annotations

import pytest

from dangjian.core.middleware import client_address
from dangjian.core.models import AuditEntry


@pytest.fixture
def proxies(settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "TRUSTED_PROXIES": ("10.0.0.0/8", "127.0.0.1")}


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "TRUSTED_PROXIES": ()}
    meta = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "1.2.3.4"}
    assert client_address(meta) == "203.0.113.9"


def test_a_trusted_proxy_names_the_nearest_untrusted_hop(proxies):
    meta = {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7, 10.1.2.3",
    }
    # 6.6.6.6 is whatever the client claimed; 198.51.100.7 is what our proxies saw.
    assert client_address(meta) == "198.51.100.7"


def test_an_untrusted_sender_cannot_choose_its_address(proxies):
    meta = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "10.9.9.9"}
    assert client_address(meta) == "198.51.100.7"


def test_a_garbled_header_keeps_the_proxy_address(proxies):
    meta = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "<script>, 10.0.0.6"}
    assert client_address(meta) == "10.0.0.5"


@pytest.mark.django_db
def test_audit_rows_carry_the_forwarded_client(proxies, client, world):
    client.post(
        "/api/v1/auth/token",
        {"username": "nobody-here", "password": "x"},
        content_type="application/json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
    )
    row = AuditEntry.objects.filter(action="login.failed").latest("id")
    assert row.remote_addr == "198.51.100.23"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-cross-42", True),
        ("short", False),
        ("x" * 33, False),
        ("有中文的请求号abc", False),
        ("a b c d e f g h", False),
    ],
)
@pytest.mark.django_db
def test_a_client_request_id_is_kept_only_when_it_is_a_short_token(client, sent, kept):
    r = client.get("/api/v1/health", headers={"X-Request-ID": sent})
    assert (r["X-Request-ID"] == sent) is kept
    assert 8 <= len(r["X-Request-ID"]) <= 32


@pytest.mark.django_db
def test_every_answer_carries_the_permissions_policy(client):
    for path in ("/api/v1/health", "/login/"):
        r = client.get(path)
        assert (
            "camera=(self)" in r["Permissions-Policy"]
            and "microphone=()" in r["Permissions-Policy"]
        )
        assert r["X-Frame-Options"] == "DENY"
        assert r["Referrer-Policy"] == "same-origin"
