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
from marketplace.documents.i18n import LANGUAGES, N_, current_language, date, kind_name, method_name, text
from marketplace.errors import NotFound, ValidationFailed
from marketplace.web import i18n as web_i18n

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Printable documents: labels, invoices")
pages = FlaskBlueprint("documents_pages", __name__, template_folder="templates")

PDF_DOC = {
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}
LANG_DOC = "Language of the document: fr (default) or en; without it, the Accept-Language header decides."


def base_url() -> str:
    configured: str | None = current_app.config["RELIFE"].public_url
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


class VerifyArgsSchema(Schema):
    digest = ma.fields.String(
        validate=ma.validate.Length(max=100),
        metadata={"description": "The digest printed on the document (the QR code carries it): must be the issued one"},
    )


class VerifiedDiskSchema(Schema):
    model = ma.fields.String(allow_none=True)
    serial_end = ma.fields.String(metadata={"description": "The serial's last four characters, to compare"})
    method = ma.fields.String(allow_none=True)
    standard = ma.fields.String(allow_none=True)
    verified = ma.fields.Boolean()


class VerifiedDeviceSchema(Schema):
    kind = ma.fields.String()
    make = ma.fields.String()
    model = ma.fields.String()


class VerificationSchema(Schema):
    number = ma.fields.String()
    verdict = ma.fields.String(
        metadata={
            "enum": [v.value for v in certificates.Verdict if v is not certificates.Verdict.UNKNOWN],
            "description": "valid; altered: the records changed since issue; mismatch: the digest given is not "
            "the issued one (the document was edited)",
        }
    )
    issued_at = ma.fields.AwareDateTime()
    organisation_name = ma.fields.String(allow_none=True)
    device = ma.fields.Nested(VerifiedDeviceSchema, allow_none=True)
    disks = ma.fields.List(ma.fields.Nested(VerifiedDiskSchema), allow_none=True)
    complete = ma.fields.Boolean(allow_none=True)


def _public_view(result: certificates.Verification) -> dict[str, Any]:
    """What anyone may learn of a certificate: never a serial in full, nor the operator."""
    assert result.row is not None
    content = result.content
    view: dict[str, Any] = {
        "number": result.row.number,
        "verdict": result.verdict.value,
        "issued_at": result.row.issued_at,
        "organisation_name": None,
        "device": None,
        "disks": None,
        "complete": None,
    }
    if content is not None:
        view["organisation_name"] = content["organisation"]["name"]
        view["device"] = {k: content["device"][k] for k in ("kind", "make", "model")}
        view["disks"] = [
            {
                "model": disk["model"],
                "serial_end": _mask(disk["serial"]),
                "method": disk["erasure"]["method"] if disk["erasure"] else None,
                "standard": disk["erasure"]["standard"] if disk["erasure"] else None,
                "verified": bool(disk["erasure"] and disk["erasure"]["verified"]),
            }
            for disk in content["disks"]
        ]
        view["complete"] = content["complete"]
    return view


@blp.route("/erasure-certificates/<string:number>")
class ErasureCertificateVerification(MethodView):
    @blp.arguments(VerifyArgsSchema, location="query")
    @blp.response(200, VerificationSchema)
    @blp.alt_response(404, description="No certificate has this number")
    def get(self, args: dict[str, Any], number: str) -> dict[str, Any]:
        """Anyone: whether an erasure certificate exists and matches what was issued (as /verify/<number>)"""
        result = certificates.verify(current_session(), number, current_app.config["SECRET_KEY"], args.get("digest"))
        if result.verdict is certificates.Verdict.UNKNOWN:
            raise NotFound("No certificate has this number.")
        return _public_view(result)


@blp.route("/devices/<int:device_id>/erasure-certificate.pdf")
class ErasureCertificatePdf(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The certificate as PDF, French by default (?lang=en or Accept-Language); "
                "private: it carries serials",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    @blp.alt_response(404, description="No such device (or not yours)")
    def get(self, device_id: int) -> Response:
        """The device's erasure certificate as a PDF: numbered, sealed by a digest, with a QR code to
        its public verification page /verify/<number> (issued now, or the latest one if unchanged)"""
        return certificate_pdf(device_id)


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


#: Each verdict's heading and explanation (messages of the site's catalogue).
VERDICTS: dict[str, tuple[str, str]] = {
    "valid": (
        N_("Valid certificate"),
        N_("This certificate was issued by Relife and matches the recorded erasures."),
    ),
    "altered": (
        N_("Certificate NOT valid"),
        N_("This number exists, but the recorded erasures no longer match what was issued: do not rely on it."),
    ),
    "mismatch": (
        N_("Digest mismatch"),
        N_(
            "This number exists, but the digest printed on your document is not the issued one: "
            "the document was altered."
        ),
    ),
    "unknown": (N_("Unknown certificate"), N_("No certificate has this number.")),
}


@pages.get("/verify/<string:number>")
def verify_page(number: str) -> Response:
    """Anyone: whether certificate ``number`` exists and matches what was issued (never a serial
    in full: its last four characters, to compare with the document). In the site's layout and
    language (the pages' rule), with the pages' Content-Security-Policy."""
    lang = current_language()
    result = certificates.verify(
        current_session(), number, current_app.config["SECRET_KEY"], request.args.get("digest")
    )
    status = 404 if result.verdict is certificates.Verdict.UNKNOWN else 200
    heading, detail = VERDICTS[result.verdict.value]
    html = render_template(
        "documents/verify.html",
        t=lambda message, **values: text(lang, message, **values),
        verdict=result.verdict.value,
        heading=heading,
        detail=detail,
        number=certificates.display_number(result.row.number) if result.row else number[:40],
        content=result.content,
        date=lambda value: date(lang, value),
        kind_name=lambda kind: kind_name(lang, kind),
        method_name=lambda method: method_name(lang, method),
        mask=_mask,
        issued_at=result.row.issued_at if result.row else None,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Language"] = lang
    # The verdict follows the records: a shared cache must ask again.
    response.headers["Cache-Control"] = "no-cache"
    return web_i18n.remember(response)
