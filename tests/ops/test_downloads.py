"""Files handed to a browser are kept out of every cache and named in Chinese (issue 19)."""

from urllib.parse import quote

import pytest

from dangjian.core import files

TEMPLATES = [
    ("/api/v1/members/import/template", "党员导入模板.xlsx"),
    ("/api/v1/orgs/import/template", "党组织导入模板.xlsx"),
    ("/api/v1/areas/import/template", "区域导入模板.xlsx"),
]


@pytest.mark.parametrize(("path", "name"), TEMPLATES)
def test_a_download_is_private_no_store_and_named(world, api, path, name):
    r = api.get(world.users["city"], path)
    if r.status_code == 404:
        pytest.fail(f"{path} is gone: update this list")
    assert r.status_code == 200
    assert r["Cache-Control"] == "private, no-store"
    assert r["Content-Disposition"] == f"attachment; filename*=UTF-8''{quote(name)}"


def test_a_stored_file_is_served_private_no_store(db, tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    stored = files.file_store_bytes(actor=None, name="photo.png", content=png)
    response = files.file_response(stored)
    assert response["Cache-Control"] == "private, no-store"
