"""Loading dialogue scripts from YAML, with every problem located by file, line, stage and field.

Scripts are written by facilitators, so a mistake must point at the line to fix, in one line of
plain words. YAML's own leniency (a repeated key silently wins) is treated as a mistake too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

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


def _stage_index(data: Any, stage_id: str) -> int | None:
    try:
        return next(i for i, s in enumerate(data["stages"]) if s.get("id") == stage_id)
    except (KeyError, TypeError, AttributeError, StopIteration):
        return None


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


def _problems_from(
    exc: ValidationError, name: str, data: Any, lines: dict[Path_, int]
) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors():
        loc: Path_ = tuple(error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        stage: str | None = None
        field = ".".join(str(p) for p in loc) or "(top)"
        message = _describe(error)
        line = lines.get(loc)
        if isinstance(cause, _StageError):
            stage, field, message = cause.stage_id, cause.field, cause.message
            index = _stage_index(data, stage)
            if index is not None:
                line = lines.get(("stages", index, field), lines.get(("stages", index)))
        elif len(loc) >= 2 and loc[0] == "stages" and isinstance(loc[1], int):
            stage = _stage_id(data, loc[1])
            rest = loc[2:]
            if isinstance(cause, _FieldError):
                field, message = cause.field, cause.message
                rest = (cause.field,)
            else:
                field = ".".join(str(p) for p in rest) or "(stage)"
            while rest and (("stages", loc[1], *rest) not in lines):
                rest = rest[:-1]
            line = lines.get(("stages", loc[1], *rest))
        problems.append(Problem(name, line, stage, field, message))
    return problems


def parse_script(text: str, name: str) -> Script:
    """Validate one script's YAML text; raise ScriptError naming every problem."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
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
        raise ScriptError(problems) from exc
    if problems:
        raise ScriptError(problems)
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
