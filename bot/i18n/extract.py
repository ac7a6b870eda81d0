"""A Babel extractor that puts dialogue scripts into the same template as the code's strings.

Scripts are data, so ``pybabel extract`` cannot see their text without help; with this extractor
(registered as ``ikiganiro_dialogue`` in pyproject.toml and mapped in babel.cfg) translators get
one catalog per language covering both the bot's own words and every script. Each string carries
the context built by ``script_context``, which is the context the bot looks it up with, and a
comment telling the translator what kind of stage it belongs to and how long it may be.

Values are taken from the YAML nodes (not the loaded data) so each message keeps its line, and
they are stripped the way the script models strip them, so the msgid is exactly the text the bot
will ask for.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

import yaml

from bot.engine.script import Option, Script, Stage
from bot.i18n.catalog import script_context

# (lineno, funcname, messages, comments), as Babel expects from an extraction method.
Extracted = tuple[int, str, tuple[str, str], list[str]]

_FIELD_ROLES = {
    "title": "title",
    "description": "description",
    "prompt": "question or text people read",
    "help": "hint shown under the prompt",
}


def _max_length(model: type[Any], field: str) -> int | None:
    """The length limit the script models enforce, so the translation can honour it too."""
    for meta in model.model_fields[field].metadata:
        limit = getattr(meta, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): value for key, value in node.value}


def _text(node: yaml.Node | None) -> str | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    text = str(node.value).strip()
    return text or None


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _comment(where: str, role: str, limit: int | None) -> list[str]:
    comment = f"{where}: {role}."
    if limit is not None:
        comment += f" At most {limit} characters."
    return [comment]


def extract_script(text: str) -> Iterator[Extracted]:
    """Every translatable string of one script, in file order."""
    root = _mapping(yaml.compose(text, Loader=yaml.SafeLoader))
    script_id = _text(root.get("id")) or "?"
    for field in ("title", "description"):
        node = root.get(field)
        value = _text(node)
        if node is not None and value is not None:
            yield (
                node.start_mark.line + 1,
                "pgettext",
                (script_context(script_id, None, field), value),
                _comment(f"Script '{script_id}'", _FIELD_ROLES[field], _max_length(Script, field)),
            )
    for stage_node in _items(root.get("stages")):
        stage = _mapping(stage_node)
        stage_id = _text(stage.get("id")) or "?"
        kind = _text(stage.get("kind")) or "?"
        where = f"Stage '{stage_id}' ({kind} stage)"
        for field in ("title", "prompt", "help"):
            node = stage.get(field)
            value = _text(node)
            if node is not None and value is not None:
                yield (
                    node.start_mark.line + 1,
                    "pgettext",
                    (script_context(script_id, stage_id, field), value),
                    _comment(where, _FIELD_ROLES[field], _max_length(Stage, field)),
                )
        for option_node in _items(stage.get("options")):
            option = _mapping(option_node)
            option_id = _text(option.get("id")) or "?"
            node = option.get("label")
            value = _text(node)
            if node is not None and value is not None:
                yield (
                    node.start_mark.line + 1,
                    "pgettext",
                    (script_context(script_id, stage_id, "label", option_id), value),
                    _comment(
                        where,
                        f"button label of option '{option_id}'",
                        _max_length(Option, "label"),
                    ),
                )


def extract_dialogue(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    """Babel extraction method for ``dialogues/*.yaml``.

    A script that is not valid YAML raises rather than yielding nothing: a silently empty result
    would let ``pybabel update`` mark all its translations obsolete.
    """
    if "pgettext" not in keywords:
        raise ValueError("script strings are extracted as pgettext; keep that keyword enabled")
    encoding = str(options.get("encoding", "utf-8"))
    yield from extract_script(fileobj.read().decode(encoding))
