import pytest

from tests.orglife.helpers import people


@pytest.fixture
def branch(world):
    return world.orgs["grid_branch"]


@pytest.fixture
def ten(branch):
    """Ten full members of the grid branch."""
    return people(branch, 10)


@pytest.fixture
def secretary(world):
    return world.users["community"]
