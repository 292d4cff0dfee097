"""``manage.py architecture [--check]``: the picture of docs/architecture.md, drawn from the code.

The import graph of ``dangjian`` (grimp, which comes with import-linter, a test dependency:
imported here only when the command runs, so production never needs it) is reduced to its
top-level apps: an edge ``a --> b`` when any module of ``a`` imports any module of ``b``. The
apps are ranked by the layers contract of pyproject.toml (top layer first); an app outside the
contract (the demo) is drawn beside them. The result, a Mermaid ``flowchart``, is written
between ``<!-- graph:start -->`` and ``<!-- graph:end -->`` in docs/architecture.md; with
``--check`` nothing is written and the command fails when the page's picture is not the code's.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ROOT_PACKAGE = "dangjian"
START = "<!-- graph:start -->"
END = "<!-- graph:end -->"
_SPLIT = re.compile(r"[|:]")


def default_doc() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "architecture.md"


def default_pyproject() -> Path:
    return Path(settings.BASE_DIR) / "pyproject.toml"


def contract_layers(pyproject: Path) -> list[list[str]]:
    """The layers of the import-linter layers contract, top first, as app names (the part after
    ``dangjian.``); each layer lists its apps in the contract's order."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    contracts = data.get("tool", {}).get("importlinter", {}).get("contracts", [])
    for contract in contracts:
        if contract.get("type") == "layers":
            prefix = ROOT_PACKAGE + "."
            return [
                [part.strip().removeprefix(prefix) for part in _SPLIT.split(layer) if part.strip()]
                for layer in contract["layers"]
            ]
    raise CommandError("pyproject.toml 中没有 import-linter 的 layers 契约")


def app_imports(package: str = ROOT_PACKAGE) -> tuple[list[str], set[tuple[str, str]]]:
    """The top-level apps (sub-packages) of ``package`` and the pairs (importer, imported) of
    apps where some module of the first imports some module of the second."""
    import grimp  # a test dependency (import-linter's); only this command needs it

    graph = grimp.build_graph(package, cache_dir=None)
    apps = sorted(
        name.rsplit(".", 1)[1] for name in graph.find_children(package) if graph.find_children(name)
    )
    edges = {
        (a, b)
        for a in apps
        for b in apps
        if a != b
        and graph.direct_import_exists(
            importer=f"{package}.{a}", imported=f"{package}.{b}", as_packages=True
        )
    }
    return apps, edges


def diagram(layers: list[list[str]], apps: list[str], edges: set[tuple[str, str]]) -> str:
    """The Mermaid block: one subgraph per layer (top first), the apps no layer names in a
    subgraph beside them, then the edges sorted by layer rank and name."""
    placed = [app for layer in layers for app in layer]
    outside = [app for app in apps if app not in placed]
    rank = {app: i for i, app in enumerate(placed + outside)}
    lines = ["```mermaid", "flowchart TB"]
    for number, layer in enumerate(layers, start=1):
        lines.append(f'  subgraph layer{number}["layer {number}"]')
        lines.extend(f"    {app}" for app in layer)
        lines.append("  end")
    if outside:
        lines.append('  subgraph outside["outside the layers"]')
        lines.extend(f"    {app}" for app in outside)
        lines.append("  end")
    for a, b in sorted(edges, key=lambda e: (rank.get(e[0], 99), rank.get(e[1], 99), e)):
        lines.append(f"  {a} --> {b}")
    lines.append("```")
    return "\n".join(lines) + "\n"


def current_block(text: str) -> str | None:
    """What stands between the markers, or None when the page has no markers."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(START) : end].strip("\n") + "\n"


def replace_block(text: str, block: str) -> str:
    start = text.find(START)
    end = text.find(END)
    return text[: start + len(START)] + "\n" + block + text[end:]


class Command(BaseCommand):
    help = "由代码生成 docs/architecture.md 中的应用依赖图；--check 只校验图是否最新"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="只校验，不写入；过期时失败")
        parser.add_argument("--path", default=None, help="文档路径（默认 docs/architecture.md）")
        parser.add_argument("--pyproject", default=None, help="pyproject.toml 路径")

    def handle(self, *args, **opts):
        doc = Path(opts["path"]) if opts["path"] else default_doc()
        pyproject = Path(opts["pyproject"]) if opts["pyproject"] else default_pyproject()
        apps, edges = app_imports()
        block = diagram(contract_layers(pyproject), apps, edges)
        text = doc.read_text(encoding="utf-8")
        found = current_block(text)
        if found is None:
            raise CommandError(f"{doc} 中缺少标记 {START} … {END}")
        if found == block:
            self.stdout.write(f"{doc} 的依赖图与代码一致。")
            return
        if opts["check"]:
            raise CommandError(
                f"{doc} 的依赖图已过期：请运行 python manage.py architecture 重新生成"
            )
        doc.write_text(replace_block(text, block), encoding="utf-8")
        self.stdout.write(f"已更新 {doc} 的依赖图。")
