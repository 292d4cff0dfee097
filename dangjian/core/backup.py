"""``dangjian backup`` and ``dangjian restore``: one dated archive holding a consistent copy of
the database and the stored files, never the keys (issue 19).

SQLite is copied online through its backup API (readers and the writer go on meanwhile);
PostgreSQL through ``pg_dump --format=custom``. The manifest lists each table's row count and
each file's SHA-256, so a restore proves it lost nothing. A restore goes only into an
empty database and an empty files folder; it then checks the counts and verifies the ledger
and audit chains. django-dbbackup was evaluated and not taken (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


def _files_dir() -> Path:
    from dangjian.core.files import files_dir

    return files_dir()


def _keys_dir() -> Path:
    return Path(str(settings.DANGJIAN["PII_KEYS_DIR"])).resolve()


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")
            counts[name] = int(cursor.fetchone()[0])
    return counts


def _pg_env() -> tuple[dict, list[str]]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, [*args, "--dbname", str(db["NAME"])]


def _dump_database(into: Path) -> str:
    if connection.vendor == "sqlite":
        target = into / "db.sqlite3"
        connection.ensure_connection()
        source = connection.connection
        with sqlite3.connect(target) as copy:
            source.backup(copy)  # the online backup API: a consistent copy while others work
        copy.close()
        return target.name
    if connection.vendor == "postgresql":
        target = into / "db.dump"
        env, args = _pg_env()
        run = subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode:
            raise BackupError(f"pg_dump 失败：{run.stderr.strip()[:500]}")
        return target.name
    raise BackupError(f"不支持的数据库：{connection.vendor}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stored_files() -> list[Path]:
    root = _files_dir()
    if not root.exists():
        return []
    keys = _keys_dir()
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if keys in path.resolve().parents:
            continue  # keys never travel with the data they open
        out.append(path)
    return out


def backup(output_dir: Path | None = None, *, now: dt.datetime | None = None) -> Path:
    """Write the archive and answer its path."""
    now = now or dt.datetime.now()
    output_dir = Path(output_dir or Path(settings.VAR_DIR) / "backups")
    output_dir.mkdir(parents=True, exist_ok=True)
    archive = output_dir / f"dangjian-{now:%Y%m%d-%H%M%S}.tar.gz"
    root = _files_dir()
    with tempfile.TemporaryDirectory(dir=output_dir) as tmp:
        work = Path(tmp)
        counts = table_counts()
        db_name = _dump_database(work)
        files = {str(p.relative_to(root)): _sha256(p) for p in _stored_files()}
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "vendor": connection.vendor,
            "database": db_name,
            "database_sha256": _sha256(work / db_name),
            "tables": counts,
            "files": files,
        }
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(work / db_name, arcname=db_name)
            for rel in files:
                tar.add(root / rel, arcname=f"files/{rel}")
        partial.rename(archive)  # never a half-written archive under the final name
    os.chmod(archive, 0o600)
    return archive


def _database_is_empty() -> bool:
    tables = [t for t in table_counts().items() if t[0] != "django_migrations"]
    return not tables or all(n == 0 for _name, n in tables)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        name = Path(m.name)
        if name.is_absolute() or ".." in name.parts or not (m.isfile() or m.isdir()):
            raise BackupError(f"备份文件中含有不安全的路径：{m.name}")
        members.append(m)
    return members


def restore(archive: Path) -> dict:
    """Restore ``archive`` into the configured (empty) database and files folder; answer a
    summary. Refuses a non-empty database or files folder, and an archive whose content does
    not match its manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"找不到备份文件：{archive}")
    root = _files_dir()
    if root.exists() and any(p.is_file() for p in root.rglob("*")):
        raise BackupError(f"文件目录不为空，拒绝恢复：{root}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, members=_safe_members(tar), filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise BackupError("备份文件格式不受支持")
        if manifest["vendor"] != connection.vendor:
            raise BackupError(
                f"备份来自 {manifest['vendor']} 数据库，不能恢复到 {connection.vendor}"
            )
        db_file = work / manifest["database"]
        if _sha256(db_file) != manifest["database_sha256"]:
            raise BackupError("数据库副本与清单不符：备份文件已损坏")
        for rel, digest in manifest["files"].items():
            if _sha256(work / "files" / rel) != digest:
                raise BackupError(f"文件与清单不符：{rel}")
        _load_database(db_file)
        for rel in manifest["files"]:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / "files" / rel, target)
    return _check(manifest)


def _load_database(db_file: Path) -> None:
    if connection.vendor == "sqlite":
        if not _database_is_empty():
            raise BackupError("数据库不为空，拒绝恢复（请恢复到新的空数据库）")
        connection.close()
        target = Path(settings.DATABASES["default"]["NAME"])
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(db_file) as source, sqlite3.connect(target) as dest:
            source.backup(dest)
        return
    if not _database_is_empty():
        raise BackupError("数据库不为空，拒绝恢复（请恢复到新的空数据库）")
    connection.close()
    env, args = _pg_env()
    # A migrated but empty database: --clean drops what the dump recreates, in one transaction.
    run = subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            *args,
            str(db_file),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode:
        raise BackupError(f"pg_restore 失败：{run.stderr.strip()[:500]}")


def _check(manifest: dict) -> dict:
    from dangjian.core import auditchain, ledger, retention

    counts = table_counts()
    missing = {t: n for t, n in manifest["tables"].items() if counts.get(t) != n}
    if missing:
        raise BackupError(f"恢复后行数与清单不符：{', '.join(sorted(missing))}")
    ledger_problems = ledger.verify()
    audit_problems = auditchain.verify(cutoff=retention.audit_cutoff())
    if ledger_problems or audit_problems:
        raise BackupError(
            f"恢复后校验失败：台账{len(ledger_problems)}处，审计链{len(audit_problems)}处"
        )
    return {"tables": len(counts), "rows": sum(counts.values()), "files": len(manifest["files"])}
