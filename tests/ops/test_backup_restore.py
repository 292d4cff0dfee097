"""``dangjian backup`` then ``dangjian restore`` elsewhere finds every row, file and chain
intact; a restore refuses a database that holds data and an archive that was tampered with
(issue 19). Run as the operator would: separate processes, a real database file each."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

STORE_A_FILE = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
django.setup()
from dangjian.core import files
files.file_store_bytes(actor=None, name="会议照片.png", content=b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00" * 64)
"""


def _run(env, *args, ok=True):
    run = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if ok:
        assert run.returncode == 0, run.stdout + run.stderr
    return run


def _env(tmp: Path, name: str, keys: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        DANGJIAN_VAR_DIR=str(tmp / f"var-{name}"),
        DANGJIAN_SQLITE_PATH=str(tmp / f"{name}.sqlite3"),
        DANGJIAN_FILES_DIR=str(tmp / f"files-{name}"),
        DANGJIAN_PII_KEYS_DIR=str(keys),
    )
    return env


def test_backup_then_restore_elsewhere_keeps_everything(tmp_path):
    keys = tmp_path / "keys"
    src = _env(tmp_path, "src", keys)
    _run(src, "migrate", "--no-input", "-v", "0")
    _run(src, "createroot", "--name", "永安市", "--kind", "city", "--code", "350481")
    _run(src, "createadmin", "--username", "admin", "--password", "Dangjian#2026", "--no-input")
    subprocess.run([sys.executable, "-c", STORE_A_FILE], env=src, check=True, timeout=300)

    out = tmp_path / "backups"
    made = _run(src, "backup", "--output", str(out))
    archive = next(out.glob("dangjian-*.tar.gz"))
    assert str(archive) in made.stdout
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "db.sqlite3" in names
    assert any(n.startswith("files/") for n in names)
    assert not any("keys" in n or n.endswith(".key") for n in names)  # keys never travel

    dst = _env(tmp_path, "dst", keys)
    done = _run(dst, "restore", str(archive))
    assert "台账和审计链校验通过" in done.stdout
    assert _run(dst, "audit", "verify").returncode == 0
    assert _run(dst, "ledger", "verify").returncode == 0
    restored = [p for p in Path(dst["DANGJIAN_FILES_DIR"]).rglob("*") if p.is_file()]
    assert len(restored) == 1

    again = _run(dst, "restore", str(archive), ok=False)
    assert again.returncode != 0 and "不为空" in again.stderr


def test_a_tampered_archive_is_refused(tmp_path):
    import io
    import json

    keys = tmp_path / "keys"
    archive = tmp_path / "bad.tar.gz"
    manifest = {
        "format": 1,
        "vendor": "sqlite",
        "database": "db.sqlite3",
        "database_sha256": "0" * 64,
        "tables": {},
        "files": {},
    }
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("db.sqlite3", b"not a database"),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dst = _env(tmp_path, "dst", keys)
    run = _run(dst, "restore", str(archive), ok=False)
    assert run.returncode != 0 and "已损坏" in run.stderr
