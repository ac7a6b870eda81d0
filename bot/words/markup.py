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


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut a rendered text into messages below Telegram's limit, at line breaks where possible.

    Tags never span a line (see the package docstring), so any line boundary is a safe cut; a
    single overlong line (only ever escaped user text) is cut at a space, never inside an entity.
    """
    parts: list[str] = []
    current = ""
    for whole in text.split("\n"):
        line = whole
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            amp = line.rfind("&", 0, cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]
