"""The charter's page: A4, words already translated (``bot.words.charter``), laid out by fpdf2.

One language fills the page; with two, every text the bot writes stands in two columns side by
side (or stacked in a table cell), while what the group wrote (its vision, its commitments)
appears once, as written. Long texts wrap; the commitments table flows onto further pages with
its heading row repeated, and a heading never ends a page without what follows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

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
    _earlier(pdf, words)
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
    pdf.set_font(FAMILY, "", 10.5)
    pdf.set_text_color(*INK)
    indent = 5.0
    for statement in statements:
        lines = _wrap(pdf, statement, pdf.epw - indent)
        for index, line in enumerate(lines):
            if pdf.will_page_break(5.5):
                pdf.add_page()
            if index == 0:
                _line(pdf, pdf.l_margin, pdf.y, 5.5, "•")
            _line(pdf, pdf.l_margin + indent, pdf.y, 5.5, line)
            pdf.set_xy(pdf.l_margin, pdf.y + 5.5)
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
    rows = []
    for index, lead in enumerate(first.rows):
        same = [w.rows[index] for w in words]
        cells = [("✓ " if lead.shared else "") + lead.text]
        cells += [_stack([r.who for r in same]), _stack([r.when for r in same])]
        cells += [_stack([r.status or "" for r in same])] if columns == 4 else []
        rows.append(cells)
    heading = [_stack([w.columns[index] for w in words]) for index in range(columns)]
    _Table(pdf, (46, 20, 17, 17) if columns == 4 else (54, 24, 22), heading).draw(rows)
    if any(row.shared for row in first.rows):
        pdf.ln(1.5)
        _side_by_side(pdf, [w.shared_note for w in words], 8.5, color=MUTED)


def _earlier(pdf: FPDF, words: Sequence[CharterWords]) -> None:
    """A follow-up's look back: each earlier commitment, who acts, by when, and its history of
    reports; nothing outside a follow-up."""
    first = words[0]
    if not first.earlier:
        return
    _section(pdf, [w.earlier_heading for w in words], keep=30)
    rows = []
    for index, lead in enumerate(first.earlier):
        same = [w.earlier[index] for w in words]
        cells = [lead.text, _stack([r.who for r in same]), _stack([r.when for r in same])]
        rows.append([*cells, _stack([r.status or "" for r in same])])
    heading = [_stack([w.columns[index] for w in words]) for index in range(4)]
    _Table(pdf, (40, 18, 16, 26), heading).draw(rows)


class _Table:
    """A table whose rows stay whole on a page when they can, and otherwise continue on the
    next; its heading row is repeated on every page. Each cell is drawn line by line, so a
    reader (and a screen reader) gets each cell's text in one piece."""

    PAD = 1.8
    LINE = 4.8
    SIZE = 9.5

    def __init__(self, pdf: FPDF, shares: Sequence[float], heading: Sequence[str]) -> None:
        self.pdf = pdf
        self.widths = [pdf.epw * share / sum(shares) for share in shares]
        self.heading = heading

    def draw(self, rows: Sequence[Sequence[str]]) -> None:
        self._head()
        usable = self.pdf.page_break_trigger - self.pdf.t_margin - 20
        for row in rows:
            self.pdf.set_font(FAMILY, "", self.SIZE)
            self.pdf.set_text_color(*INK)
            lines = [
                _wrap(self.pdf, text, w - 2 * self.PAD)
                for text, w in zip(row, self.widths, strict=True)
            ]
            height = max(map(len, lines)) * self.LINE + 2 * self.PAD
            if height <= usable and self.pdf.will_page_break(height):
                self._new_page()
            self._row(lines)

    def _head(self) -> None:
        pdf = self.pdf
        pdf.set_font(FAMILY, "B", self.SIZE)
        lines = [
            _wrap(pdf, text, w - 2 * self.PAD)
            for text, w in zip(self.heading, self.widths, strict=True)
        ]
        height = max(map(len, lines)) * self.LINE + 2 * self.PAD
        pdf.set_fill_color(*LIGHT)
        pdf.rect(pdf.l_margin, pdf.y, pdf.epw, height, style="F")
        pdf.set_text_color(*ACCENT)
        self._row(lines)

    def _new_page(self) -> None:
        self.pdf.add_page()
        self._head()
        self.pdf.set_font(FAMILY, "", self.SIZE)
        self.pdf.set_text_color(*INK)

    def _row(self, lines: Sequence[Sequence[str]]) -> None:
        """Draw a row's wrapped cells, column by column, over as many pages as it needs."""
        pdf, done, depth = self.pdf, 0, max(map(len, lines))
        while done < depth:
            room = int((pdf.page_break_trigger - pdf.y - 2 * self.PAD) // self.LINE)
            if room <= 0:
                self._new_page()
                continue
            chunk = range(done, min(depth, done + room))
            top, x = pdf.y + self.PAD, pdf.l_margin
            for cell, width in zip(lines, self.widths, strict=True):
                for line in chunk:
                    if line < len(cell):
                        y = top + (line - done) * self.LINE
                        _line(pdf, x + self.PAD, y, self.LINE, cell[line])
                x += width
            pdf.set_xy(pdf.l_margin, top + len(chunk) * self.LINE + self.PAD)
            pdf.set_draw_color(*MUTED)
            pdf.set_line_width(0.2)
            pdf.line(pdf.l_margin, pdf.y, pdf.l_margin + pdf.epw, pdf.y)
            done = chunk.stop


def _line(pdf: FPDF, x: float, top: float, height: float, text: str) -> None:
    """One line of text on a line box, its baseline where ``cell`` would put it (``text`` is
    several times cheaper than ``cell``, and a charter has thousands of lines)."""
    if text:
        pdf.text(x, top + height / 2 + 0.3 * pdf.font_size, text)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` cut into lines no wider than ``width`` in the current font, at spaces (and
    inside a word only if it is wider than a whole line).

    Greedy, measuring each word once: fpdf2's own line breaker measures the growing line again
    at every character, which made a 200-commitment charter take seconds.
    """
    measure = _measure(pdf)
    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            for piece in _pieces(measure, word, width):
                size = measure(piece)
                if line and used + space + size > width:
                    lines.append(line)
                    line, used = piece, size
                else:
                    line, used = (
                        (f"{line} {piece}" if line else piece),
                        used + space * bool(line) + size,
                    )
        lines.append(line)
    return lines


def _measure(pdf: FPDF) -> Callable[[str], float]:
    """The width of a text in the current font and size, from the font's own metrics (what
    ``get_string_width`` computes, without its per-call set-up: no spacing or stretching is
    used here)."""
    font, size = pdf.current_font, pdf.font_size_pt
    assert font is not None
    return lambda text: font.get_text_width(text, size, None)[1] / pdf.k


def _pieces(measure: Callable[[str], float], word: str, width: float) -> list[str]:
    """A word as it fits on lines: whole, or cut where a line ends (a long number, a link)."""
    if measure(word) <= width:
        return [word]
    pieces, piece, used = [], "", 0.0
    for char in word:
        size = measure(char)
        if piece and used + size > width:
            pieces.append(piece)
            piece, used = "", 0.0
        piece, used = piece + char, used + size
    return [*pieces, piece]


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
