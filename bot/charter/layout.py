"""The charter's page: A4, words already translated (``bot.words.charter``), laid out by fpdf2.

One language fills the page; with two, every text the bot writes stands in two columns side by
side (or stacked in a table cell), while what the group wrote (its vision, its commitments)
appears once, as written. Long texts wrap; the commitments table flows onto further pages with
its heading row repeated, and a heading never ends a page without what follows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from bot.words.charter import CharterWords

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"  # DejaVu Sans: Latin with every letter French, Kirundi and Swahili use
MARGIN = 18.0  # mm
GAP = 8.0  # mm between two languages' columns
INK = (25, 25, 25)
MUTED = (105, 105, 105)
ACCENT = (22, 78, 130)
LIGHT = (228, 237, 246)
BLANK = "_" * 26  # a line to write on, where a value is not known yet


class _Charter(FPDF):
    def footer(self) -> None:
        """Page numbers only: the page counts are digits in every language."""
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="C")


def render_pdf(words: Sequence[CharterWords], *, day: str) -> bytes:
    """The charter in ``words`` (one language, or two side by side), dated ``day`` (ISO)."""
    pdf = _Charter(orientation="P", unit="mm", format="A4")
    pdf.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    # The same charter gives the same bytes: the file's date is the charter's, not the clock's.
    pdf.set_creation_date(datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC))
    pdf.set_title(f"{words[0].heading} — {words[0].group}")
    pdf.set_lang(words[0].language)
    pdf.set_creator("Ikiganiro")
    pdf.add_page()
    _head(pdf, words)
    _vision(pdf, words)
    _commitments(pdf, words)
    _slogan(pdf, words)
    _signatures(pdf, words)
    return bytes(pdf.output())


def _side_by_side(
    pdf: FPDF,
    texts: Sequence[str],
    size: float,
    *,
    style: str = "",
    align: str = "L",
    color: tuple[int, int, int] = INK,
) -> None:
    """One text per language, in columns side by side (one column if they read the same),
    kept whole on one page."""
    texts = list(dict.fromkeys(texts))
    pdf.set_font(FAMILY, style, size)
    pdf.set_text_color(*color)
    width = (pdf.epw - GAP * (len(texts) - 1)) / len(texts)
    line = size * 0.5
    heights = [_height(pdf, width, line, text) for text in texts]
    if pdf.will_page_break(max(heights)):
        pdf.add_page()
    top = bottom = pdf.y
    for index, text in enumerate(texts):
        pdf.set_xy(pdf.l_margin + index * (width + GAP), top)
        pdf.multi_cell(width, line, text, align=align, new_x=XPos.RIGHT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.y)
    pdf.set_xy(pdf.l_margin, bottom)


def _height(pdf: FPDF, width: float, line: float, text: str) -> float:
    measured = pdf.multi_cell(width, line, text, dry_run=True, output="HEIGHT")
    return float(measured)  # type: ignore[arg-type]


def _stack(texts: Sequence[str]) -> str:
    """Two languages' words in one table cell, the second under the first after a slash (once
    if they agree)."""
    return "\n/ ".join(dict.fromkeys(texts))


def _head(pdf: FPDF, words: Sequence[CharterWords]) -> None:
    _side_by_side(pdf, [w.heading for w in words], 20, style="B", align="C", color=ACCENT)
    pdf.ln(3)
    _side_by_side(pdf, [w.group for w in words], 15, style="B", align="C")
    pdf.ln(3)
    _side_by_side(pdf, [w.date for w in words], 10.5, align="C")
    places = [w.place if w.place_given else f"{w.place} {BLANK}" for w in words]
    _side_by_side(pdf, places, 10.5, align="C")


def _section(pdf: FPDF, headings: Sequence[str], *, keep: float = 22.0) -> None:
    """A section's heading, underlined; moved to the next page with the ``keep`` millimetres
    that follow it rather than left alone at the foot of a page."""
    pdf.ln(5)
    if pdf.will_page_break(keep):
        pdf.add_page()
    _side_by_side(pdf, headings, 13, style="B", color=ACCENT)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.y + 0.8, pdf.l_margin + pdf.epw, pdf.y + 0.8)
    pdf.ln(3)


def _vision(pdf: FPDF, words: Sequence[CharterWords]) -> None:
    _section(pdf, [w.vision_heading for w in words])
    statements = words[0].vision
    if not statements:
        _side_by_side(pdf, [w.no_vision for w in words], 10.5, color=MUTED)
    pdf.set_text_color(*INK)
    for statement in statements:
        pdf.set_font(FAMILY, "", 10.5)
        if pdf.will_page_break(6):
            pdf.add_page()
        pdf.set_x(pdf.l_margin)
        pdf.cell(5, 5.5, "•")
        pdf.multi_cell(pdf.epw - 5, 5.5, statement, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)


def _commitments(pdf: FPDF, words: Sequence[CharterWords]) -> None:
    """The commitments as a table: what (as the group wrote it), who acts, by when, and the
    status once commitments have one; ✓ marks those police and residents both endorsed."""
    _section(pdf, [w.commitments_heading for w in words], keep=30)
    first = words[0]
    if not first.rows:
        _side_by_side(pdf, [w.no_commitments for w in words], 10.5, color=MUTED)
        return
    columns = 4 if any(row.status for row in first.rows) else 3
    widths = (46, 20, 17, 17) if columns == 4 else (54, 24, 22)
    pdf.set_font(FAMILY, "", 9.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*MUTED)
    pdf.set_line_width(0.2)
    heading = FontFace(emphasis="BOLD", color=ACCENT, fill_color=LIGHT)
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        v_align="TOP",
        line_height=4.8,
        padding=1.8,
        headings_style=heading,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
    ) as table:
        head = table.row()
        for index in range(columns):
            head.cell(_stack([w.columns[index] for w in words]))
        for index, lead in enumerate(first.rows):
            rows = [w.rows[index] for w in words]
            cells = [("✓ " if lead.shared else "") + lead.text]
            cells += [_stack([r.who for r in rows]), _stack([r.when for r in rows])]
            cells += [_stack([r.status or "" for r in rows])] if columns == 4 else []
            row = table.row()
            for text in cells:
                row.cell(text)
    if any(row.shared for row in first.rows):
        pdf.ln(1.5)
        _side_by_side(pdf, [w.shared_note for w in words], 8.5, color=MUTED)


def _slogan(pdf: FPDF, words: Sequence[CharterWords]) -> None:
    pdf.ln(7)
    _side_by_side(pdf, [w.slogan for w in words], 14, style="B", align="C", color=ACCENT)


def _signatures(pdf: FPDF, words: Sequence[CharterWords]) -> None:
    """A line to sign on for each side, two to a row; the block stays on one page."""
    signers = list(zip(*(w.signers for w in words), strict=True))
    rows = (len(signers) + 1) // 2
    _section(pdf, [w.signatures_heading for w in words], keep=12 + 31 * rows)
    hint = _stack([w.signature_hint for w in words])
    width = (pdf.epw - GAP) / 2
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    for index, names in enumerate(signers):
        if index % 2 == 0:
            top = pdf.y
        x = pdf.l_margin + (index % 2) * (width + GAP)
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "B", 10)
        pdf.set_text_color(*INK)
        pdf.multi_cell(width, 5, _stack(names), new_x=XPos.LEFT, new_y=YPos.NEXT)
        line = top + 22
        pdf.line(x, line, x + width, line)
        pdf.set_xy(x, line + 1)
        pdf.set_font(FAMILY, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(width, 4, hint, new_x=XPos.LEFT, new_y=YPos.NEXT)
        if index % 2 == 1 or index == len(signers) - 1:
            pdf.set_xy(pdf.l_margin, top + 31)
