"""Documents as people get them: the PDF's text, its QR codes read from a rendered image and
followed, the certificate's verification page, labels' access rules, invoices' legal mentions."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pypdf
import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from marketplace.config import Config
from marketplace.devices.models import Device
from marketplace.documents.models import ErasureCertificate
from marketplace.erasures.models import Erasure
from marketplace.http import PAGE_CSP
from marketplace.members.models import Organisation, VatRegime
from marketplace.orders.models import Order
from tests.api_helpers import return_accepted
from tests.factories import DeviceFactory
from tests.marketplace.reports.helpers import NVME_SERIAL
from tests.sweep.matrix_world import MatrixWorld, build


@pytest.fixture
def world(client: FlaskClient, db_session: Session) -> MatrixWorld:
    return build(client, db_session)


def pdf_text(data: bytes) -> str:
    """The text of every page, white space folded (lines wrap where the width says)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def qr_codes(data: bytes, page: int = 0) -> list[str]:
    """The QR codes of a page, read from a 200 dpi rendering (as a phone camera would see it)."""
    document = pypdfium2.PdfDocument(data)
    image = document[page].render(scale=200 / 72).to_pil()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def follow(client: FlaskClient, url: str) -> tuple[int, str]:
    parts = urlsplit(url)
    assert parts.scheme == "http" and parts.netloc == "localhost", url
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    return response.status_code, response.get_data(as_text=True)


def verdict(html: str) -> str:
    found = re.search(r'data-verdict="(\w+)"', html)
    assert found, html
    return found.group(1)


def test_certificate_pdf_carries_its_number_disks_and_a_qr_code_that_verifies(
    client: FlaskClient, db_session: Session, world: MatrixWorld
) -> None:
    device_id = world.ids["device"]
    url = f"/api/v1/devices/{device_id}/erasure-certificate.pdf"
    response = client.get(url, headers=world.a.member.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    number = response.headers["X-Certificate-Number"]
    row = db_session.query(ErasureCertificate).filter_by(number=number).one()
    text = pdf_text(response.data)
    shown = f"{number[:4]}-{number[4:8]}-{number[8:]}"
    for mention in (
        "Certificat d'effacement des données",
        f"Certificat n° {shown}",
        "MXDEV001",  # the device's serial
        NVME_SERIAL,
        "INTEL SSDPEKNW010T8",
        "purge",
        "NIST SP-800-88-R1",
        "nvme-cli sanitize",
        "Complet : chaque disque a un effacement vérifié ou un retrait enregistré.",
        row.digest[:8],
    ):
        assert mention in text, mention

    # The QR code opens the verification page with the digest: "valid".
    [link] = qr_codes(response.data)
    assert link == f"http://localhost/verify/{number}?digest={row.digest}"
    status, html = follow(client, link)
    assert (status, verdict(html)) == (200, "valid")
    assert NVME_SERIAL not in html and NVME_SERIAL[-4:] in html  # the end of the serial, to compare
    assert f'href="/verify/{number}?digest={row.digest}&amp;lang=en"' in html  # the switch keeps the digest
    api = client.get(f"/api/v1/erasure-certificates/{number}?digest={row.digest}")
    assert api.status_code == 200
    assert api.json["verdict"] == "valid" and api.json["complete"] is True
    assert api.json["disks"] == [
        {"model": "INTEL SSDPEKNW010T8", "serial_end": NVME_SERIAL[-4:], "method": "purge",
         "standard": "nist-sp-800-88-r1", "verified": True}
    ]  # fmt: skip
    assert NVME_SERIAL not in api.get_data(as_text=True) and "MXDEV001" not in api.get_data(as_text=True)

    # Unchanged records: the same certificate again; English on request.
    again = client.get(url + "?lang=en", headers=world.a.member.headers)
    assert again.headers["X-Certificate-Number"] == number
    assert "Data erasure certificate" in pdf_text(again.data)

    # A document whose printed digest was changed does not verify; nor an unknown number.
    status, html = follow(client, f"http://localhost/verify/{number}?digest={'0' * 64}")
    assert (status, verdict(html)) == (200, "mismatch")
    status, html = follow(client, "http://localhost/verify/ABCDEFGHJKMN")
    assert (status, verdict(html)) == (404, "unknown")

    # A record altered after issue (the disk's serial in the database): the certificate is refused.
    erasure = db_session.get(Erasure, world.ids["erasure"])
    assert erasure is not None
    erasure.disk_serial = "FORGED0001"
    db_session.flush()
    status, html = follow(client, link)
    assert (status, verdict(html)) == (200, "altered")
    api = client.get(f"/api/v1/erasure-certificates/{number}")
    assert (api.json["verdict"], api.json["disks"]) == ("altered", None)
    assert client.get("/api/v1/erasure-certificates/ABCDEFGHJKMN").status_code == 404
    # ...and the next download issues a new certificate for what is recorded now.
    fresh = client.get(url, headers=world.a.member.headers)
    assert fresh.headers["X-Certificate-Number"] != number
    assert verdict(follow(client, qr_codes(fresh.data)[0])[1]) == "valid"

    assert client.get(url, headers=world.b.admin.headers).status_code == 404


def test_verify_page_speaks_french_first_then_english(client: FlaskClient, world: MatrixWorld) -> None:
    response = client.get(
        f"/api/v1/devices/{world.ids['device']}/erasure-certificate.pdf", headers=world.a.member.headers
    )
    number = response.headers["X-Certificate-Number"]
    french = client.get(f"/verify/{number}").get_data(as_text=True)
    assert '<html lang="fr">' in french and "Certificat valide" in french
    english = client.get(f"/verify/{number}", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Valid certificate" in english
    assert "Certificat valide" in client.get(f"/verify/{number}?lang=fr", headers={"Accept-Language": "en"}).text


def test_verify_page_is_a_page_of_the_site(client: FlaskClient, world: MatrixWorld) -> None:
    """The site's layout (title, skip link, switch), its CSP, and its language rule (the switch's cookie)."""
    response = client.get(
        f"/api/v1/devices/{world.ids['device']}/erasure-certificate.pdf", headers=world.a.member.headers
    )
    number = response.headers["X-Certificate-Number"]
    page = client.get(f"/verify/{number}")
    html = page.get_data(as_text=True)
    assert page.mimetype == "text/html" and page.headers["Content-Security-Policy"] == PAGE_CSP
    assert " style=" not in html and "<style" not in html and "<script" not in html  # nothing the CSP blocks
    assert 'href="/assets/site.css"' in html and 'class="skip" href="#main"' in html
    assert "<title>Vérification d&#39;un certificat d&#39;effacement" in html and "· Relife</title>" in html
    assert 'hreflang="en"' in html and f"/verify/{number}?lang=en" in html
    # The switch is remembered, as on the other pages: then English although the browser prefers French.
    switched = client.get(f"/verify/{number}?lang=en", headers={"Accept-Language": "fr"})
    assert "lang=en" in switched.headers["Set-Cookie"] and "Valid certificate" in switched.text
    assert "Valid certificate" in client.get(f"/verify/{number}", headers={"Accept-Language": "fr"}).text
    client.get(f"/verify/{number}?lang=fr")

    unknown = client.get("/verify/ABCDEFGHJKMN")
    assert unknown.status_code == 404 and unknown.headers["Content-Security-Policy"] == PAGE_CSP
    assert verdict(unknown.text) == "unknown" and "Certificat inconnu" in unknown.text
    assert 'class="verify error"' in unknown.text and 'class="status">404<' in unknown.text


def test_label_sheet_and_single_labels_carry_tags_and_device_page_qr_codes(
    client: FlaskClient, db_session: Session, world: MatrixWorld
) -> None:
    ids = [world.ids["device"], world.ids["device_members"], world.ids["device_public"]]
    devices = [db_session.get(Device, i) for i in ids]
    url = f"/api/v1/organisations/{world.a.id}/labels.pdf?device_ids={','.join(map(str, ids))}"
    sheet = client.get(url, headers=world.a.member.headers)
    assert sheet.status_code == 200, sheet.get_data(as_text=True)
    reader = pypdf.PdfReader(io.BytesIO(sheet.data))
    assert len(reader.pages) == 1
    assert [round(float(v) / 72 * 25.4) for v in reader.pages[0].mediabox[2:]] == [210, 297]
    text = pdf_text(sheet.data)
    for device in devices:
        assert device is not None
        assert device.asset_tag in text and device.model in text
    wanted = {f"http://localhost/d/{d.public_code}" for d in devices if d is not None}
    assert set(qr_codes(sheet.data)) == wanted

    single = client.get(url + "&layout=single&lang=en", headers=world.a.lister.headers)
    assert single.status_code == 200
    pages = pypdf.PdfReader(io.BytesIO(single.data)).pages
    assert len(pages) == 3
    assert [round(float(v) / 72 * 25.4) for v in pages[0].mediabox[2:]] == [62, 29]
    assert {code for page in range(3) for code in qr_codes(single.data, page)} == wanted
    assert "Scan for its page" in pdf_text(single.data)


def test_labels_follow_the_devices_access_rules_and_print_all_or_nothing(
    client: FlaskClient, db_session: Session, world: MatrixWorld
) -> None:
    a = world.a.id
    own = world.ids["device"]
    b_device = DeviceFactory.in_session(db_session, organisation_id=world.b.id)
    base = f"/api/v1/organisations/{a}/labels.pdf"
    refused = client.get(f"{base}?device_ids={own},{b_device.id},999999", headers=world.a.admin.headers)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert f"{b_device.id}, 999999" in refused.json["detail"]
    assert client.get(f"{base}?device_ids={own}", headers=world.b.admin.headers).status_code == 403
    assert (
        client.get(
            f"/api/v1/organisations/{world.b.id}/labels.pdf?device_ids={b_device.id}", headers=world.a.admin.headers
        ).status_code
        == 403
    )
    assert client.get(f"{base}?device_ids={own}").status_code == 401
    assert client.get(base, headers=world.a.admin.headers).status_code == 422
    assert client.get(f"{base}?device_ids={own}&layout=roll", headers=world.a.admin.headers).status_code == 422


def _seller(db_session: Session, world: MatrixWorld) -> Organisation:
    order = db_session.get(Order, world.ids["order"])
    assert order is not None
    seller = db_session.get(Organisation, order.seller_organisation_id)
    assert seller is not None
    return seller


@pytest.mark.parametrize(
    ("regime", "mentions", "absent"),
    [
        (
            VatRegime.STANDARD,
            ["Total HT", "166,67 €", "TVA 20 %", "33,33 €", "Total TTC", "N° TVA intracommunautaire"],
            # The articles by name: a bare "297 A" also matches a SIRET or number ending in 297
            # followed by a word in A (the parties' data differ from run to run).
            ["article 297 A", "article 293 B"],
        ),
        (
            VatRegime.MARGIN,
            ["TVA sur la marge – article 297 A du CGI", "N° TVA intracommunautaire"],
            ["TVA 20 %", "article 293 B"],
        ),
        (
            VatRegime.NOT_LIABLE,
            ["TVA non applicable, article 293 B du CGI"],
            ["TVA 20 %", "article 297 A", "N° TVA intracommunautaire"],
        ),
    ],
)
def test_invoice_pdf_says_what_the_sellers_vat_regime_calls_for(
    client: FlaskClient,
    db_session: Session,
    world: MatrixWorld,
    regime: VatRegime,
    mentions: list[str],
    absent: list[str],
) -> None:
    seller = _seller(db_session, world)
    seller.vat_regime = regime
    db_session.flush()
    order = db_session.get(Order, world.ids["order"])
    assert order is not None and order.invoice_number and order.invoice_due_on
    buyer = db_session.get(Organisation, order.buyer_organisation_id)
    assert buyer is not None
    response = client.get(f"/api/v1/orders/{order.id}/invoice.pdf", headers=world.buyer.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Disposition"] == f'attachment; filename="facture-{order.invoice_number}.pdf"'
    text = pdf_text(response.data)
    common = [
        "FACTURE",
        f"Facture n° {order.invoice_number}",
        f"Date d'échéance : {order.invoice_due_on.strftime('%d/%m/%Y')}",
        seller.name,
        f"SIRET : {seller.siret}",
        buyer.name,
        f"SIRET : {buyer.siret}",
        "Net à payer",
        "200,00 €",
        "pénalités de retard",
        "indemnité forfaitaire pour frais de recouvrement de 40 €",
        "Pas d'escompte pour paiement anticipé.",
    ]
    for mention in common + mentions:
        assert mention in text, mention
    for mention in absent:
        assert mention not in text, mention


def test_a_cancelled_invoice_gets_a_numbered_credit_note(
    client: FlaskClient, db_session: Session, world: MatrixWorld
) -> None:
    order_id = world.ids["order"]
    url = f"/api/v1/orders/{order_id}/credit-note.pdf"
    assert client.get(url, headers=world.buyer.headers).status_code == 404
    last = max(db_session.scalars(sa.select(Order.invoice_number).where(Order.invoice_number.is_not(None))))
    assert client.post(f"/api/v1/orders/{order_id}/cancel", headers=world.buyer.headers).status_code == 200
    order = db_session.get(Order, order_id)
    assert order is not None
    db_session.refresh(order)
    assert order.credit_note_number and order.invoice_number
    seen = client.get(f"/api/v1/orders/{order_id}", headers=world.buyer.headers).json
    assert seen["credit_note_number"] == order.credit_note_number
    year, sequence = last.rsplit("-", 2)[1:]
    assert order.credit_note_number == f"RLF-{year}-{int(sequence) + 1:06d}"  # the same gap-free sequence
    response = client.get(url, headers=world.a.lister.headers)
    assert response.status_code == 200
    text = pdf_text(response.data)
    for mention in ("AVOIR", f"Avoir n° {order.credit_note_number}", f"Annule la facture n° {order.invoice_number}",
                    "Montant à rembourser", "-200,00 €"):  # fmt: skip
        assert mention in text, mention
    english = pdf_text(client.get(url + "?lang=en", headers=world.buyer.headers).data)
    assert f"Credit note no. {order.credit_note_number}" in english


def test_a_returned_paid_invoice_gets_a_credit_note_to_refund(
    client: FlaskClient, db_session: Session, world: MatrixWorld
) -> None:
    order_id = world.ids["order"]
    assert client.post(f"/api/v1/orders/{order_id}/mark-paid", headers=world.staff.headers).status_code == 200
    paid = pdf_text(client.get(f"/api/v1/orders/{order_id}/invoice.pdf", headers=world.buyer.headers).data)
    assert "Payée le" in paid
    assert client.post(f"/api/v1/orders/{order_id}/handover", headers=world.a.lister.headers).status_code == 200
    returned = return_accepted(client, order_id, world.buyer, world.a.lister, reason="écran fêlé", refund_cents=15_000)
    assert returned["payment_status"] == "refund_due" and returned["refunded_cents"] == 15_000
    assert returned["credit_note_cents"] == 15_000
    # A partial credit note (the charger was missing): what the seller accepted, not the invoice.
    text = pdf_text(client.get(f"/api/v1/orders/{order_id}/credit-note.pdf", headers=world.buyer.headers).data)
    assert "Montant à rembourser -150,00 €" in text
    # The invoice itself stays as it was issued.
    assert client.get(f"/api/v1/orders/{order_id}/invoice.pdf", headers=world.buyer.headers).status_code == 200


def test_an_organisation_states_its_vat_regime_and_only_its_people_see_it(
    client: FlaskClient, world: MatrixWorld
) -> None:
    from tests.api_helpers import create_org, register

    dealer = register(client, "brocante")
    created = create_org(client, dealer, kind="refurbisher", vat_regime="margin")
    assert created["vat_regime"] == "margin"
    assert client.get(f"/api/v1/organisations/{created['id']}", headers=dealer.headers).json["vat_regime"] == "margin"
    assert "vat_regime" not in client.get(f"/api/v1/organisations/{created['id']}", headers=world.b.admin.headers).json
    wrong = client.post(
        "/api/v1/organisations",
        json={"name": "X", "kind": "company", "siret": "73282932000074", "postcode": "69007", "vat_regime": "zero"},
        headers=dealer.headers,
    )
    assert wrong.status_code == 422 and "vat_regime" in wrong.json["errors"]


def test_qr_codes_carry_the_configured_public_address(
    app: Flask, client: FlaskClient, db_session: Session, world: MatrixWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Config.from_env({"PUBLIC_URL": "https://relife.example.org/"}).public_url == ("https://relife.example.org")
    monkeypatch.setitem(app.config, "RELIFE", app.config["RELIFE"].replace(public_url="https://relife.example.org"))
    device = db_session.get(Device, world.ids["device"])
    assert device is not None
    url = f"/api/v1/organisations/{world.a.id}/labels.pdf?device_ids={device.id}&layout=single"
    label = client.get(url, headers=world.a.member.headers)
    assert qr_codes(label.data) == [f"https://relife.example.org/d/{device.public_code}"]
