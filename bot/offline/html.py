"""Telegram-flavoured HTML into plain text and MessageEntity dicts, as the Bot API parses it.

Follows https://core.telegram.org/bots/api#html-style closely enough to catch what breaks in
production: unsupported or unbalanced tags, a bare ``<``, ``<span>`` without the spoiler class.
Offsets and lengths count UTF-16 code units, as Telegram's do.
"""

from __future__ import annotations

import copy
import html
import re
from typing import Final

from bot.offline.faults import Failure, bad
from bot.offline.wire import JSON, utf16_len

__all__ = ["command_entities", "parse_html"]

_TAG_RE: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
_ATTR_RE: Final = re.compile(r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_PLAIN_RE: Final = re.compile(r"[^<&]+")
_ENTITY_RE: Final = re.compile(r"&(#[0-9]+|#[xX][0-9A-Fa-f]+|lt|gt|amp|quot);")
_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?")
_SIMPLE_TAGS: Final[dict[str, str]] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def parse_html(source: str, users: dict[int, JSON] | None = None) -> tuple[str, list[JSON]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts.

    Raises :class:`~bot.offline.faults.Failure` with Telegram's "can't parse entities"
    description. ``users`` resolves ``tg://user?id=`` links into text_mention entities carrying
    the full User, as Telegram does; links to unknown users produce no entity.
    """
    return _Parser(source, users or {}).run()


def command_entities(text: str) -> list[JSON]:
    """A bot_command entity for a leading ``/cmd`` or ``/cmd@bot``, as clients send it."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


class _Parser:
    """One pass over the source: text goes out, open tags wait on a stack for their end."""

    def __init__(self, source: str, users: dict[int, JSON]) -> None:
        self.source = source
        self.users = users
        self.out: list[str] = []
        self.length = 0  # UTF-16 units written so far
        self.stack: list[tuple[str, JSON, int]] = []  # (tag, entity template, start offset)
        self.entities: list[JSON] = []

    def run(self) -> tuple[str, list[JSON]]:
        source, i = self.source, 0
        while i < len(source):
            plain = _PLAIN_RE.match(source, i)  # a run of text at once, not char by char
            if plain is not None:
                self._write(plain.group(0))
                i = plain.end()
                continue
            if source[i] == "<":
                i = self._tag(i)
                continue
            entity = _ENTITY_RE.match(source, i) if source[i] == "&" else None
            if entity is not None:
                self._write(html.unescape(entity.group(0)))
                i = entity.end()
                continue
            self._write(source[i])
            i += 1
        if self.stack:
            raise self._fail(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _write(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def _fail(self, reason: str) -> Failure:
        return bad(f"can't parse entities: {reason}")

    def _at(self, index: int) -> str:
        return f"at byte offset {len(self.source[:index].encode('utf-8'))}"

    def _tag(self, i: int) -> int:
        """Handle the tag starting at ``i``; returns the index after it."""
        match = _TAG_RE.match(self.source, i)
        if match is None:
            raise self._fail(f"Unexpected end of name token {self._at(i)}")
        name = match.group(2).lower()
        if match.group(1):
            self._close(name, i)
        else:
            self._open(name, match.group(3) or "", i)
        return match.end()

    def _open(self, name: str, attrs: str, i: int) -> None:
        if name not in _SIMPLE_TAGS:
            raise self._fail(f'Unsupported start tag "{name}" {self._at(i)}')
        found = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR_RE.finditer(attrs)
        }
        opened = _entity_template(name, found, self.users)
        if opened is None:
            raise self._fail(f'Tag "span" must have class "tg-spoiler" {self._at(i)}')
        self.stack.append((name, opened, self.length))

    def _close(self, name: str, i: int) -> None:
        if not self.stack:
            raise self._fail(f"Unexpected end tag {self._at(i)}")
        open_name, template, start = self.stack.pop()
        if open_name != name:
            raise self._fail(
                f'Unmatched end tag {self._at(i)}, expected "</{open_name}>", found "</{name}>"'
            )
        inside_pre = any(tag == "pre" for tag, _, _ in self.stack)
        if name == "code" and inside_pre:
            # <pre><code class="language-x"> is one pre entity with a language.
            language = template.get("language")
            if language:
                for tag, parent, _ in reversed(self.stack):
                    if tag == "pre":
                        parent["language"] = language
                        break
        elif self.length > start and template:
            entity = {"type": template["type"], "offset": start, "length": self.length - start}
            entity.update({k: v for k, v in template.items() if k != "type"})
            self.entities.append(entity)


def _entity_template(name: str, attrs: dict[str, str], users: dict[int, JSON]) -> JSON | None:
    """The entity an opening tag produces; ``{}`` for none, ``None`` if the tag is invalid."""
    kind = _SIMPLE_TAGS[name]
    if name == "span":
        return {"type": "spoiler"} if attrs.get("class") == "tg-spoiler" else None
    if name == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            known = users.get(int(user.group(1)))
            return {"type": "text_mention", "user": copy.deepcopy(known)} if known else {}
        return {"type": "text_link", "url": href} if href else {}
    if name == "code":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            return {"type": "code", "language": language.removeprefix("language-")}
        return {"type": "code"}
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"type": kind, "custom_emoji_id": attrs.get("emoji-id", "")}
    return {"type": kind}
