"""How the bot's process collects its garbage: rarely, and never what start-up built.

CPython frees most objects as soon as nothing refers to them; its cyclic collector is for the
rest, and by default it runs after every 700 net allocations and, now and then, walks every
object the process holds. Under the 1,000-group load that walk was the bot's longest pause:
61 full collections, 18 s in all, up to 606 ms each (the world's objects and the bot's
remembered sessions, about a million, walked each time), so a batch that met one waited for
it (docs/performance.md). After start-up :func:`settle` collects once, freezes what start-up
built (imports, scripts, catalogs: they live as long as the process, and are never walked
again) and makes young collections rarer and full ones much rarer. The pause of a young
collection stays bounded by its size (a few milliseconds); memory held by garbage in cycles is
freed a little later than before.
"""

from __future__ import annotations

import gc

# Young objects between collections; young collections between middle ones; middle ones
# between full ones (CPython's defaults: 700, 10, 10).
THRESHOLDS = (10_000, 10, 100)


def settle() -> None:
    """Collect what start-up left, freeze the survivors, and set :data:`THRESHOLDS`."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
