"""The engine stays pure: no Telegram, no database, no gettext inside ``bot/engine``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "bot" / "engine"
FORBIDDEN = (
    "telegram",
    "aiosqlite",
    "sqlite3",
    "httpx",
    "babel",
    "gettext",
    "bot.storage",
    "bot.telegram",
    "bot.render",
    "bot.i18n",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_engine_module_imports_the_shell() -> None:
    files = sorted(ENGINE.glob("*.py"))
    assert files
    for path in files:
        for name in _imports(path):
            assert not name.startswith(FORBIDDEN), f"{path.name} imports {name}"


def test_importing_the_engine_loads_none_of_the_shell() -> None:
    code = (
        "import sys, bot.engine.machine, bot.engine.summary;"
        f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
