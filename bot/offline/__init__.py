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
- :mod:`bot.offline.limits` — Telegram's flood control (``TelegramLimits``), when asked.
- :mod:`bot.offline.chaos` — faults of the network and of Telegram's front ends (``FaultKind``,
  ``Chaos``), at random or on demand.
- :mod:`bot.offline.transcript` — the chat as a person reads it.
- :mod:`bot.offline.cast` — the demo's scripted people, their group and what they say.
- :mod:`bot.offline.wire` — JSON, chat ids and UTF-16 lengths as the wire has them.

Saying no as Telegram does is off by default, so a test or the demo meets it only if asked::

    api = FakeBotApi(
        limits=TelegramLimits(),  # Telegram's published limits (bot.offline.limits)
        speed=60.0,  # one real second is a simulated minute
        latency=0.05,  # real seconds before every answer, or a function of the method
    )
    api.chaos(0.1, seed=7)  # a tenth of the counted calls meet a random fault, reproducibly
    api.glitch("sendMessage", FaultKind.LOST_RESPONSE)  # or exactly this, on the next call
    api.calm()  # no more faults

Flood control counts the calls that post or change a message (``TelegramLimits.counted``); a
call over a limit is not applied and answers 429 with ``retry_after`` in simulated seconds
(PTB's ``RetryAfter``). The limits run on a rate clock (``monotonic`` × ``speed``, see
``FakeBotApi.elapsed``) apart from ``clock``, which dates messages. ``busiest_minute(chat)``
tells how many counted calls took effect in a chat's busiest minute, limits on or off.

The fault kinds, and what PTB raises for each (``Call.fault`` records it, ``Call.ok`` whether
the call took effect):

- ``server_error`` — 500 or 502 with an error body; not applied; ``NetworkError``.
- ``timeout`` — no answer; not applied; ``TimedOut``.
- ``reset`` — the connection closes unanswered; not applied; ``NetworkError``.
- ``null_result`` — applied, answered ``{"ok": true, "result": null}``; PTB returns ``None`` where
  it expected ``True``, and fails with a non-Telegram error (``AttributeError``) where it
  expected an object.
- ``malformed`` — HTTP 200 with an HTML page; not applied; a bare ``TelegramError``.
- ``lost_response`` — applied, then no answer; ``TimedOut``: a blind retry posts twice.
"""
