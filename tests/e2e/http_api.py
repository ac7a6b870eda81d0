"""The in-memory Bot API served over real HTTP, for a bot running in another process.

``ikiganiro run`` talks to ``IKIGANIRO_API_URL`` with PTB's own ``HTTPXRequest``. Pointing it
at this server exercises everything between the environment and the wire — settings, the
token in the URL, form-encoded parameters, long polling, signals — that the in-process tests
replace with ``FakeBotApi`` as PTB's request object.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.offline.api import FakeBotApi

# PTB sends strings as they are and everything else JSON-encoded, so a text "42" and the
# number 42 look alike on the wire; Telegram tells them apart by its schema, and so does this.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "parse_mode",
        "language_code",
        "url",
        "title",
        "description",
        "short_description",
        "name",
    }
)


def decode_form(fields: dict[str, str]) -> dict[str, Any]:
    """Form fields as Telegram reads them: strings stay strings, the rest is JSON."""
    params: dict[str, Any] = {}
    for name, raw in fields.items():
        if name in _STRING_FIELDS:
            params[name] = raw
            continue
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw  # a chat's @username, for one
    return params


@asynccontextmanager
async def serve_over_http(api: FakeBotApi) -> AsyncIterator[str]:
    """Serve ``api`` on a free loopback port; yields the root URL (``IKIGANIRO_API_URL``)."""

    async def handle(request: web.Request) -> web.Response:
        form = await request.post() if request.can_read_body else {}
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        fields.update(request.query)
        status, body = await api.answer(request.path, decode_form(fields))
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        api.deliver()  # nothing new, but it ends the long polls the server would wait out
        await runner.cleanup()
