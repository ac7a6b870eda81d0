"""The coordinator's view: ``ikiganiro export`` and ``ikiganiro report`` across groups.

Sessions are real engine runs saved in a real (encrypted) SQLite file; the commands run as an
operator runs them, in their own process. Neither output may hold a name, a Telegram id, a
session id or any text a person wrote (the markers below); the report must render its charts
in a real browser (Debian's chromium, headless, with no network).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.state import Progress, Role, SessionState
from bot.storage import DataKey, Store, generate_key
from tests.engine.helpers import FAC, NAMES, POL, RES, RES2, Driver
from tests.test_cli_operator import ikiganiro, one_sentence

RES3, RES4 = 7_800_008, 7_900_009
STORY = "Marker story: the night the river path went dark."
ANONYMOUS = "Marker anonymous: I was afraid to tell anyone."
PROMISE = "Marker promise: light the river path."
MARKERS = [
    *NAMES.values(),
    "Resident Marker Three",
    "Resident Marker Four",
    *(str(u) for u in (FAC, POL, RES, RES2, RES3, RES4)),
    STORY,
    ANONYMOUS,
    PROMISE,
    "-100777",  # the group's chat id
]


def held_session(session_id: str) -> SessionState:
    """A whole default session: five people, stories, dimensions, one commitment reported."""
    d = Driver(Library.load()["community-safety"], session_id=session_id)
    d.open(FAC)
    for user in (POL, RES, RES2):
        d.join(user)
    d.join(RES3, Role.RESIDENT, "Resident Marker Three")
    d.join(RES4, Role.RESIDENT, "Resident Marker Four")
    d.goto("safe_story")
    d.answer(POL, "safe_story", STORY)
    d.goto("unsafe_story")
    d.answer(RES, "unsafe_story", ANONYMOUS, channel="private")
    d.share(RES, "anonymous")
    d.goto("dimensions")
    for user in (POL, RES, RES2, RES3, RES4):
        d.do(ev.ChoiceToggled, actor=user, stage_id="dimensions", option_id="gbv")
    d.do(ev.ChoiceToggled, actor=POL, stage_id="dimensions", option_id="trust")
    d.goto("commitments")
    d.answer(POL, "commitments", PROMISE)
    d.do(ev.Ended, actor=FAC, confirmed=True)
    d.tick(60 * 24 * 20)
    cid = d.state.commitments[0].id
    d.do(ev.CommitmentStatusReported, actor=POL, commitment_id=cid, status=Progress.DONE)
    return d.state


@pytest.fixture
def database(tmp_path: Path) -> tuple[Path, str]:
    key = generate_key()
    path = tmp_path / "bot.db"

    async def seed() -> None:
        store = await Store.open(path, DataKey.from_env_value(key))
        async with store.write() as tx:
            for n, sid in enumerate(("a1b2c3d4", "e5f6a7b8")):
                await tx.save_state(held_session(sid), -100777 - n, None)
        await store.close()

    asyncio.run(seed())
    return path, key


def no_marker(text: str) -> None:
    for marker in [*MARKERS, "a1b2c3d4", "e5f6a7b8"]:
        assert marker not in text, marker


def test_the_export_holds_the_facts_and_nothing_that_identifies(
    database: tuple[Path, str], tmp_path: Path
) -> None:
    db, key = database
    out = tmp_path / "export.json"
    result = ikiganiro("export", "--format", "json", "-o", str(out), db=db, key=key)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    no_marker(text)
    first, second = json.loads(text)
    assert (first["number"], first["script"], first["language"]) == (1, "community-safety", "en")
    assert first["participants"] == {
        "police": "fewer than 3",
        "resident": 4,
        "leader": 0,
        "unsaid": 0,
    }
    assert first["choices"]["dimensions"]["gbv"] == {
        "police": "fewer than 3",
        "resident": 4,
        "leader": 0,
        "unsaid": 0,
    }
    (commitment,) = first["commitments"]
    assert commitment["status"] == "done"
    assert [h["status"] for h in commitment["history"]] == ["done"]
    assert commitment["status_date"] == "2025-03-21"
    assert second["number"] == 2

    csv_out = ikiganiro("export", "--format", "csv", db=db, key=key)
    assert csv_out.returncode == 0, csv_out.stderr
    no_marker(csv_out.stdout)
    assert "1,community-safety,en,2025-03-01,2025-03-01,commitment,1,status,done" in csv_out.stdout
    later = ikiganiro("export", "--since", "2025-03-02", db=db, key=key)
    assert later.returncode == 0 and json.loads(later.stdout) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("export", "--since", "last week"), "--since"),
        (("export", "--format", "xml"), "--format"),
        (("export", "-o", "/no/such/folder/out.json"), "/no/such/folder"),
        (("report",), "-o"),
        (("report", "-o", "/no/such/folder/r.html"), "/no/such/folder"),
    ],
)
def test_operator_mistakes_are_one_sentence(
    database: tuple[Path, str], args: tuple[str, ...], says: str
) -> None:
    db, key = database
    assert says in one_sentence(ikiganiro(*args, db=db, key=key))


def test_without_the_key_the_export_says_so(database: tuple[Path, str]) -> None:
    db, _ = database
    assert "IKIGANIRO_DATA_KEY" in one_sentence(ikiganiro("export", db=db))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def rendered(page: Path) -> str:
    """The page's DOM after its scripts ran, in headless chromium with every host unreachable."""
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium is not installed here (CI installs it: .ci/run)",
)
def test_the_report_renders_its_charts_in_a_browser_with_no_network(
    database: tuple[Path, str], tmp_path: Path
) -> None:
    db, key = database
    page = tmp_path / "report.html"
    result = ikiganiro("report", "-o", str(page), db=db, key=key)
    assert result.returncode == 0, result.stderr
    source = page.read_text(encoding="utf-8")
    no_marker(source)
    assert "<script src" not in source and "<link" not in source  # everything inline
    dom = rendered(page)
    for n in (1, 2, 3):  # each chart drew its SVG, with its traces, once the page ran
        start = dom.index(f'id="chart{n}"')
        end = dom.find('id="chart', start + 1)
        chart = dom[start : end if end != -1 else len(dom)]
        assert 'class="main-svg"' in chart, n
        assert '<g class="trace' in chart, n
    assert dom.count('<path class="point"') >= 4  # bars with height: dimensions, participation
    assert "Commitments by status over time" in dom
    assert "Dimensions of safety by role" in dom
