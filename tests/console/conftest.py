import pytest

from dangjian.core import workdays


@pytest.fixture(autouse=True)
def _fresh_holiday_cache():
    """The holiday cache is per process; a year another test created must not leak in."""
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def as_user(client):
    """Log the test client in as one of the world's users."""

    def login(user):
        client.force_login(user)
        return client

    return login
