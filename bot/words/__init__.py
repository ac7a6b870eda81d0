"""Every word a reader sees, in one place: views, notices, the summary and the shell's messages.

``bot.i18n`` is the machinery (catalogs, extraction, checks); this package is what is said.
Telegram-free on purpose: the demo, the tests and the sender all see the same words. Rules kept
throughout:

- every sentence is one translatable message with named placeholders (no concatenated
  fragments), so a translator can reorder it;
- everything that came from a person is HTML-escaped, and no HTML tag ever spans a line break, so
  a long text can be split at any line (``markup.split_message``) without breaking the markup;
- counts are shown by role, never names, except where the group already saw the name.

Modules: ``markup`` (what a rendered message is, and how it is cut), ``names`` (roles, owners,
dates, counts and script texts in the reader's language), ``views`` (the engine's views, and the
``render`` entry point), ``summary``, ``notices`` (each notice's template and declared
parameters) and ``shell`` (messages of the shell itself).
"""
