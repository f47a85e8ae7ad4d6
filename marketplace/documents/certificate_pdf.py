"""The erasure certificate as an A4 PDF, printed from the certificate's content (what its digest
seals), with a QR code to its public verification page."""

from __future__ import annotations

import datetime as dt
import io
from functools import partial
from typing import Any

from marketplace.documents.certificates import display_number
from marketplace.documents.i18n import capacity, date, kind_name, text
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
        self.canvas.drawRightString(WIDTH - MARGIN, MARGIN - 6 * mm, text(self.lang, "inv.page", page=self.page))
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
    with document(out, title=f"{t('cert.title')} {number}", lang=lang) as canvas:
        w = _Writer(canvas, lang, f"{t('cert.title')} · {t('cert.number', number=number)}")
        draw_qr(canvas, verify_url, WIDTH - MARGIN - QR_SIZE, HEIGHT - MARGIN - QR_SIZE, QR_SIZE)
        head_width = WIDTH - 2 * MARGIN - QR_SIZE - 6 * mm
        w.line(t("cert.title"), BOLD, 18, head_width)
        w.y -= 4
        w.line(t("cert.number", number=number), BOLD, 12, head_width)
        issued = dt.datetime.fromisoformat(content["issued_at"])
        w.line(t("cert.issued", date=date(lang, issued)), REGULAR, 10, head_width)
        w.y -= 4
        w.line(t("cert.verify_hint"), REGULAR, 8.5, head_width)
        w.y = min(w.y, HEIGHT - MARGIN - QR_SIZE - 4 * mm)

        organisation, device = content["organisation"], content["device"]
        w.heading(t("cert.organisation"))
        w.line(organisation["name"], BOLD, 10)
        w.line(t("cert.siret", siret=organisation["siret"]))
        w.heading(t("cert.device"))
        w.line(
            t(
                "cert.device_line",
                kind=kind_name(lang, device["kind"]),
                make=device["make"],
                model=device["model"],
                serial=device["serial"],
            )
        )
        w.line(t("cert.asset_tag", asset_tag=device["asset_tag"]))
        report_id = content["report_id"]
        w.line(t("cert.report", report_id=report_id) if report_id else t("cert.no_report"))

        if not content["disks"]:
            w.y -= 6
            w.line(t("cert.no_disk"))
        for n, disk in enumerate(content["disks"], start=1):
            w.heading(t("cert.disk", n=n, model=disk["model"] or t("cert.unknown_model")))
            w.field(t("cert.capacity"), capacity(lang, disk["capacity_bytes"]))
            w.field(t("cert.serial"), disk["serial"] or "—")
            if not disk["in_device"]:
                w.field(t("cert.in_device"), t("cert.not_in_device"))
            removal = disk["removal"]
            if removal is not None:
                w.field(
                    t("cert.removal"),
                    t(f"cert.removal.{removal['outcome']}") + " – " + _moment(lang, removal["removed_at"]),
                )
            erasure = disk["erasure"]
            if erasure is None:
                if removal is None:
                    w.field(t("cert.method"), t("cert.no_erasure"))
                continue
            w.field(t("cert.method"), text(lang, f"method.{erasure['method']}"))
            w.field(t("cert.standard"), erasure["standard"].upper().replace("-", " ", 1))
            w.field(t("cert.tool"), " ".join(filter(None, [erasure["tool"], erasure["tool_version"]])))
            verified = t("cert.verified") if erasure["verified"] else t("cert.not_verified")
            detail = erasure["verification_method"]
            w.field(t("cert.verification"), f"{verified} ({detail})" if detail else verified)
            w.field(t("cert.operator"), erasure["operator"] or t("cert.not_recorded"))
            evidence = erasure.get("evidence")
            if evidence is not None:
                verdict = evidence["outcome"] or "—"
                w.field(t("cert.evidence"), f"{evidence['filename'] or evidence['format']} – {verdict}")
                w.field(t("cert.evidence_sha256"), evidence["sha256"])
            w.field(
                t("cert.dates"),
                f"{_moment(lang, erasure['started_at'])} – {_moment(lang, erasure['finished_at'])}",
            )

        w.y -= 8
        w.need(60)
        w.line(t("cert.complete") if content["complete"] else t("cert.incomplete"), BOLD, 11)
        w.y -= 8
        w.line(t("cert.digest"), BOLD, 8.5)
        w.line(" ".join(digest[i : i + 8] for i in range(0, len(digest), 8)), MONO, 8.5)
        w.line(t("cert.verify_at", url=verify_url.split("?")[0]), REGULAR, 8.5)
        w.end_page()
    return out.getvalue()
