"""The engine stays pure: no Telegram, no database, no gettext inside ``bot/engine``.

Checked twice: statically, by reading every import in every engine file (relative imports
resolved, dynamic imports forbidden), and dynamically, by importing every engine module in a
fresh interpreter and looking at what ended up in ``sys.modules``. And the offline Telegram
(``bot.offline``) is only the demo's and the tests': no module of the running bot imports it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "bot" / "engine"
FORBIDDEN = (
    "telegram",
    "aiosqlite",
    "sqlite3",
    "httpx",
    "babel",
    "gettext",
    "bot.storage",
    "bot.telegram",
    "bot.words",
    "bot.i18n",
)


def _is_forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN)


def _package_of(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts if path.name == "__init__.py" else parts[:-1]


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Every module a file imports, with relative imports made absolute."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if called in ("__import__", "import_module"):
                names.add("<dynamic import>")
    return names


def _engine_files() -> list[Path]:
    files = sorted(ENGINE.rglob("*.py"))
    assert len(files) >= 6, files  # the scan really sees the engine
    return files


def test_the_scan_catches_what_it_should() -> None:
    fake = ENGINE / "fake.py"
    assert _is_forbidden("telegram.ext")
    assert not _is_forbidden("telegramish")
    assert "bot.storage.db" in _imports(fake, "from ..storage import db")
    assert "gettext" in _imports(fake, "import gettext as g")
    assert "sqlite3" in _imports(fake, "from sqlite3 import connect")
    assert "<dynamic import>" in _imports(fake, "import importlib\nimportlib.import_module('x')")
    assert "bot.engine.state" in _imports(fake, "from .state import Role")


def test_no_engine_module_imports_the_shell() -> None:
    for path in _engine_files():
        for name in _imports(path):
            assert name != "<dynamic import>", f"{path.name} imports dynamically"
            assert not _is_forbidden(name), f"{path.name} imports {name}"


def test_importing_the_engine_loads_none_of_the_shell() -> None:
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in _engine_files()
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = json.loads(out.stdout)
    assert "bot.engine.machine" in loaded
    assert [m for m in loaded if _is_forbidden(m)] == []


# --- the shell's own layers ----------------------------------------------------------------------

HANDLERS = ROOT / "bot" / "telegram" / "handlers.py"
SENDER = ROOT / "bot" / "telegram" / "sender.py"
WORDS = ("bot.render", "bot.texts", "bot.words", "bot.i18n", "bot.planner", "babel", "gettext")


def _imports_any(path: Path, prefixes: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in _imports(path)
        if any(name == p or name.startswith(p + ".") for p in prefixes)
    )


def test_handlers_decide_nothing_about_the_dialogue() -> None:
    """Handlers only read updates into requests: no engine, no words, no storage queries."""
    assert _imports_any(HANDLERS, ("bot.engine", *WORDS)) == []


def test_the_sender_renders_nothing() -> None:
    """The sender delivers planned operations; every word was chosen before they were queued."""
    assert _imports_any(SENDER, ("bot.engine", *WORDS)) == []


def test_the_shell_layer_scan_sees_what_it_should() -> None:
    fake = HANDLERS.parent / "fake.py"
    source = "from bot.engine.machine import step\nfrom bot.render import render\n"
    tree_names = _imports(fake, source)
    assert "bot.engine.machine" in tree_names and "bot.render" in tree_names


def test_the_running_bot_never_imports_the_offline_telegram() -> None:
    offline = ROOT / "bot" / "offline"
    demo = ROOT / "bot" / "demo.py"
    production = [
        path
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if offline not in path.parents and path != demo
    ]
    assert ROOT / "bot" / "telegram" / "serve.py" in production  # the scan sees the bot
    assert len(production) >= 20, production
    for path in production:
        for name in _imports(path):
            assert not name.startswith("bot.offline"), f"{path.relative_to(ROOT)} imports {name}"
