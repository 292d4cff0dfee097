"""Layout rule (issue 13, DESIGN.md): no module of ``dangjian/`` over 800 lines, migrations
aside. A module that would pass it is split by subdomain, not by size."""

from __future__ import annotations

from pathlib import Path

import dangjian

LIMIT = 800
ROOT = Path(dangjian.__file__).resolve().parent


def oversized(root: Path, limit: int = LIMIT) -> list[tuple[str, int]]:
    """Every ``.py`` file under ``root`` (outside any ``migrations`` folder) longer than
    ``limit`` lines, as (path relative to ``root``'s parent, line count), sorted by path."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        if "migrations" in rel.parts[:-1]:
            continue
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > limit:
            out.append((rel.as_posix(), count))
    return out


def test_no_module_of_dangjian_over_800_lines():
    found = oversized(ROOT)
    assert found == [], "超过800行的模块（迁移除外），请按子领域拆分：" + "；".join(
        f"{path} {count}行" for path, count in found
    )


def _write(path: Path, lines: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"x{i} = {i}\n" for i in range(lines)), encoding="utf-8")


def test_the_check_names_each_file_over_the_limit_with_its_count(tmp_path):
    root = tmp_path / "pkg"
    _write(root / "at_limit.py", 800)
    _write(root / "sub" / "over.py", 801)
    _write(root / "sub" / "far_over.py", 1041)
    _write(root / "migrations" / "0001_initial.py", 5000)
    _write(root / "app" / "migrations" / "0002_more.py", 900)
    _write(root / "notes.txt", 2000)
    assert oversized(root) == [("pkg/sub/far_over.py", 1041), ("pkg/sub/over.py", 801)]


def test_a_module_named_migrations_is_not_skipped(tmp_path):
    root = tmp_path / "pkg"
    _write(root / "migrations.py", 801)
    assert oversized(root) == [("pkg/migrations.py", 801)]
