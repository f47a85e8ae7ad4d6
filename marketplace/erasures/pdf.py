"""The erasure certificate as a one-page PDF (text only), written by hand.

A certificate is a dozen lines of text; PDF 1.4 with the standard Helvetica font needs no embedded
font and no library (ISO 32000-1 §7.5: header, objects, cross-reference table, trailer). Text is
encoded in WinAnsi (cp1252); characters outside it become "?". Long lists continue on further pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from marketplace.erasures.service import Certificate

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
LEADING = 15
LINES_PER_PAGE = (PAGE_HEIGHT - 2 * MARGIN) // LEADING


def certificate_lines(cert: Certificate) -> list[tuple[str, str]]:
    """(style, text) lines: style "title", "head" or "body"."""
    device = cert.device
    lines: list[tuple[str, str]] = [
        ("title", "Data erasure certificate"),
        ("body", f"Generated {cert.generated_at.isoformat(timespec='seconds')} by Relife"),
        ("body", ""),
        ("head", "Device"),
        ("body", f"{device.make} {device.model} ({device.kind.value}), serial {device.serial}"),
        ("body", f"Asset tag {device.asset_tag}; organisation {device.organisation.name}"),
        ("body", f"Disks from diagnostics report {cert.report_id}" if cert.report_id else "No disk report"),
        ("body", ""),
    ]
    if not cert.disks:
        lines.append(("body", "The device has no storage: no erasure is needed."))
    for number, disk in enumerate(cert.disks, start=1):
        lines.append(("head", f"Disk {number}: {disk.model or 'unknown model'}, serial {disk.serial or 'unknown'}"))
        erasure = disk.erasure
        if erasure is None:
            lines.append(("body", "No erasure recorded."))
        else:
            lines += [
                ("body", f"Method {erasure.method.value}, standard {erasure.standard.value}"),
                ("body", f"Tool {erasure.tool} {erasure.tool_version or ''}".rstrip()),
                (
                    "body",
                    f"From {erasure.started_at.isoformat(timespec='seconds')} "
                    f"to {erasure.finished_at.isoformat(timespec='seconds')}",
                ),
                (
                    "body",
                    ("Verified" if erasure.verified else "NOT verified")
                    + (f" ({erasure.verification_method})" if erasure.verification_method else ""),
                ),
                ("body", f"Operator {erasure.operator or 'not recorded'}"),
            ]
        lines.append(("body", ""))
    lines.append(
        (
            "head",
            "Complete: every disk has a verified erasure."
            if cert.complete
            else "INCOMPLETE: some disks have no verified erasure.",
        )
    )
    return lines


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


_FONTS = {"title": (b"/F2", 16), "head": (b"/F2", 11), "body": (b"/F1", 10)}


def _page_stream(lines: Sequence[tuple[str, str]]) -> bytes:
    out = [b"BT"]
    y = PAGE_HEIGHT - MARGIN
    for style, text in lines:
        font, size = _FONTS[style]
        out.append(b"%s %d Tf 1 0 0 1 %d %d Tm (%s) Tj" % (font, size, MARGIN, y, _escape(text)))
        y -= LEADING + (6 if style == "title" else 0)
    out.append(b"ET")
    return b"\n".join(out)


def render(cert: Certificate) -> bytes:
    lines = certificate_lines(cert)
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    # Objects: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, then (page, content) per page.
    first_page = 5
    page_ids = [first_page + 2 * i for i in range(len(pages))]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % p for p in page_ids), len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, page_lines in zip(page_ids, pages, strict=True):
        stream = _page_stream(page_lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
            b"/Contents %d 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, page_id + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    body = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(body)
