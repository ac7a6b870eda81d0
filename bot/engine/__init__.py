"""The pure dialogue engine: scripts, session state, events, effects and the transition function.

Nothing in this package may import Telegram, a database driver or read the clock; the shell
(``bot.telegram``, ``bot.storage``) does all I/O. ``tests/test_layers.py`` enforces it.
"""
