import pytest


@pytest.fixture(autouse=True)
def _assessment_defaults(settings):
    settings.DANGJIAN = {**(getattr(settings, "DANGJIAN", None) or {})}
