"""``ikiganiro report``: the coordinator's one page, drawn from the export and nothing else.

Three charts, made with plotly (its JavaScript inlined once, so the page opens with no network
at all): commitments by status over time, the dimensions of safety chosen by each role across
groups, and participation by role in each session. Built from the export's records, the page
can show nothing the export does not: a count the small-group rule turned into "fewer than 3"
is left out of every bar (and the page says how many were), never added back up.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from html import escape

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from bot.dialogues import Library
from bot.engine.state import Progress, Role
from bot.export import SessionRecord

# The stage whose options are the dimensions of safety (the default script's); other choice
# stages are in the export, not on this page.
DIMENSIONS_STAGE = "dimensions"
ROLE_LABELS = {
    Role.POLICE.value: "police officers",
    Role.RESIDENT.value: "community members",
    Role.LEADER.value: "local leaders",
    Role.UNSAID.value: "not said",
}
STATUS_ORDER = [p.value for p in Progress]
# No button that would reach out of the page (sending data to a cloud service, editing there).
_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "lasso2d", "select2d"],
}


def _status_on(history: list[tuple[str, str]], proposed: str, day: str) -> str | None:
    """A commitment's status on ``day`` (ISO dates compare as text), None before it existed."""
    if day < proposed:
        return None
    status = Progress.OPEN.value
    for step_status, step_day in history:
        if step_day <= day:
            status = step_status
    return status


def status_over_time(rows: list[SessionRecord], today: date) -> go.Figure:
    """How many commitments stood where, on each day something changed (stacked)."""
    items = [
        (c.proposed, [(h.status, h.date) for h in c.history]) for r in rows for c in r.commitments
    ]
    days = sorted(
        {p for p, _ in items} | {d for _, h in items for _, d in h} | {today.isoformat()}
    )
    counts = {
        day: Counter(s for p, h in items if (s := _status_on(h, p, day)) is not None)
        for day in days
    }
    fig = go.Figure()
    for status in STATUS_ORDER:
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[counts[d][status] for d in days],
                name=status.replace("_", " "),
                mode="lines+markers",
                line={"shape": "hv"},  # a status holds until the next report: steps, not slopes
                stackgroup="status",
            )
        )
    fig.update_layout(title="Commitments by status over time", yaxis_title="commitments")
    return fig


def _numbers(counts: dict[str, int | str]) -> dict[str, int]:
    return {role: n for role, n in counts.items() if isinstance(n, int)}


def dimensions_by_role(rows: list[SessionRecord], library: Library) -> go.Figure:
    """The dimensions of safety each role chose, summed across groups (grouped bars)."""
    totals: dict[str, Counter[str]] = {}
    for r in rows:
        for option, counts in r.choices.get(DIMENSIONS_STAGE, {}).items():
            totals.setdefault(option, Counter()).update(_numbers(counts))
    labels = _option_labels(library)
    options = sorted(totals, key=lambda o: -sum(totals[o].values()))
    fig = go.Figure()
    for role, label in ROLE_LABELS.items():
        fig.add_trace(
            go.Bar(
                x=[labels.get(o, o) for o in options],
                y=[totals[o][role] for o in options],
                name=label,
            )
        )
    fig.update_layout(
        title="Dimensions of safety by role, across groups", barmode="group", yaxis_title="votes"
    )
    return fig


def _option_labels(library: Library) -> dict[str, str]:
    labels: dict[str, str] = {}
    for script_id in library.ids():
        stage = library[script_id].stage(DIMENSIONS_STAGE)
        for option in stage.options if stage else ():
            labels.setdefault(option.id, option.label)
    return labels


def participation_by_role(rows: list[SessionRecord]) -> go.Figure:
    """Who took part in each session, by role (stacked bars)."""
    names = [f"{r.number}. {r.script} ({r.opened or '?'})" for r in rows]
    fig = go.Figure()
    for role, label in ROLE_LABELS.items():
        values = [r.participants.get(role, 0) for r in rows]
        fig.add_trace(
            go.Bar(x=names, y=[v if isinstance(v, int) else 0 for v in values], name=label)
        )
    fig.update_layout(
        title="Participation by role in each session", barmode="stack", yaxis_title="people"
    )
    return fig


def suppressed(rows: list[SessionRecord]) -> int:
    """How many counts the small-group rule kept from the charts."""
    counts = [n for r in rows for n in r.participants.values()]
    counts += [
        n for r in rows for o in r.choices.get(DIMENSIONS_STAGE, {}).values() for n in o.values()
    ]
    return sum(isinstance(n, str) for n in counts)


def render_report(rows: list[SessionRecord], library: Library, today: date) -> str:
    """The whole page: one self-contained HTML document."""
    figures = [
        status_over_time(rows, today),
        dimensions_by_role(rows, library),
        participation_by_role(rows),
    ]
    charts = "\n".join(
        fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG, div_id=f"chart{n}")
        for n, fig in enumerate(figures, start=1)
    )
    sessions = len(rows)
    commitments = sum(len(r.commitments) for r in rows)
    note = (
        f"{sessions} sessions, {commitments} commitments. Counts of fewer than 3 people are left "
        f"out of the charts ({suppressed(rows)} such counts), as in the export."
    )
    return _PAGE.format(
        plotly=get_plotlyjs(), note=escape(note), charts=charts, today=today.isoformat()
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ikiganiro: commitments and participation across groups</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }}
.chart {{ margin: 2em 0; }}
</style>
<script type="text/javascript">{plotly}</script>
</head>
<body>
<h1>Ikiganiro: commitments and participation across groups</h1>
<p>As of {today}. {note}</p>
<p>No names, no Telegram ids and no text anyone wrote are in this page.</p>
<div class="chart">
{charts}
</div>
</body>
</html>
"""
