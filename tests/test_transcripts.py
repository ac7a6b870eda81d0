"""Golden transcripts: what ``ikiganiro demo`` prints, kept for every script and language.

``tests/transcripts/<script>.<language>.txt`` holds the exact output of ``ikiganiro demo
--script <script> --language <language>``: the group's chat as a person reads it, then the
summary. A change to any text, button, order or summary the group sees therefore shows up in a
review as a diff of these files. When the change is intended, ``make transcripts`` (that is,
``pytest --update-transcripts tests/test_transcripts.py``) rewrites them.

The demo is deterministic by construction: its clock is fixed (``bot.demo.DEMO_MOMENT``), its
people and answers are scripted, and it waits for every answer before the next update. Session
ids are random, but no person ever sees one: they travel only in button data and start links,
which a transcript does not print.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from bot.cli import main
from bot.dialogues import Library
from bot.i18n.catalog import LANGUAGES

HERE = Path(__file__).resolve().parent / "transcripts"
SCRIPTS = Library.load().ids()
CASES = [(script, language) for script in SCRIPTS for language in LANGUAGES]


def kept(script: str, language: str) -> Path:
    return HERE / f"{script}.{language}.txt"


@pytest.fixture
def updating(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-transcripts"))


@pytest.mark.parametrize(("script", "language"), CASES)
def test_the_demo_prints_its_kept_transcript(
    script: str,
    language: str,
    updating: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # the demo writes its charter where it runs
    assert main(["demo", "--script", script, "--language", language]) == 0
    printed = capsys.readouterr().out
    path = kept(script, language)
    if updating:
        HERE.mkdir(exist_ok=True)
        path.write_text(printed, encoding="utf-8", newline="\n")
        return
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if printed != expected:
        pytest.fail(mismatch(path, printed, expected, script, language), pytrace=False)


def mismatch(path: Path, printed: str, expected: str, script: str, language: str) -> str:
    name = path.relative_to(HERE.parent.parent)
    if not path.exists():
        return f"{name} is missing. Run `make transcripts` to write it, and commit it."
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        printed.splitlines(keepends=True),
        fromfile=f"{name} (kept)",
        tofile=f"ikiganiro demo --script {script} --language {language} (now)",
    )
    return (
        f"The demo no longer prints {name}:\n{''.join(diff)}\n"
        "If this change is intended, run `make transcripts` and commit the rewritten files."
    )


def test_no_transcript_is_kept_for_a_script_or_language_that_is_gone(updating: bool) -> None:
    wanted = {kept(script, language) for script, language in CASES}
    stale = sorted(set(HERE.glob("*.txt")) - wanted)
    if updating:
        for path in stale:
            path.unlink()
        return
    names = ", ".join(path.name for path in stale)
    assert not stale, f"no demo prints {names}: run `make transcripts` to remove them"
