"""``manage.py dashboard_recompute``: rebuilds and reports; ``--check`` fails on a difference."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.members.helpers import member as make_member

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("dashboard_recompute", *args, stdout=out)
    return out.getvalue()


def test_rebuild_then_check(world):
    assert "重算2个月" in _run("--months", "2")
    assert "差异0处" in _run("--months", "2", "--check")
    make_member(world.users["admin"], world.orgs["grid_branch"])
    with pytest.raises(SystemExit):
        _run("--months", "1", "--check")
    text = _run("--months", "1")
    assert "members" in text and "差异" in text
    assert "差异0处" in _run("--months", "1", "--check")


def test_bad_arguments(world):
    with pytest.raises(CommandError):
        _run("--month", "2026-13")
    with pytest.raises(CommandError):
        _run("--months", "0")
