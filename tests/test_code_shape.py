"""Functions short enough to read whole: none in ``bot/`` over 60 lines, no handler over 30.

A handler that grows past a screen has started deciding things (issue #15 found dialogue rules
in them); a 120-line function hides which part does what. Declarative tables are data, not
functions, so they are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 60
MAX_HANDLER_LINES = 30


def _lengths(path: Path, source: str | None = None) -> dict[str, int]:
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    return {
        f"{path.relative_to(ROOT)}:{node.name}": (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_no_function_is_longer_than_a_screen() -> None:
    found: dict[str, int] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        found |= _lengths(path)
    assert len(found) > 300  # the scan sees the code
    assert {name: n for name, n in found.items() if n > MAX_LINES} == {}


def test_handlers_only_translate() -> None:
    handlers = _lengths(ROOT / "bot" / "telegram" / "handlers.py")
    assert "bot/telegram/handlers.py:on_command" in handlers
    assert {name: n for name, n in handlers.items() if n > MAX_HANDLER_LINES} == {}


def test_the_scan_counts_lines() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(70))
    lengths = _lengths(ROOT / "bot" / "x.py", f"async def long():\n{body}\n")
    assert lengths == {"bot/x.py:long": 71}
