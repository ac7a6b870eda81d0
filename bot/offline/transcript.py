"""The chat as a person reads it: what ``ikiganiro demo`` prints and the golden files keep.

One block per live message, in order: ``Name: text`` (the bot as its first name, HTML already
resolved to plain text), ``Name: 📄 file name — caption`` for a document, a ``↩ Name`` marker
on replies, ``(pinned)`` and the bot's reactions after the text, inline buttons as
``[ Join ]  [ Answer privately ↗ ]`` rows below, service messages as ``· …`` lines. Lines wrap
with a two-space hanging indent.
"""

from __future__ import annotations

import textwrap

from bot.offline.world import Message, World, full_name

__all__ = ["transcript"]


def transcript(
    world: World, chat_id: int, *, width: int = 80, thread_id: int | None = None, since: int = 0
) -> str:
    """The chat ``chat_id`` (or one forum topic of it), from the message after ``since`` on;
    lines wrap at ``width`` (0: never)."""
    return "\n".join(
        _block(world, msg, width)
        for msg in world.in_order(chat_id)
        if not msg.deleted
        and msg.message_id > since
        and "pinned_message" not in msg.service
        and (thread_id is None or msg.thread_id == thread_id)
    )


def _block(world: World, msg: Message, width: int) -> str:
    name = world.display_name(msg.sender_id)
    if msg.document is not None:
        caption = f" — {msg.caption}" if msg.caption else ""
        return _wrap(f"{name}: 📄 {msg.document['file_name']}{caption}", width)
    if msg.text is None:
        return _wrap(f"· {_describe_service(msg, name)}", width)
    head = name
    if msg.reply_to is not None:
        target = world.stored(msg.chat_id, msg.reply_to)
        if target is not None and not target.deleted:
            head += f" ↩ {world.display_name(target.sender_id)}"
    text = msg.text
    if msg.pinned:
        text += " (pinned)"
    for emoji in msg.reactions:
        text += f" {emoji}"
    lines = [_wrap(f"{head}: {text}", width)]
    for row in (msg.reply_markup or {}).get("inline_keyboard", []):
        labels = []
        for button in row:
            label = button.get("text", "")
            if ("url" in button or "login_url" in button) and not label.endswith("↗"):
                label += " ↗"
            labels.append(f"[ {label} ]")
        lines.append("  " + "  ".join(labels))
    return "\n".join(lines)


def _describe_service(msg: Message, name: str) -> str:
    service = msg.service
    if "new_chat_members" in service:
        names = ", ".join(full_name(user) for user in service["new_chat_members"])
        joined = [user["id"] for user in service["new_chat_members"]]
        return f"{names} joined" if joined == [msg.sender_id] else f"{name} added {names}"
    if "migrate_to_chat_id" in service:
        return f"the group was upgraded to a supergroup ({service['migrate_to_chat_id']})"
    if "migrate_from_chat_id" in service:
        return f"upgraded from the group {service['migrate_from_chat_id']}"
    if "forum_topic_created" in service:
        return f"{name} created the topic “{service['forum_topic_created']['name']}”"
    return f"{name}: ({', '.join(sorted(service))})"


def _wrap(text: str, width: int) -> str:
    """Wrap each paragraph of ``text`` at ``width`` with a two-space hanging indent."""
    lines: list[str] = []
    for index, paragraph in enumerate(text.split("\n")):
        indent = "" if index == 0 else "  "
        if not paragraph.strip():
            lines.append("")
        elif width <= 0:
            lines.append(indent + paragraph)
        else:
            lines.extend(
                textwrap.wrap(
                    paragraph,
                    width,
                    initial_indent=indent,
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                )
            )
    return "\n".join(lines)
