"""Invoices of invoice orders and credit notes of cancelled or returned ones, as A4 PDF in French
(English on request), with the mentions French law asks of an invoice between businesses (CGI
art. 242 nonies A; Code de commerce L441-9, L441-10, D441-5).

The order's amount is what the buyer pays, all taxes included. What the invoice says about VAT
follows the seller's regime (``Organisation.vat_regime``):

* ``standard``: 20 % VAT, shown: excl. VAT = round(amount / 1.2), VAT = the rest;
* ``margin``: second-hand goods under the margin scheme (CGI art. 297 A): no VAT shown, the
  mention "TVA sur la marge" (the buyer cannot deduct it);
* ``not_liable``: no VAT ("TVA non applicable, article 293 B du CGI").

The seller's intra-EU VAT number (not for ``not_liable``) is derived from its SIREN the way the
French administration assigns them: FR + key + SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session

from marketplace.devices.models import Device
from marketplace.documents.i18n import date, money, text
from marketplace.documents.pdf import A4, BOLD, REGULAR, document, mm, wrap
from marketplace.errors import NotFound
from marketplace.members.access import Principal
from marketplace.members.models import Organisation, VatRegime
from marketplace.orders import service as orders
from marketplace.orders.models import Order, PaymentStatus

STANDARD_RATE_PCT = 20
WIDTH, HEIGHT = A4
MARGIN = 18 * mm


@dataclass(frozen=True)
class Totals:
    excl_vat_cents: int
    vat_cents: int
    total_cents: int
    rate_pct: int | None  # None: no VAT shown (margin scheme, not liable)


def totals(amount_cents: int, regime: VatRegime) -> Totals:
    if regime is VatRegime.STANDARD:
        excl = round(amount_cents * 100 / (100 + STANDARD_RATE_PCT))
        return Totals(excl, amount_cents - excl, amount_cents, STANDARD_RATE_PCT)
    return Totals(amount_cents, 0, amount_cents, None)


def vat_number(siret: str) -> str:
    siren = int(siret[:9])
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siret[:9]}"


@dataclass(frozen=True)
class InvoiceDoc:
    order: Order
    seller: Organisation
    buyer: Organisation
    device: Device
    credit_note: bool

    @property
    def number(self) -> str:
        number = self.order.credit_note_number if self.credit_note else self.order.invoice_number
        assert number is not None
        return number


def _load(session: Session, principal: Principal | None, order_id: int, *, credit_note: bool) -> InvoiceDoc:
    # The JSON invoice's rule: buyer, seller and staff; an order paid otherwise has none.
    orders.invoice_document(session, principal, order_id)
    order = orders.get_order(session, principal, order_id)
    if credit_note and order.credit_note_number is None:
        raise NotFound("This order has no credit note (its invoice was not cancelled).")
    seller = session.get(Organisation, order.seller_organisation_id)
    buyer = session.get(Organisation, order.buyer_organisation_id)
    device = session.get(Device, order.device_id)
    assert seller is not None and buyer is not None and device is not None
    return InvoiceDoc(order, seller, buyer, device, credit_note)


def invoice(session: Session, principal: Principal | None, order_id: int) -> InvoiceDoc:
    return _load(session, principal, order_id, credit_note=False)


def credit_note(session: Session, principal: Principal | None, order_id: int) -> InvoiceDoc:
    return _load(session, principal, order_id, credit_note=True)


def _party_lines(org: Organisation, lang: str, *, with_vat: bool) -> list[str]:
    lines = [org.name]
    if org.address:
        lines.append(org.address)
    lines.append(" ".join(filter(None, [org.postcode, org.city])))
    lines.append(text(lang, "SIRET: {siret}", siret=org.siret))
    if with_vat:
        lines.append(text(lang, "EU VAT number: {vat}", vat=vat_number(org.siret)))
    return lines


def render(doc: InvoiceDoc, lang: str) -> bytes:
    order, seller, buyer = doc.order, doc.seller, doc.buyer
    t = partial(text, lang)
    kind = t("Credit note") if doc.credit_note else t("Invoice")
    sign = -1 if doc.credit_note else 1
    # A credit note gives back what the seller accepted (less than the invoice for a missing accessory).
    cents = order.credit_note_cents if doc.credit_note and order.credit_note_cents is not None else order.amount_cents
    amounts = totals(cents, seller.vat_regime)
    out = io.BytesIO()
    with document(out, title=f"{kind} {doc.number}", lang=lang) as c:
        y = HEIGHT - MARGIN
        c.setFont(BOLD, 20)
        c.drawString(MARGIN, y - 20, kind.upper())
        c.setFont(BOLD, 11)
        c.drawRightString(WIDTH - MARGIN, y - 12, t("{kind} no. {number}", kind=kind, number=doc.number))
        c.setFont(REGULAR, 9.5)
        facts = []
        if doc.credit_note:
            assert order.credit_note_issued_on is not None and order.invoice_issued_on is not None
            facts.append(t("Issued on: {date}", date=date(lang, order.credit_note_issued_on)))
            facts.append(
                t(
                    "Cancels invoice no. {number} of {date}",
                    number=order.invoice_number,
                    date=date(lang, order.invoice_issued_on),
                )
            )
        else:
            assert order.invoice_issued_on is not None and order.invoice_due_on is not None
            facts.append(t("Issued on: {date}", date=date(lang, order.invoice_issued_on)))
            facts.append(t("Date of sale: {date}", date=date(lang, order.created_at.date())))
            facts.append(t("Due on: {date}", date=date(lang, order.invoice_due_on)))
        facts.append(t("Order no. {order}", order=order.id))
        fy = y - 28
        for fact in facts:
            c.drawRightString(WIDTH - MARGIN, fy, fact)
            fy -= 12.5

        # Parties, side by side.
        top = min(fy, y - 30) - 18
        column = (WIDTH - 2 * MARGIN) / 2
        for index, (title, org, with_vat) in enumerate(
            [
                (t("Seller"), seller, seller.vat_regime is not VatRegime.NOT_LIABLE),
                (t("Buyer"), buyer, False),
            ]
        ):
            x = MARGIN + index * column
            c.setFont(BOLD, 8.5)
            c.setFillGray(0.35)
            c.drawString(x, top, title.upper())
            c.setFillGray(0)
            py = top - 14
            for n, line in enumerate(_party_lines(org, lang, with_vat=with_vat)):
                c.setFont(BOLD if n == 0 else REGULAR, 10 if n == 0 else 9.5)
                for part in wrap(line, REGULAR, 9.5, column - 8 * mm):
                    c.drawString(x, py, part)
                    py -= 12.5

        # Lines.
        y = top - 110
        margin_scheme = amounts.rate_pct is None
        columns = [
            (t("Description"), MARGIN, "l"),
            (t("Qty"), MARGIN + 95 * mm, "r"),
            (t("Unit price") if margin_scheme else t("Unit price excl. VAT"), MARGIN + 127 * mm, "r"),
            (t("VAT"), MARGIN + 142 * mm, "r"),
            (t("Total") if margin_scheme else t("Total excl. VAT"), WIDTH - MARGIN, "r"),
        ]
        c.setFillGray(0.93)
        c.rect(MARGIN - 2, y - 5, WIDTH - 2 * MARGIN + 4, 17, fill=1, stroke=0)
        c.setFillGray(0)
        c.setFont(BOLD, 8.5)
        for label, x, align in columns:
            (c.drawString if align == "l" else c.drawRightString)(x, y, label)
        y -= 20
        device = doc.device
        c.setFont(REGULAR, 9.5)
        description = t(
            "Used {make} {model} (asset {asset_tag})", make=device.make, model=device.model, asset_tag=device.asset_tag
        )
        parts = wrap(description, REGULAR, 9.5, 90 * mm)
        unit = sign * amounts.excl_vat_cents
        values = ["1", money(lang, unit, order.currency), f"{amounts.rate_pct} %" if amounts.rate_pct else "—"]
        for (_, x, _), value in zip(columns[1:4], values, strict=True):
            c.drawRightString(x, y, value)
        c.drawRightString(WIDTH - MARGIN, y, money(lang, unit, order.currency))
        for part in parts:
            c.drawString(MARGIN, y, part)
            y -= 12.5
        c.setStrokeGray(0.7)
        c.line(MARGIN, y + 2, WIDTH - MARGIN, y + 2)

        # Totals.
        y -= 16
        rows: list[tuple[str, int, bool]] = []
        if amounts.rate_pct is not None:
            rows += [
                (t("Total excl. VAT"), amounts.excl_vat_cents, False),
                (t("VAT {rate} %", rate=amounts.rate_pct), amounts.vat_cents, False),
                (t("Total incl. VAT"), amounts.total_cents, False),
            ]
        else:
            rows.append((t("Total"), amounts.total_cents, False))
        rows.append((t("Amount to refund") if doc.credit_note else t("Amount due"), amounts.total_cents, True))
        for label, cents, strong in rows:
            c.setFont(BOLD if strong else REGULAR, 11 if strong else 9.5)
            c.drawRightString(WIDTH - MARGIN - 35 * mm, y, label)
            c.drawRightString(WIDTH - MARGIN, y, money(lang, sign * cents, order.currency))
            y -= 15

        # Mentions.
        y -= 10
        mentions = [t("Type of transaction: supply of goods")]
        if seller.vat_regime is VatRegime.MARGIN:
            mentions.append(t("Margin scheme – second-hand goods: VAT on the margin, article 297 A of the CGI."))
        elif seller.vat_regime is VatRegime.NOT_LIABLE:
            mentions.append(t("VAT not applicable, article 293 B of the CGI."))
        if doc.credit_note:
            mentions.append(t("The credit note's amount is refunded to the buyer or set against a future invoice."))
        else:
            assert order.invoice_issued_on is not None and order.invoice_due_on is not None
            days = (order.invoice_due_on - order.invoice_issued_on).days
            mentions.append(
                t(
                    "Payment terms: bank transfer within {days} days, by {date} at the latest.",
                    days=days,
                    date=date(lang, order.invoice_due_on),
                )
            )
            if order.payment_status is PaymentStatus.PAID and order.paid_at is not None:
                mentions.append(t("Paid on {date}.", date=date(lang, order.paid_at.date())))
            mentions += [
                t("No discount for early payment."),
                t(
                    "Late payment: penalties at the ECB's most recent refinancing rate plus 10 points (article L441-10 "
                    "of the French Commercial Code) and a fixed recovery fee of €40 (article D441-5)."
                ),
            ]
        for mention in mentions:
            for part in wrap(mention, REGULAR, 9, WIDTH - 2 * MARGIN):
                c.setFont(REGULAR, 9)
                c.drawString(MARGIN, y, part)
                y -= 11.5
            y -= 3
        c.setFont(REGULAR, 7.5)
        c.setFillGray(0.35)
        c.drawString(MARGIN, MARGIN - 6 * mm, t("Document drawn up by the Relife platform on behalf of the seller."))
        c.drawRightString(WIDTH - MARGIN, MARGIN - 6 * mm, t("Page {page}", page=1))
    return out.getvalue()


def filename(doc: InvoiceDoc) -> str:
    prefix = "avoir" if doc.credit_note else "facture"
    return f"{prefix}-{doc.number}.pdf"
