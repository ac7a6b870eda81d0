"""The in-memory Bot API served over real HTTP, for a bot running in another process.

``ikiganiro run`` talks to ``IKIGANIRO_API_URL`` with PTB's own ``HTTPXRequest``. Pointing it
at this server exercises everything between the environment and the wire — settings, the
token in the URL, form-encoded parameters, long polling, signals — that the in-process tests
replace with ``FakeBotApi`` as PTB's request object.

Flood control, latency and faults switched on in the ``FakeBotApi`` work here too: 429s, 5xx,
null results and HTML pages are HTTP answers like any other; a timeout or a lost response holds
the connection ``hang`` seconds (past the client's read timeout) and then closes it unanswered;
a reset closes it at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from bot.offline.api import FakeBotApi
from bot.offline.chaos import FaultKind, NoAnswer
from bot.offline.wire import upload

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


async def unanswered(request: web.Request, kind: FaultKind, hang: float) -> web.Response:
    """No HTTP answer: hold the connection ``hang`` seconds unless it was reset, then close it."""
    if kind is not FaultKind.RESET:
        await asyncio.sleep(hang)
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=499)  # never reaches the client: the connection is gone


@asynccontextmanager
async def serve_over_http(api: FakeBotApi, *, hang: float = 6.0) -> AsyncIterator[str]:
    """Serve ``api`` on a free loopback port; yields the root URL (``IKIGANIRO_API_URL``).

    ``hang`` is how long an injected timeout holds the connection: past PTB's default read
    timeout (5 s); a test with a shorter client timeout can shorten it.
    """

    async def handle(request: web.Request) -> web.Response:
        form = await request.post() if request.can_read_body else {}
        fields = {name: value for name, value in form.items() if isinstance(value, str)}
        fields.update(request.query)
        params = decode_form(fields)
        for name, value in form.items():
            if isinstance(value, web.FileField):  # a document, uploaded as multipart
                params[name] = upload(value.filename, value.file.read())
        try:
            status, body = await api.answer(request.path, params)
        except NoAnswer as missing:
            return await unanswered(request, missing.kind, hang)
        html = body.lstrip().startswith(b"<")  # a proxy's error page, injected as a fault
        content_type = "text/html" if html else "application/json"
        return web.Response(status=status, body=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=hang + 1)
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
