"""How much memory a group of Python objects holds, walked object by object.

The 1,000-group load runs the bot and its simulated Telegram in one process, so the peak RSS
it prints is of both. This walks what the in-memory Telegram keeps (every message of every
chat, every user, every button press) to say how much of that RSS is the simulation's, not the
bot's: ``sys.getsizeof`` of each object reached once, through containers, ``__slots__`` and
``__dict__`` of the project's own objects, and pydantic models' fields. Shared objects (small
ints, interned strings) are counted once; what the allocator keeps beside them is not counted
at all, so it is a floor.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

_ATOMS = (str, bytes, int, float, bool, type(None))


def held(root: object) -> int:
    """Bytes held by ``root`` and everything it reaches (see the module's docstring)."""
    seen: set[int] = set()
    total = 0
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, _ATOMS):
            continue
        stack += _inside(item)
    return total


def _inside(item: Any) -> list[Any]:
    """What an object holds directly."""
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, list | tuple | set | frozenset):
        return list(item)
    if not type(item).__module__.startswith("bot."):
        return []  # a loop, a lock, a function: not what the simulation keeps of its world
    inner: list[Any] = []
    if isinstance(item, BaseModel):
        inner += [item.__dict__, item.__pydantic_fields_set__]
    elif hasattr(item, "__dict__"):
        inner.append(vars(item))
    for cls in type(item).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if hasattr(item, name):
                inner.append(getattr(item, name))
    return inner
