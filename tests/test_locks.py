"""The lock-file guard that ``make test`` runs first: one line that names the cause.

It runs as CI runs it, as its own process, on small project folders made here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUARD = ROOT / ".ci" / "check_locks.py"

PYPROJECT = """\
[project]
name = "sample"
dependencies = ["babel>=2.19,<3", "pyyaml>=6.0,<7"]

[project.optional-dependencies]
dev = ["pytest>=8"]
"""
RUNTIME = "babel==2.19.0\n    # via sample (pyproject.toml)\npyyaml==6.0.4\n"
DEV = RUNTIME + "pytest==9.2.0 ; python_full_version >= '3.11'\n"


def _guard(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GUARD), "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


def _project(tmp_path: Path, pyproject: str = PYPROJECT, runtime: str = RUNTIME) -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / "requirements.lock").write_text(runtime, encoding="utf-8")
    (tmp_path / "requirements-dev.lock").write_text(DEV, encoding="utf-8")
    return tmp_path


def test_the_shipped_locks_match_pyproject() -> None:
    result = _guard(ROOT)
    assert (result.returncode, result.stderr) == (0, "")


def test_locks_in_step_pass(tmp_path: Path) -> None:
    assert _guard(_project(tmp_path)).returncode == 0


def test_a_dependency_added_without_make_lock_is_named(tmp_path: Path) -> None:
    pyproject = PYPROJECT.replace('"pyyaml>=6.0,<7"]', '"pyyaml>=6.0,<7", "fpdf2>=2.8"]')
    result = _guard(_project(tmp_path, pyproject))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "requirements.lock does not pin 'fpdf2', which pyproject.toml asks for; run `make lock`",
        "requirements-dev.lock does not pin 'fpdf2', which pyproject.toml asks for; "
        "run `make lock`",
    ]


def test_a_pin_outside_the_range_is_named(tmp_path: Path) -> None:
    result = _guard(_project(tmp_path, runtime=RUNTIME.replace("2.19.0", "2.18.0")))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "requirements.lock pins babel==2.18.0, outside pyproject.toml's '<3,>=2.19'; "
        "run `make lock`"
    ]


def test_a_missing_lock_is_named(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "requirements-dev.lock").unlink()
    result = _guard(tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "requirements-dev.lock is missing; run `make lock`"
