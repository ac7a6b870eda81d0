"""Loading dialogue scripts from YAML, with every problem located by file, line, stage and field.

Scripts are written by facilitators, so a mistake must point at the line to fix, in one line of
plain words. YAML's own leniency (a repeated key silently wins) is treated as a mistake too.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.engine.script import Script, _FieldError, _StageError

DIALOGUES_DIR = Path(__file__).resolve().parent.parent / "dialogues"
DEFAULT_SCRIPT = "community-safety"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one script."""

    file: str
    line: int | None
    stage: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        scope = f"stage '{self.stage}'" if self.stage else "script"
        return f"{where}: {scope}: field '{self.field}': {self.message}"


class ScriptError(Exception):
    """A script that cannot be used; ``problems`` says every reason at once."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


Path_ = tuple[str | int, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads only ``true``/``false`` (any case) as booleans, as YAML 1.2 does.

    YAML 1.1 also reads yes/no/on/off as booleans, so an option labelled ``Yes`` would arrive
    as ``True``; facilitators should not have to quote ordinary words.
    """


# A copy without YAML 1.1's bool resolver (SafeLoader's own table stays as it is), then ours.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|false)$", re.IGNORECASE), list("tTfF")
)


def _index_nodes(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], duplicates: list[tuple[Path_, str, int]]
) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                duplicates.append((path, key, key_node.start_mark.line + 1))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _index_nodes(value_node, (*path, key), lines, duplicates)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_nodes(item, (*path, i), lines, duplicates)


def _stage_id(data: Any, index: int) -> str:
    try:
        stage = data["stages"][index]
        return str(stage.get("id") or f"#{index + 1}")
    except (KeyError, IndexError, TypeError, AttributeError):
        return f"#{index + 1}"


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error" and error["loc"][-1:] == ("schema_version",):
        return "unsupported schema version (this version of Ikiganiro reads 1)"
    message: str = error["msg"]
    return message.removeprefix("Value error, ")


def _line(lines: dict[Path_, int], path: Path_) -> int:
    """The line of ``path``, or of its nearest located parent (at worst the document start)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _misspellings(errors: list[ErrorDetails]) -> dict[Path_, str]:
    """Unknown fields that look like a missing required field beside them, mapped to its name.

    ``promt`` for ``prompt`` is one mistake, so it is reported once, not as two problems.
    """
    missing: dict[Path_, list[str]] = {}
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "missing" and loc and isinstance(loc[-1], str):
            missing.setdefault(loc[:-1], []).append(loc[-1])
    meant: dict[Path_, str] = {}
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            candidates = missing.get(loc[:-1], [])
            match = difflib.get_close_matches(loc[-1], candidates, n=1)
            if match:
                candidates.remove(match[0])
                meant[loc] = match[0]
    return meant


def _problems_from(
    exc: ValidationError, name: str, data: Any, lines: dict[Path_, int]
) -> list[Problem]:
    errors = exc.errors()
    meant = _misspellings(errors)
    absorbed = {(*loc[:-1], field) for loc, field in meant.items()}
    problems: list[Problem] = []
    for error in errors:
        loc: Path_ = tuple(error["loc"])
        if error["type"] == "missing" and loc in absorbed:
            continue
        cause = (error.get("ctx") or {}).get("error")
        stage: str | None = None
        field = ".".join(str(p) for p in loc) or "(top)"
        message = _describe(error)
        if loc in meant:
            message = f"unknown field {loc[-1]!r}; did you mean {meant[loc]!r}?"
        at = loc
        if isinstance(cause, _StageError):
            stage, field, message = cause.stage_id, cause.field, cause.message
            at = ("stages", cause.index, cause.field)
        elif len(loc) >= 2 and loc[0] == "stages" and isinstance(loc[1], int):
            stage = _stage_id(data, loc[1])
            if isinstance(cause, _FieldError):
                field, message = cause.field, cause.message
                at = ("stages", loc[1], cause.field)
            else:
                field = ".".join(str(p) for p in loc[2:]) or "(stage)"
        problems.append(Problem(name, _line(lines, at), stage, field, message))
    return problems


def _by_line(problem: Problem) -> int:
    return problem.line or 0


def parse_script(text: str, name: str) -> Script:
    """Validate one script's YAML text; raise ScriptError naming every problem."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScriptError(
            [Problem(name, line, None, "(yaml)", f"not valid YAML: {reason}")]
        ) from exc
    if not isinstance(data, dict) or node is None:
        raise ScriptError([Problem(name, 1, None, "(top)", "a script is a mapping of fields")])
    lines: dict[Path_, int] = {}
    duplicates: list[tuple[Path_, str, int]] = []
    _index_nodes(node, (), lines, duplicates)
    problems = [
        Problem(
            name,
            line,
            _stage_id(data, path[1])
            if len(path) >= 2 and path[0] == "stages" and isinstance(path[1], int)
            else None,
            key,
            "this field is given twice",
        )
        for path, key, line in duplicates
    ]
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        problems += _problems_from(exc, name, data, lines)
        raise ScriptError(sorted(problems, key=_by_line)) from exc
    if problems:
        raise ScriptError(sorted(problems, key=_by_line))
    expected = Path(name).stem
    if script.id != expected:
        raise ScriptError(
            [
                Problem(
                    name,
                    lines.get(("id",)),
                    None,
                    "id",
                    f"the id {script.id!r} must match the file name {expected!r}",
                )
            ]
        )
    return script


def load_script(path: Path) -> Script:
    return parse_script(path.read_text(encoding="utf-8"), _display(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def script_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    return files


def check(paths: list[Path]) -> list[Problem]:
    """Every problem in every script under ``paths`` (directories or files)."""
    problems: list[Problem] = []
    for file in script_files(paths):
        try:
            load_script(file)
        except ScriptError as exc:
            problems += exc.problems
        except OSError as exc:
            problems.append(
                Problem(_display(file), None, None, "(file)", exc.strerror or str(exc))
            )
    return problems


class Library:
    """The scripts a running bot may open, loaded and validated once at start."""

    def __init__(self, scripts: dict[str, Script]) -> None:
        self._scripts = scripts

    @classmethod
    def load(cls, directory: Path = DIALOGUES_DIR) -> Library:
        scripts = [load_script(f) for f in script_files([directory])]
        return cls({s.id: s for s in scripts})

    def get(self, script_id: str) -> Script | None:
        return self._scripts.get(script_id)

    def __getitem__(self, script_id: str) -> Script:
        return self._scripts[script_id]

    def ids(self) -> list[str]:
        return sorted(self._scripts)
