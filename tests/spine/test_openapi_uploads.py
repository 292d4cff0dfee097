"""The upload routes in the OpenAPI document (issue 19's schemathesis run): a request without
its file is not a valid one, and the route refuses it on the field."""

from __future__ import annotations

import pytest

from tests.spine.apifuzz import document

UPLOADS = [
    (path, method)
    for path, item in document()["paths"].items()
    for method, op in item.items()
    if "multipart/form-data" in (op.get("requestBody") or {}).get("content", {})
]


def test_every_upload_route_is_found():
    assert ("/api/v1/areas/households/import", "post") in UPLOADS
    assert ("/api/v1/members/{member_id}/photo", "post") in UPLOADS
    assert len(UPLOADS) >= 10


@pytest.mark.parametrize(("path", "method"), UPLOADS)
def test_the_file_is_required_in_the_document(path, method):
    form = document()["paths"][path][method]["requestBody"]["content"]["multipart/form-data"]
    assert "file" in form["schema"]["properties"]
    assert "file" in form["schema"]["required"]


@pytest.mark.django_db
def test_an_upload_without_its_file_is_refused_on_the_field(world, client):
    from dangjian.accounts.services import token_issue

    raw, _ = token_issue(user=world.users["city"])
    r = client.post(
        "/api/v1/areas/households/import",
        {"mode": "all_or_nothing"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert r.status_code == 422
    assert r.json()["errors"]["file"] == ["请上传文件"]
