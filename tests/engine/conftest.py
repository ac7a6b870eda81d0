"""Fixtures for engine tests; the builders live in ``helpers``."""

from __future__ import annotations

import pytest

from bot.engine.script import Script

from .helpers import FAC, LEAD, POL, RES, Driver, full_script


@pytest.fixture
def script() -> Script:
    return full_script()


@pytest.fixture
def lobby(script: Script) -> Driver:
    """Opened by FAC; POL, RES and LEAD have joined with roles; no stage open yet."""
    d = Driver(script)
    d.open(FAC)
    for user in (POL, RES, LEAD):
        d.join(user)
    return d


@pytest.fixture
def session(lobby: Driver) -> Driver:
    """Like ``lobby`` but running at the ``story`` text stage."""
    lobby.goto("story")
    return lobby
