"""What a rendered message is (text and buttons) and how it is cut to fit Telegram.

Kept apart from the words themselves so the sender and the demo can handle a message without
importing any renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape, unescape

from bot.engine.script import Script
from bot.i18n.catalog import Translator

MAX_MESSAGE = 4096
MAX_POPUP = 200  # answerCallbackQuery text limit


@dataclass(frozen=True, slots=True)
class Key:
    """One inline button: either callback data or a URL (deep links into the private chat)."""

    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    keys: tuple[tuple[Key, ...], ...] = ()

    @property
    def popup(self) -> str:
        """The text as a button's popup: plain, and short enough for Telegram to accept."""
        plain = strip_tags(self.text)
        return plain if len(plain) <= MAX_POPUP else plain[: MAX_POPUP - 1] + "…"


@dataclass(frozen=True, slots=True)
class Context:
    """What rendering needs beyond the view: who reads it, in which session, in which script."""

    tr: Translator
    script: Script | None
    session_id: str
    bot_username: str
    extras: dict[str, str] = field(default_factory=dict)


def strip_tags(text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", text))


def tagged(tag: str, text: str) -> str:
    """Escaped text in one inline tag (gettext calls stay outside f-strings, for extraction)."""
    return f"<{tag}>{escape(text)}</{tag}>"


def telegram_length(text: str) -> int:
    """A message's length as Telegram counts it: UTF-16 code units of the text it shows,
    after entity parsing (tags removed, HTML entities unescaped). An emoji counts two."""
    return _utf16(strip_tags(text))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# A tag, an HTML entity, or one character: the pieces a cut may fall between.
_PIECE = re.compile(r"<[^>]*>|&#?[A-Za-z0-9]+;|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z0-9-]+)")


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut a rendered text into messages within Telegram's limit, at line breaks where possible.

    Every part measures at most ``limit`` as Telegram counts (:func:`telegram_length`). Tags
    never span a line (see the package docstring), so any line boundary is a safe cut; a single
    overlong line is cut at a space if it can be, never inside a tag or an entity, and a tag
    open at the cut is closed at the end of one part and opened again at the start of the next.
    """
    parts: list[str] = []
    current, used = "", 0
    for whole in text.split("\n"):
        line, size = whole, telegram_length(whole)
        while size > limit:
            head, line = _cut(line, limit)
            if current:
                parts.append(current)
                current, used = "", 0
            parts.append(head)
            size = telegram_length(line)
        joined = used + 1 + size if current else size
        if joined > limit:
            parts.append(current)
            current, used = line, size
        else:
            current, used = (f"{current}\n{line}" if current else line), joined
    if current.strip():
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]


def _cut(line: str, limit: int) -> tuple[str, str]:
    """The longest head of ``line`` within ``limit`` (ending at a space if one fits), and the
    rest, with the tags open at the cut closed in one and reopened in the other."""
    used = 0
    stack: list[str] = []
    best, best_open = 0, list[str]()
    space, space_open = 0, list[str]()
    for piece in _PIECE.finditer(line):
        chunk = piece.group()
        if len(chunk) > 1 and chunk.startswith("<"):
            if chunk.startswith("</"):
                if stack:
                    stack.pop()
                if best == piece.start():  # a closing tag right after the cut goes with it
                    best, best_open = piece.end(), list(stack)
            else:
                stack.append(chunk)
            continue
        width = _utf16(unescape(chunk))
        if used + width > limit and best > 0:
            break
        used += width
        if chunk == " ":
            space, space_open = piece.start(), list(stack)
        best, best_open = piece.end(), list(stack)
    cut, still_open = (space, space_open) if space > 0 else (best, best_open)
    closing = "".join(f"</{_tag_name(tag)}>" for tag in reversed(still_open))
    return line[:cut] + closing, "".join(still_open) + line[cut:].lstrip(" ")


def _tag_name(tag: str) -> str:
    found = _TAG_NAME.match(tag)
    return found.group(1) if found else "b"
