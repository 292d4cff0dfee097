"""Production mode (``DANGJIAN_ENV=production``) refuses weak settings by name, and is clean
under ``manage.py check --deploy``; the API docs want a login there; the demo seeder refuses it
(issue 19)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

from dangjian.core import crypto
from dangjian.deploy_checks import weak_settings

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "f3Kq9-" * 10  # 60 characters, 6 distinct


def _key(n: int) -> str:
    return base64.b64encode(os.urandom(n)).decode()


def good_env(tmp_path) -> dict:
    return {
        "DANGJIAN_ENV": "production",
        "DJANGO_SECRET_KEY": GOOD_KEY,
        "DANGJIAN_PII_ENC_KEYS": f"e1:{_key(16)}",
        "DANGJIAN_PII_INDEX_KEY": f"i1:{_key(32)}",
        "DJANGO_ALLOWED_HOSTS": "dangjian.example.gov.cn",
        "DANGJIAN_VAR_DIR": str(tmp_path / "var"),
    }


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DANGJIAN_", "DJANGO_")) and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_naming_each_weak_setting(tmp_path):
    env = {"DANGJIAN_ENV": "production", "DANGJIAN_VAR_DIR": str(tmp_path / "var")}
    env |= {
        "DJANGO_DEBUG": "1",
        "DANGJIAN_DEMO_PASSWORD": "Dangjian@2026",
        "DANGJIAN_DEMO_MODE": "1",
    }
    run = _run(env, "check")
    assert run.returncode != 0
    for named in (
        "DJANGO_SECRET_KEY",
        "DANGJIAN_PII_ENC_KEYS",
        "DANGJIAN_DEMO_PASSWORD",
        "DANGJIAN_DEMO_MODE",
        "DJANGO_DEBUG",
        "DJANGO_ALLOWED_HOSTS",
    ):
        assert named in run.stderr, (named, run.stderr[-2000:])
    # Nothing was generated into var/ on the way.
    assert not (tmp_path / "var" / "secret_key").exists()
    assert not (tmp_path / "var" / "keys").exists()


def test_good_production_settings_pass_check_deploy(tmp_path):
    run = _run(good_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_demo_mode_still_starts_with_nothing_set(tmp_path):
    run = _run({"DANGJIAN_VAR_DIR": str(tmp_path / "var")}, "check")
    assert run.returncode == 0, run.stderr


def _values(tmp_path, **kw):
    return {
        "VAR_DIR": tmp_path / "var",
        "SECRET_KEY": GOOD_KEY,
        "DEBUG": False,
        "ALLOWED_HOSTS": ["dangjian.example.gov.cn"],
        "DANGJIAN": {"DEMO_MODE": False},
        **kw,
    }


def test_keys_must_live_outside_var(tmp_path):
    env = good_env(tmp_path)
    del env["DANGJIAN_PII_ENC_KEYS"], env["DANGJIAN_PII_INDEX_KEY"]
    env["DANGJIAN_PII_KEYS_DIR"] = str(tmp_path / "var" / "keys")
    env["DJANGO_SECRET_KEY_FILE"] = str(tmp_path / "var" / "secret")
    del env["DJANGO_SECRET_KEY"]
    found = weak_settings(env, _values(tmp_path))
    assert any("DJANGO_SECRET_KEY_FILE 不能放在 var/" in p for p in found)
    assert any("DANGJIAN_PII_KEYS_DIR 不能在 var/" in p for p in found)
    outside = tmp_path / "keys"
    outside.mkdir()
    env["DANGJIAN_PII_KEYS_DIR"] = str(outside)
    found = weak_settings(env, _values(tmp_path))
    assert any("缺少密钥文件：pii_enc.keys、pii_index.key" in p for p in found)
    (outside / "pii_enc.keys").write_text("e1:x\n")
    (outside / "pii_index.key").write_text("i1:y\n")
    env["DJANGO_SECRET_KEY_FILE"] = str(tmp_path / "secret")
    assert weak_settings(env, _values(tmp_path)) == []


def test_short_secret_and_wildcard_hosts_are_named(tmp_path):
    env = good_env(tmp_path) | {"DJANGO_ALLOWED_HOSTS": "*"}
    found = weak_settings(env, _values(tmp_path, SECRET_KEY="short", ALLOWED_HOSTS=["*"]))
    assert any("DJANGO_SECRET_KEY 太短" in p for p in found)
    assert any("DJANGO_ALLOWED_HOSTS 不能为 *" in p for p in found)
    found = weak_settings(env, _values(tmp_path, SECRET_KEY="k" * 60))
    assert any("DJANGO_SECRET_KEY 太简单" in p for p in found)


def test_production_never_creates_a_missing_key(settings, tmp_path):
    settings.DANGJIAN = {
        **settings.DANGJIAN,
        "PII_KEYS_DIR": tmp_path / "keys",
        "CREATE_MISSING_KEYS": False,
    }
    env = {
        k: os.environ.pop(k)
        for k in ("DANGJIAN_PII_ENC_KEYS", "DANGJIAN_PII_INDEX_KEY")
        if k in os.environ
    }
    crypto.reset_keys_cache()
    try:
        with pytest.raises(ImproperlyConfigured, match="生产模式不自动生成密钥"):
            crypto.keyring()
        assert not (tmp_path / "keys" / "pii_enc.keys").exists()
    finally:
        os.environ.update(env)
        crypto.reset_keys_cache()


@pytest.mark.django_db
def test_api_docs_want_a_login_in_production(settings, client, world, api):
    assert client.get("/api/v1/openapi.json").status_code == 200  # the demo shows them
    settings.DANGJIAN_ENV = "production"
    r = client.get("/api/v1/openapi.json")
    assert (r.status_code, r.json()["detail"]) == (401, "未登录或登录已过期")
    r = client.get("/api/v1/docs")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert api.get(world.users["street"], "/api/v1/openapi.json").status_code == 200
    client.force_login(world.users["street"])
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_the_seeder_refuses_production_and_a_database_with_data(settings, world):
    from dangjian.demo.generator import seed

    with pytest.raises(CommandError, match="数据库中已有数据（区域"):
        seed("small", progress=False)
    settings.DANGJIAN_ENV = "production"
    with pytest.raises(CommandError, match="生产模式"):
        seed("small", progress=False)
