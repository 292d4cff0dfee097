"""The demo generator's choice of modules, on an empty database (the module's other tests share
one seeded city: tests/demo/test_seed.py)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dangjian.accounts.models import User
from dangjian.core.models import AuditEntry
from dangjian.demo.generator import seed
from dangjian.territory.models import Area


@pytest.mark.django_db
def test_seed_trees_and_accounts_only_when_no_module_is_chosen():
    from io import StringIO

    from dangjian.cases.models import Event
    from dangjian.members.models import Member

    out = StringIO()
    call_command("seed", "--scale", "small", "--no-progress", "--modules", "none", stdout=out)
    assert Area.objects.exists() and User.objects.filter(username="demo-grid").exists()
    assert not Member.objects.exists()
    assert not Event.objects.exists()
    assert AuditEntry.objects.get(action="demo.seed").after["modules"] == []
    assert "两棵树和账号" in out.getvalue() and "党员 " not in out.getvalue()


@pytest.mark.django_db
def test_seed_refuses_unknown_modules_and_missing_prerequisites():
    with pytest.raises(CommandError, match="未知的模块“votes”"):
        seed("small", progress=False, modules=("votes",))
    with pytest.raises(CommandError, match="组织生活演示数据需要党员演示数据"):
        seed("small", progress=False, modules=("orglife",))
    assert not Area.objects.exists()
