"""Photo fixtures: real image files made with Pillow, the listing world, and the two storages."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageCms
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import TestResponse, encode_multipart

from tests.marketplace.listings.conftest import MakeDevice, World, make_device, world

__all__ = ["make_device", "world"]

#: Where the GPS EXIF of ``jpeg_with_gps`` puts the camera: a place no re-encoded file may name.
GPS_LATITUDE = (45.0, 45.0, 31.41)
CAMERA_SERIAL = "CAMERA-SERIAL-4242"


def jpeg_with_gps(size: tuple[int, int] = (640, 480), *, orientation: int = 1) -> bytes:
    """A phone-like JPEG: GPS position, camera make and serial, an orientation tag, an sRGB ICC
    profile, an XMP packet and a comment."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1] // 4))  # a blue band at the top left
    exif = Image.Exif()
    exif[0x010F] = "RelifePhone"  # Make
    exif[0x0112] = orientation  # Orientation
    exif[0xA431] = CAMERA_SERIAL  # BodySerialNumber (Exif IFD tag, fine in IFD0 for the test)
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = (4.0, 50.0, 0.0)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description GPSLatitude="45,45.31N"/></rdf:RDF></x:xmpmeta>'
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=icc, xmp=xmp, comment=b"shot at home, 12 rue X", quality=90)
    return out.getvalue()


def png(size: tuple[int, int] = (300, 200), mode: str = "RGBA", **text: str) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 10, 128) if mode == "RGBA" else (10, 200, 10)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def webp(size: tuple[int, int] = (320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 90, 200)).save(out, "WEBP", quality=80)
    return out.getvalue()


def gif(size: tuple[int, int] = (40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("P", size).save(out, "GIF")
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb: its
    data is one compressed run of zeros, far too short, never meant to be decoded)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    data = zlib.compress(b"\x00" * 65536, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def post_multipart(
    client: FlaskClient, url: str, headers: dict[str, str], *files: tuple[bytes, str], **fields: str
) -> TestResponse:
    """POST a multipart body: each file in the field ``files``, plus form fields. Encoded here in
    memory (werkzeug's test client spools large bodies to temporary files it leaves open)."""
    values = MultiDict([*fields.items()])
    for content, name in files:
        values.add("files", FileStorage(io.BytesIO(content), filename=name, content_type="application/octet-stream"))
    boundary, body = encode_multipart(values)
    return client.post(url, data=body, headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})


def stored_files(app: Flask) -> list[str]:
    """Every blob in the test's local media folder (relative paths), sorted."""
    root = Path(app.config["RELIFE"].media_root)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def listing(client: FlaskClient, world: World, make_device: MakeDevice) -> dict[str, Any]:
    """An active members-only sale listing of the seller organisation."""
    device = make_device(world.seller_org["id"])
    response = client.post(
        "/api/v1/listings",
        json={"device_id": device.id, "mode": "sale", "price_cents": 20000},
        headers=world.lister.headers,
    )
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json
    return body


@pytest.fixture
def public_listing(client: FlaskClient, world: World, make_device: MakeDevice) -> dict[str, Any]:
    device = make_device(world.seller_org["id"])
    response = client.post(
        "/api/v1/listings",
        json={"device_id": device.id, "mode": "sale", "price_cents": 15000, "visibility": "public"},
        headers=world.lister.headers,
    )
    assert response.status_code == 201, response.json
    body: dict[str, Any] = response.json
    return body


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 on 127.0.0.1 (a free port): the endpoint URL, with a bucket ``relife-photos``."""
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="eu-west-3", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket="relife-photos", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    yield endpoint
    server.stop()


@pytest.fixture
def s3_env(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The usual AWS variables, as a deployment sets them (boto3 reads them)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    return s3_server
