"""The two calls the sender makes most, without building PTB objects from their answers.

Of a posted message the sender needs one number, its id; of an edit, nothing. PTB's
``send_message`` and ``edit_message_text`` build a whole ``Message`` from Telegram's answer
(its text, entities, chat, sender and keyboard, each a PTB object): the costliest part of a call
on the bot's side. ``Bot.do_api_request`` makes the same request through the same machinery —
the rate limiter, PTB's errors (``RetryAfter``, ``BadRequest``, ``TimedOut`` …), the request
objects' own serialisation — and hands back Telegram's JSON as it came.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

from telegram import Bot
from telegram.warnings import PTBUserWarning

from bot import delivery as op

log = logging.getLogger(__name__)

# PTB suggests its own methods for these endpoints, which parse the answer: not wanted here
# (the tests' configuration, which turns warnings into errors, says the same).
warnings.filterwarnings(
    "ignore", r"Please use 'Bot\.(sendMessage|editMessageText)'", PTBUserWarning
)
# The parameters as Telegram's JSON, not PTB objects: PTB would turn each object back into this
# JSON at every call (``to_dict``), a fifth of its own cost of a call.
_NO_PREVIEW = {"is_disabled": True}
_HTML = "HTML"
Markup = dict[str, Any]  # an ``InlineKeyboardMarkup`` as Telegram reads it


def markup(keys: op.Keyboard) -> Markup | None:
    """The inline keyboard of ``keys``, or None for none."""
    if not keys:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": k.text, "url": k.url}
                if k.url
                else {"text": k.text, "callback_data": k.data}
                for k in row
            ]
            for row in keys
        ]
    }


@dataclass(frozen=True)
class Posted:
    """Where a message Telegram posted is."""

    chat_id: int
    message_id: int


def posted(result: Any) -> Posted | None:
    """The message an answer describes; ``None`` when Telegram accepted the call but what it
    answered cannot be read (a ``null``): the message is on screen, its id unknown."""
    chat = result.get("chat") if isinstance(result, dict) else None
    message_id = result.get("message_id") if isinstance(result, dict) else None
    if isinstance(chat, dict) and isinstance(chat.get("id"), int) and isinstance(message_id, int):
        return Posted(chat["id"], message_id)
    log.warning("Telegram accepted a message but its answer could not be read")
    return None


def _params(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    thread_id: int | None,
    keyboard: Markup | None,
    reply_to: int | None,
) -> Posted | None:
    """``sendMessage`` with HTML and no link preview; where the message is, if readable."""
    reply = {"message_id": reply_to, "allow_sending_without_reply": True} if reply_to else None
    result = await bot.do_api_request(
        "sendMessage",
        api_kwargs=_params(
            chat_id=chat_id,
            text=text,
            parse_mode=_HTML,
            message_thread_id=thread_id,
            reply_markup=keyboard,
            reply_parameters=reply,
            link_preview_options=_NO_PREVIEW,
        ),
    )
    return posted(result)


async def edit_text(
    bot: Bot, chat_id: int, message_id: int, text: str, *, keyboard: Markup | None
) -> None:
    """``editMessageText`` with HTML and no link preview; the answer is not read."""
    await bot.do_api_request(
        "editMessageText",
        api_kwargs=_params(
            chat_id=chat_id,
            message_id=message_id,
            text=text,
            parse_mode=_HTML,
            reply_markup=keyboard,
            link_preview_options=_NO_PREVIEW,
        ),
    )
