"""Imports point one way (the design's house rules): a listener never imports scheduling/ or
bot/, coaching/ imports nothing of ours, sandbox/ imports nothing of the bot's."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"bot", "handlers", "scheduling", "storage", "coaching", "sandbox"}


def imported(package: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            found += [(str(path.relative_to(ROOT)), name.split(".")[0]) for name in names]
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("handlers", {"scheduling", "bot", "sandbox"}),
        ("scheduling", {"bot", "sandbox"}),
        ("storage", {"bot", "handlers", "scheduling", "sandbox"}),
        ("coaching", OURS - {"coaching"}),
        ("sandbox", OURS - {"sandbox"}),
    ],
)
def test_imports_point_one_way(package: str, forbidden: set[str]) -> None:
    wrong = [(path, name) for path, name in imported(package) if name in forbidden]
    assert not wrong, wrong
