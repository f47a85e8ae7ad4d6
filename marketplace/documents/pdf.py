"""Drawing helpers over ReportLab's canvas: QR codes as vectors, wrapped text, A4 pages.

ReportLab's standard fonts (Helvetica) need no embedded font file and encode text in WinAnsi
(cp1252), which holds every French character and the euro sign.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

__all__ = ["A4", "Canvas", "document", "draw_qr", "mm", "wrap"]

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
MONO = "Courier"


@contextmanager
def document(out: io.BytesIO, size: tuple[float, float] = A4, *, title: str, lang: str) -> Iterator[Canvas]:
    """A canvas whose PDF is written to ``out`` when the block ends."""
    canvas = Canvas(out, pagesize=size, pageCompression=1, invariant=0)
    canvas.setTitle(title)
    canvas.setAuthor("Relife")
    canvas.setCreator("Relife")
    canvas.setSubject(lang)
    yield canvas
    canvas.save()


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """``data`` as a QR code (error correction M, quiet zone included) whose lower left corner is
    at (x, y) and side is ``size`` points, drawn as filled rectangles: sharp at any zoom."""
    code = segno.make(data, error="m", micro=False, boost_error=False)
    rows = list(code.matrix_iter(border=4))
    module = size / len(rows)
    # One filled path of a rectangle per run of dark modules, written as PDF operators (``re``, ``f``):
    # ReportLab's path objects cost ~10x more per rectangle, which shows on a sheet of 500 labels.
    ops = [f"q 1 g {x:.3f} {y:.3f} {size:.3f} {size:.3f} re f 0 g"]
    for r, row in enumerate(rows):
        bottom = y + size - (r + 1) * module
        cells = list(row)
        c = 0
        while c < len(cells):
            if cells[c]:
                start = c
                while c < len(cells) and cells[c]:
                    c += 1
                ops.append(f"{x + start * module:.3f} {bottom:.3f} {(c - start) * module:.3f} {module:.3f} re")
            else:
                c += 1
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    return simpleSplit(text, font, size, width) or [""]
