import pytest


@pytest.fixture(autouse=True)
def _assessment_defaults(settings):
    settings.DANGJIAN = {**(getattr(settings, "DANGJIAN", None) or {})}


@pytest.fixture
def stored_files(settings, tmp_path):
    """Stored files (evidence uploads) under the test's own folder."""
    settings.DANGJIAN = {**settings.DANGJIAN, "FILES_DIR": str(tmp_path)}
    return tmp_path
