"""The offline Telegram: the demo's engine and the tests' Telegram.

An in-memory Bot API server that python-telegram-bot uses as its HTTP layer, so the real bot
(Application, handlers, service, storage, sender) runs unchanged against it with no token and
no network: ``ikiganiro demo`` plays a whole session through it, and the test-suite checks the
bot against Telegram's rules through it (in process, or served over loopback HTTP to a separate
``ikiganiro run``). Nothing of the production bot imports this package.

- :mod:`bot.offline.api` — :class:`~bot.offline.api.FakeBotApi`, the Bot API double, and its
  method handlers (``sendMessage``, ``editMessageText``, ``getUpdates``…).
- :mod:`bot.offline.world` — its state: people, chats, messages, the update queue; set-up.
- :mod:`bot.offline.users` — what people do: write, reply, edit, press buttons (by their data,
  or by their label as a person does), open start links.
- :mod:`bot.offline.html` — Telegram's HTML parser (text and entities, UTF-16 offsets).
- :mod:`bot.offline.faults` — error answers, and faults injected on purpose (``fail``,
  ``refuse``).
- :mod:`bot.offline.transcript` — the chat as a person reads it.
- :mod:`bot.offline.cast` — the demo's scripted people, their group and what they say.
- :mod:`bot.offline.wire` — JSON, chat ids and UTF-16 lengths as the wire has them.
"""
