"""The erasure certificate as an A4 PDF, printed from the certificate's content (what its digest
seals), with a QR code to its public verification page."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial
from typing import Any

from marketplace.documents.certificates import display_number
from marketplace.documents.i18n import capacity, date, kind_name, method_name, removal_outcome, text
from marketplace.documents.pdf import A4, BOLD, MONO, REGULAR, Canvas, document, draw_qr, mm, wrap

WIDTH, HEIGHT = A4
MARGIN = 18 * mm
QR_SIZE = 34 * mm
LABEL_WIDTH = 42 * mm


class _Writer:
    def __init__(self, canvas: Canvas, lang: str, footer: str) -> None:
        self.canvas, self.lang, self.footer = canvas, lang, footer
        self.y = HEIGHT - MARGIN
        self.page = 1

    def need(self, height: float) -> None:
        if self.y - height < MARGIN + 16 * mm:
            self.end_page()
            self.canvas.showPage()
            self.page += 1
            self.y = HEIGHT - MARGIN

    def end_page(self) -> None:
        self.canvas.setFont(REGULAR, 7.5)
        self.canvas.setFillGray(0.35)
        self.canvas.drawString(MARGIN, MARGIN - 6 * mm, self.footer)
        self.canvas.drawRightString(WIDTH - MARGIN, MARGIN - 6 * mm, text(self.lang, "Page {page}", page=self.page))
        self.canvas.setFillGray(0)

    def line(self, value: str, font: str = REGULAR, size: float = 10, width: float | None = None) -> None:
        for part in wrap(value, font, size, width or WIDTH - 2 * MARGIN):
            self.need(size * 1.4)
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN, self.y - size, part)
            self.y -= size * 1.4

    def heading(self, value: str) -> None:
        self.need(30)
        self.y -= 6
        self.line(value, BOLD, 11.5)
        self.canvas.setStrokeGray(0.7)
        self.canvas.line(MARGIN, self.y + 2, WIDTH - MARGIN, self.y + 2)
        self.y -= 3

    def field(self, label: str, value: str) -> None:
        parts = wrap(value, REGULAR, 9.5, WIDTH - 2 * MARGIN - LABEL_WIDTH - 4 * mm)
        self.need(len(parts) * 13)
        self.canvas.setFont(BOLD, 9)
        self.canvas.setFillGray(0.3)
        self.canvas.drawString(MARGIN + 4 * mm, self.y - 9.5, label)
        self.canvas.setFillGray(0)
        self.canvas.setFont(REGULAR, 9.5)
        for part in parts:
            self.canvas.drawString(MARGIN + 4 * mm + LABEL_WIDTH, self.y - 9.5, part)
            self.y -= 13


def _moment(lang: str, value: str | None) -> str:
    return date(lang, dt.datetime.fromisoformat(value)) if value else "—"


def render(content: dict[str, Any], digest: str, verify_url: str, lang: str) -> bytes:
    out = io.BytesIO()
    number = display_number(content["number"])
    t = partial(text, lang)
    with document(out, title=f"{t('Data erasure certificate')} {number}", lang=lang) as canvas:
        w = _Writer(canvas, lang, f"{t('Data erasure certificate')} · {t('Certificate no. {number}', number=number)}")
        draw_qr(canvas, verify_url, WIDTH - MARGIN - QR_SIZE, HEIGHT - MARGIN - QR_SIZE, QR_SIZE)
        head_width = WIDTH - 2 * MARGIN - QR_SIZE - 6 * mm
        w.line(t("Data erasure certificate"), BOLD, 18, head_width)
        w.y -= 4
        w.line(t("Certificate no. {number}", number=number), BOLD, 12, head_width)
        issued = dt.datetime.fromisoformat(content["issued_at"])
        w.line(t("Issued {date} by Relife", date=date(lang, issued)), REGULAR, 10, head_width)
        w.y -= 4
        w.line(
            t("Scan the QR code: the page says whether this certificate exists and is unaltered."),
            REGULAR,
            8.5,
            head_width,
        )
        w.y = min(w.y, HEIGHT - MARGIN - QR_SIZE - 4 * mm)

        organisation, device = content["organisation"], content["device"]
        w.heading(t("Organisation"))
        w.line(organisation["name"], BOLD, 10)
        w.line(t("SIRET {siret}", siret=organisation["siret"]))
        w.heading(t("Device"))
        w.line(
            t(
                "{kind} {make} {model}, serial {serial}",
                kind=kind_name(lang, device["kind"]),
                make=device["make"],
                model=device["model"],
                serial=device["serial"],
            )
        )
        w.line(t("Asset tag {asset_tag}", asset_tag=device["asset_tag"]))
        report_id = content["report_id"]
        w.line(
            t("Disks from diagnostics report no. {report_id}", report_id=report_id)
            if report_id
            else t("No disk report")
        )

        if not content["disks"]:
            w.y -= 6
            w.line(t("The device has no storage: no erasure is needed."))
        for n, disk in enumerate(content["disks"], start=1):
            w.heading(t("Disk {n}: {model}", n=n, model=disk["model"] or t("unknown model")))
            w.field(t("Capacity"), capacity(lang, disk["capacity_bytes"]))
            w.field(t("Serial"), disk["serial"] or "—")
            if not disk["in_device"]:
                w.field(t("Presence"), t("no longer seen in the device at its latest diagnosis"))
            removal = disk["removal"]
            if removal is not None:
                w.field(
                    t("Removed from the device"),
                    removal_outcome(lang, removal["outcome"]) + " – " + _moment(lang, removal["removed_at"]),
                )
            erasure = disk["erasure"]
            if erasure is None:
                if removal is None:
                    w.field(t("Method"), t("No erasure recorded."))
                continue
            w.field(t("Method"), method_name(lang, erasure["method"]))
            w.field(t("Standard"), erasure["standard"].upper().replace("-", " ", 1))
            w.field(t("Tool"), " ".join(filter(None, [erasure["tool"], erasure["tool_version"]])))
            verified = t("verified") if erasure["verified"] else t("NOT verified")
            detail = erasure["verification_method"]
            w.field(t("Verification"), f"{verified} ({detail})" if detail else verified)
            w.field(t("Operator"), erasure["operator"] or t("not recorded"))
            evidence = erasure.get("evidence")
            if evidence is not None:
                verdict = evidence["outcome"] or "—"
                w.field(t("Evidence (the tool's log)"), f"{evidence['filename'] or evidence['format']} – {verdict}")
                w.field(t("SHA-256 of the evidence"), evidence["sha256"])
            w.field(
                t("Start – end"),
                f"{_moment(lang, erasure['started_at'])} – {_moment(lang, erasure['finished_at'])}",
            )

        w.y -= 8
        w.need(60)
        w.line(
            t("Complete: every disk has a verified erasure or a recorded removal.")
            if content["complete"]
            else t("INCOMPLETE: some disks have neither a verified erasure nor a recorded removal."),
            BOLD,
            11,
        )
        w.y -= 8
        w.line(t("Digest (HMAC-SHA-256) of the content"), BOLD, 8.5)
        w.line(" ".join(digest[i : i + 8] for i in range(0, len(digest), 8)), MONO, 8.5)
        w.line(t("Verify this certificate: {url}", url=verify_url.split("?")[0]), REGULAR, 8.5)
        w.end_page()
    return out.getvalue()
