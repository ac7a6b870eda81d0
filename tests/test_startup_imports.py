"""``ikiganiro run`` imports only what serving needs: start-up time is mostly imports
(docs/performance.md), and fpdf2 with its font tools alone was a quarter of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Needed only to make a charter, an export or a report: imported when one is made.
NOT_AT_START = ("fpdf", "fontTools", "plotly")


def test_serving_imports_no_charter_or_report_library() -> None:
    code = (
        "import json, sys; import bot.cli, bot.settings, bot.storage, bot.telegram.serve; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    heavy = [m for m in loaded if m.split(".")[0] in NOT_AT_START]
    assert heavy == []
