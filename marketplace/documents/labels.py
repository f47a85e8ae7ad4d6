"""Asset labels: asset tag, make and model, and a QR code that opens the device's page.

Two layouts: ``sheet``, A4 sheets of 3 × 7 labels of 63.5 × 38.1 mm (Avery L7160 and its
equivalents, the commonest address-label sheet), and ``single``, one 62 × 29 mm label per page
(the continuous 62 mm roll of Brother QL label printers, DK-11209 die-cut size).
"""

from __future__ import annotations

import enum
import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

from marketplace.devices.models import Device
from marketplace.documents.i18n import text
from marketplace.documents.pdf import A4, BOLD, MONO, REGULAR, Canvas, document, draw_qr, mm, wrap

#: Most labels one request prints (five A4 sheets of 21 would be 105: 500 is 24 sheets).
MAX_LABELS = 500


class Layout(enum.StrEnum):
    SHEET = "sheet"
    SINGLE = "single"


@dataclass(frozen=True)
class SheetGeometry:
    columns: int = 3
    rows: int = 7
    width: float = 63.5 * mm
    height: float = 38.1 * mm
    left: float = 7.25 * mm
    top: float = 15.15 * mm
    pitch_x: float = 66.04 * mm  # label width + 2.54 mm gap
    pitch_y: float = 38.1 * mm


SHEET = SheetGeometry()
SINGLE_SIZE = (62 * mm, 29 * mm)


def device_url(base_url: str, device: Device) -> str:
    return f"{base_url.rstrip('/')}/d/{device.public_code}"


def _grouped(code: str) -> str:
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def _label(
    canvas: Canvas, device: Device, url: str, x: float, y: float, width: float, height: float, lang: str
) -> None:
    pad = 2.5 * mm if height > 30 * mm else 1.8 * mm
    qr = height - 2 * pad
    draw_qr(canvas, url, x + pad, y + pad, qr)
    left = x + 2 * pad + qr
    room = width - (left - x) - pad
    top = y + height - pad
    tag_size = 11 if height > 30 * mm else 9.5
    while tag_size > 6 and stringWidth(device.asset_tag, BOLD, tag_size) > room:
        tag_size -= 0.5  # a long asset tag: smaller, never cut
    canvas.setFont(BOLD, tag_size)
    canvas.drawString(left, top - tag_size, device.asset_tag)
    line_y = top - tag_size - 4
    size = 8 if height > 30 * mm else 7
    max_lines = 3 if height > 30 * mm else 2
    canvas.setFont(REGULAR, size)
    for part in wrap(f"{device.make} {device.model}", REGULAR, size, room)[:max_lines]:
        canvas.drawString(left, line_y - size, part)
        line_y -= size * 1.2
    canvas.setFont(MONO, 6.5)
    canvas.drawString(left, y + pad + 8, _grouped(device.public_code))
    canvas.setFont(REGULAR, 5.5)
    canvas.setFillGray(0.3)
    canvas.drawString(left, y + pad, text(lang, "Scan for its page"))
    canvas.setFillGray(0)


def render(devices: Sequence[Device], layout: Layout, base_url: str, lang: str) -> bytes:
    out = io.BytesIO()
    size = A4 if layout is Layout.SHEET else SINGLE_SIZE
    with document(out, size, title="Relife labels", lang=lang) as canvas:
        if layout is Layout.SINGLE:
            for index, device in enumerate(devices):
                if index:
                    canvas.showPage()
                _label(canvas, device, device_url(base_url, device), 0, 0, *SINGLE_SIZE, lang)
        else:
            per_sheet = SHEET.columns * SHEET.rows
            for index, device in enumerate(devices):
                if index and index % per_sheet == 0:
                    canvas.showPage()
                row, column = divmod(index % per_sheet, SHEET.columns)
                x = SHEET.left + column * SHEET.pitch_x
                y = A4[1] - SHEET.top - (row + 1) * SHEET.pitch_y
                _label(canvas, device, device_url(base_url, device), x, y, SHEET.width, SHEET.height, lang)
    return out.getvalue()
