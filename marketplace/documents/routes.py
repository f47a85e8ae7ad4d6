"""Documents: labels, invoices and credit notes (API), and the public certificate verification page."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, render_template, request
from flask.views import MethodView
from webargs.fields import DelimitedList

from marketplace.api.context import current_principal, current_session
from marketplace.api.fields import MAX_ID
from marketplace.api.smorest import Blueprint, Schema
from marketplace.devices import service as devices
from marketplace.documents import certificates, invoices, labels
from marketplace.documents.certificate_pdf import render as render_certificate
from marketplace.documents.i18n import LANGUAGES, current_language, date, kind_name, text
from marketplace.errors import ValidationFailed

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Printable documents: labels, invoices")
pages = FlaskBlueprint("documents_pages", __name__, template_folder="templates")

PDF_DOC = {
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}
LANG_DOC = "Language of the document: fr (default) or en; without it, the Accept-Language header decides."


def base_url() -> str:
    configured: str | None = current_app.config["RELIFE"].public_base_url
    return (configured or request.host_url).rstrip("/")


def pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


class LangArgsSchema(Schema):
    lang = ma.fields.String(validate=ma.validate.OneOf(LANGUAGES), metadata={"description": LANG_DOC})


class LabelArgsSchema(LangArgsSchema):
    device_ids = DelimitedList(
        ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID)),
        validate=ma.validate.Length(max=labels.MAX_LABELS),
        metadata={"description": "Comma-separated ids of the organisation's devices, one label each, in this order"},
    )
    layout = ma.fields.Enum(
        labels.Layout,
        by_value=True,
        load_default=labels.Layout.SHEET,
        metadata={
            "description": "sheet: A4, 3 × 7 labels of 63.5 × 38.1 mm (L7160); single: one 62 × 29 mm label a page"
        },
    )


@blp.route("/organisations/<int:organisation_id>/labels.pdf")
class OrganisationLabels(MethodView):
    @blp.arguments(LabelArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The labels as PDF", **PDF_DOC}})
    @blp.alt_response(403, description="Not a member of this organisation")
    @blp.alt_response(422, description="No device_ids, or one is not a device of this organisation (none printed)")
    def get(self, args: dict[str, Any], organisation_id: int) -> Response:
        """Asset labels of chosen devices: asset tag, make and model, QR code of the device's page"""
        session, principal = current_session(), current_principal()
        devices.require_organisation_reader(principal, organisation_id)
        ids = args.get("device_ids") or []
        if not ids:
            raise ValidationFailed("Name the devices to label.", errors={"device_ids": ["At least one device id."]})
        chosen = devices.get_devices_of(session, principal, organisation_id, ids)
        data = labels.render(chosen, args["layout"], base_url(), current_language())
        return pdf_response(data, f"labels-{organisation_id}.pdf")


@blp.route("/orders/<int:order_id>/invoice.pdf")
class OrderInvoicePdf(MethodView):
    @blp.arguments(LangArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The invoice as PDF (French by default)", **PDF_DOC}})
    @blp.alt_response(404, description="No such order (or not yours), or not an invoice order")
    def get(self, _args: dict[str, Any], order_id: int) -> Response:
        """The invoice of an invoice order as PDF, with its legal mentions"""
        doc = invoices.invoice(current_session(), current_principal(), order_id)
        return pdf_response(invoices.render(doc, current_language()), invoices.filename(doc))


@blp.route("/orders/<int:order_id>/credit-note.pdf")
class OrderCreditNotePdf(MethodView):
    @blp.arguments(LangArgsSchema, location="query")
    @blp.doc(responses={"200": {"description": "The credit note as PDF (French by default)", **PDF_DOC}})
    @blp.alt_response(404, description="No such order (or not yours), or its invoice was not cancelled")
    def get(self, _args: dict[str, Any], order_id: int) -> Response:
        """The credit note (avoir) that cancels the invoice of a cancelled or returned invoice order"""
        doc = invoices.credit_note(current_session(), current_principal(), order_id)
        return pdf_response(invoices.render(doc, current_language()), invoices.filename(doc))


def certificate_pdf(device_id: int) -> Response:
    """The device's erasure certificate, issued (or the latest one, unchanged), as PDF."""
    secret = current_app.config["SECRET_KEY"]
    issued = certificates.issue(current_session(), current_principal(), device_id, secret)
    verify_url = f"{base_url()}/verify/{issued.row.number}?digest={issued.row.digest}"
    data = render_certificate(issued.content, issued.row.digest, verify_url, current_language())
    response = pdf_response(data, f"erasure-certificate-{device_id}.pdf")
    response.headers["X-Certificate-Number"] = issued.row.number
    return response


def _mask(serial: str | None) -> str:
    return serial[-4:] if serial else "—"


@pages.get("/verify/<string:number>")
def verify_page(number: str) -> tuple[str, int, dict[str, str]]:
    """Anyone: whether certificate ``number`` exists and matches what was issued (never a serial
    in full: its last four characters, to compare with the document)."""
    lang = current_language()
    result = certificates.verify(
        current_session(), number, current_app.config["SECRET_KEY"], request.args.get("digest")
    )
    status = 404 if result.verdict is certificates.Verdict.UNKNOWN else 200
    html = render_template(
        "documents/verify.html",
        lang=lang,
        other="en" if lang == "fr" else "fr",
        t=lambda key, **values: text(lang, key, **values),
        verdict=result.verdict.value,
        number=certificates.display_number(result.row.number) if result.row else number[:40],
        content=result.content,
        date=lambda value: date(lang, value),
        kind_name=lambda kind: kind_name(lang, kind),
        mask=_mask,
        issued_at=result.row.issued_at if result.row else None,
    )
    headers = {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        "Content-Language": lang,
        "Vary": "Accept-Language",
    }
    return html, status, headers
