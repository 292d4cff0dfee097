"""Bodies over the largest upload are refused before anything reads them (issue 19)."""

from dangjian.core.middleware import max_request_bytes


def test_an_oversized_declared_body_is_413_with_a_chinese_message(world, client):
    client.force_login(world.resident)
    r = client.generic(
        "POST",
        "/api/v1/cases/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(max_request_bytes() + 1),
    )
    assert r.status_code == 413
    assert "请求内容过大" in r.json()["detail"]
    page = client.generic("POST", "/m/cases/new/", b"", CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert page.status_code == 413 and "请求内容过大" in page.content.decode()


def test_a_body_within_the_limit_goes_through(world, client):
    client.force_login(world.resident)
    r = client.post("/api/v1/cases/", {"description": "x"}, content_type="application/json")
    assert r.status_code == 422
