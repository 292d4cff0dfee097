import os

import pytest

from tests import world as world_mod

# Browser and PostgreSQL tests say why they are skipped outside CI; in CI they must run.
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path_factory):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return world_mod.build()


@pytest.fixture
def api(client):
    return world_mod.ApiClient(client)
