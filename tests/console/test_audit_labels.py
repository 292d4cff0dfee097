"""Everything in Chinese (issue 18): no audit action is shown to people as its code. Walks every
action the services record — the literal ``action=`` of each ``audit.record`` call in the
source, the codes built from a name (the check-ins, the mobile members' moves, the two-way
ones), and every move of every workflow — and asks the label the audit log shows."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

import dangjian
from dangjian.console.audit_labels import action_choices, action_label, flow_moves

ROOT = pathlib.Path(dangjian.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")
# Codes the services build at run time (f-strings and conditionals over a few names).
BUILT = [
    "member.mobile_register",
    "member.mobile_end",
    "member.checkin",
    "org.checkin",
    "cadre.leave",
    "cadre.update",
    "registration.confirm",
    "registration.reject",
    "user.reactivate",
    "user.deactivate",
    "areas.import",
    "households.import",
    "boundaries.import",
    "audit.reveal_actor",
]


def recorded_actions() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if not (isinstance(f, ast.Attribute) and f.attr == "record"):
                continue
            if not (isinstance(f.value, ast.Name) and f.value.id == "audit"):
                continue
            for kw in node.keywords:
                if kw.arg == "action" and isinstance(kw.value, ast.Constant):
                    found.add(kw.value.value)
    return found


def every_action() -> list[str]:
    codes = recorded_actions() | set(BUILT)
    for prefix, moves in flow_moves().items():
        codes |= {f"{prefix}{move}" for move in moves}
    return sorted(codes)


def test_the_walk_finds_the_actions():
    codes = every_action()
    assert len(codes) > 100
    assert {"member.create", "event.dispatch", "org.create", "demo.seed"} <= set(codes)


@pytest.mark.parametrize("code", every_action())
def test_no_audit_action_is_shown_untranslated(code):
    label = action_label(code)
    assert label and CJK.search(label) and not ASCII_LETTER.search(label.replace("Excel", "")), (
        f"{code} → {label!r}"
    )


def test_named_labels_and_workflow_moves():
    assert action_label("member.create") == "新建党员档案"
    assert action_label("event.dispatch").startswith("网格事件：")
    assert action_label("something.unheard_of") == "其他操作"
    assert action_label("member.frobnicate") == "党员：其他操作"
    assert "event.dispatch" in action_choices()


@pytest.mark.django_db
def test_the_audit_log_shows_chinese(client, world):
    from dangjian.core import audit

    node = world.nodes["street"]
    for code in ("member.create", "event.dispatch", "dues.payment_create"):
        audit.record(
            actor=world.users["county"],
            action=code,
            object_type="territory.area",
            object_id=str(node.pk),
            object_repr="标签测试",
            area_path=node.path,
        )
    client.force_login(world.users["street"])
    html = client.get("/audit/").content.decode()
    assert "新建党员档案" in html and "登记党费收缴" in html and "网格事件：" in html
    assert ">member.create<" not in html and ">event.dispatch<" not in html


@pytest.mark.django_db
def test_favicon_and_dates_as_people_write_them(client, world):
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("favicon.svg")
    client.force_login(world.users["county"])
    html = client.get("/audit/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
    from django.utils import formats, timezone

    stamp = timezone.localtime().replace(hour=14, minute=30)
    assert formats.date_format(stamp, "DATETIME_FORMAT") == stamp.strftime("%Y-%m-%d 14:30")


@pytest.mark.django_db
def test_the_audit_log_shows_real_names(client, world):
    from dangjian.core import audit

    user = world.users["county"]
    user.real_name = "林建国"
    user.save(update_fields=["real_name"])
    node = world.nodes["street"]
    audit.record(
        actor=user,
        action="area.update",
        object_type="territory.area",
        object_id=str(node.pk),
        area_path=node.path,
    )
    client.force_login(world.users["street"])
    html = client.get("/audit/").content.decode()
    assert "林建国" in html
