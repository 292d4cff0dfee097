import pytest

from dangjian.core import workdays
from tests.cases import helpers


@pytest.fixture(autouse=True)
def _fresh_holidays():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.fixture
def world(world):
    """The shared world, with the seeded taxonomy (a transactional test's flush empties it)."""
    helpers.ensure_taxonomy()
    return world


@pytest.fixture
def depts(world):
    return helpers.departments(world)


@pytest.fixture
def dept_users(depts):
    return {d.pk: helpers.department_user(f"t-dept-{i}", d) for i, d in enumerate(depts.values())}


@pytest.fixture
def actors(world, dept_users):
    return helpers.Actors(world, dept_users)
