"""docs/architecture.md's picture is the code's: ``manage.py architecture --check`` passes on the
repository and fails on a page whose picture is stale (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dangjian.core.management.commands import architecture

DOC = architecture.default_doc()


def test_the_page_in_the_repository_shows_the_code_s_imports():
    call_command("architecture", check=True)


def test_the_picture_ranks_every_app_by_the_contract_and_keeps_the_demo_outside():
    block = architecture.current_block(DOC.read_text(encoding="utf-8"))
    assert block is not None
    assert block.startswith("```mermaid\nflowchart TB\n")
    assert '  subgraph layer1["layer 1"]\n    console\n    portal\n  end\n' in block
    # The kernel is the last layer, alone (how many layers there are is the contract's to say).
    layers = re.findall(r'  subgraph layer\d+\["layer \d+"\]\n((?:    \w+\n)+)  end\n', block)
    assert layers and layers[-1] == "    core\n"
    assert '  subgraph outside["outside the layers"]\n    demo\n  end\n' in block
    assert "  web --> core\n" in block
    assert "  demo --> core\n" in block
    # The kernel imports no app and nothing imports the demo.
    assert "  core --> " not in block
    assert " --> demo\n" not in block


def _stale_copy(tmp_path: Path) -> Path:
    text = DOC.read_text(encoding="utf-8").replace("  web --> core\n", "")
    doc = tmp_path / "architecture.md"
    doc.write_text(text, encoding="utf-8")
    return doc


def test_check_fails_on_a_stale_picture_and_writes_nothing(tmp_path):
    doc = _stale_copy(tmp_path)
    before = doc.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="依赖图已过期"):
        call_command("architecture", check=True, path=str(doc))
    assert doc.read_text(encoding="utf-8") == before


def test_without_check_the_stale_picture_is_regenerated(tmp_path):
    doc = _stale_copy(tmp_path)
    call_command("architecture", path=str(doc))
    assert doc.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
    call_command("architecture", check=True, path=str(doc))


def test_a_page_without_markers_is_refused(tmp_path):
    doc = tmp_path / "architecture.md"
    doc.write_text("# Architecture\n", encoding="utf-8")
    with pytest.raises(CommandError, match="缺少标记"):
        call_command("architecture", check=True, path=str(doc))
    assert doc.read_text(encoding="utf-8") == "# Architecture\n"


def test_the_layers_are_read_from_the_import_linter_contract(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        "[[tool.importlinter.contracts]]\n"
        'name = "other"\ntype = "forbidden"\nsource_modules = []\nforbidden_modules = []\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "layers"\ntype = "layers"\n'
        'layers = ["dangjian.top | dangjian.side", "dangjian.mid : dangjian.next", '
        '"dangjian.base"]\n',
        encoding="utf-8",
    )
    assert architecture.contract_layers(pyproject) == [["top", "side"], ["mid", "next"], ["base"]]
    assert architecture.contract_layers(architecture.default_pyproject())[-1] == ["core"]


def test_the_diagram_of_a_small_graph():
    block = architecture.diagram(
        [["top"], ["base"]],
        ["base", "extra", "top"],
        {("extra", "base"), ("top", "base"), ("extra", "top")},
    )
    assert block == (
        "```mermaid\n"
        "flowchart TB\n"
        '  subgraph layer1["layer 1"]\n'
        "    top\n"
        "  end\n"
        '  subgraph layer2["layer 2"]\n'
        "    base\n"
        "  end\n"
        '  subgraph outside["outside the layers"]\n'
        "    extra\n"
        "  end\n"
        "  top --> base\n"
        "  extra --> top\n"
        "  extra --> base\n"
        "```\n"
    )
