"""Listing photos through the API: upload, list, serve, delete; refusals that store nothing;
who sees what."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from marketplace.media import images
from marketplace.media.models import Photo
from tests.marketplace.listings.conftest import World
from tests.marketplace.media.conftest import (
    GPS_LATITUDE,
    bomb_png,
    gif,
    jpeg_with_gps,
    png,
    post_multipart,
    stored_files,
    webp,
)

TEXT = b"Invoice 2024-17\nThis is a text file, not a photo.\n"


def photo_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(sa.select(sa.func.count()).select_from(Photo)) or 0


def post_photos(client: FlaskClient, listing_id: int, headers: dict[str, str], *files: tuple[bytes, str]) -> Any:
    return post_multipart(client, f"/api/v1/listings/{listing_id}/photos", headers, *files)


def test_a_lister_adds_photos_and_everyone_who_sees_the_listing_sees_them(
    client: FlaskClient, app: Flask, world: World, listing: dict[str, Any]
) -> None:
    response = post_photos(
        client, listing["id"], world.lister.headers, (jpeg_with_gps(), "IMG_0001.JPG"), (png(), "screen.png")
    )
    assert response.status_code == 201, response.json
    items = response.json["items"]
    assert [p["content_type"] for p in items] == ["image/jpeg", "image/png"]
    assert [p["filename"] for p in items] == ["IMG_0001.JPG", "screen.png"]
    assert all(p["purpose"] == "listing" and p["attached_type"] == "listing" for p in items)
    assert items[0]["url"] == f"/api/v1/listings/{listing['id']}/photos/{items[0]['id']}"
    assert len(stored_files(app)) == 4  # two photos, two thumbnails

    # The listing itself carries them (GET /listings/{id}), in upload order.
    card = client.get(f"/api/v1/listings/{listing['id']}", headers=world.buyer.headers).json
    assert [p["id"] for p in card["photos"]] == [p["id"] for p in items]
    assert card["photos"][0]["thumbnail_url"].endswith("/thumbnail")
    # The search's cards leave them to the listing (no query per card).
    page = client.get("/api/v1/listings", headers=world.buyer.headers).json
    assert all("photos" not in item for item in page["items"])

    listed = client.get(f"/api/v1/listings/{listing['id']}/photos", headers=world.buyer.headers)
    assert listed.status_code == 200 and [p["id"] for p in listed.json["items"]] == [p["id"] for p in items]

    # The bytes: the re-encoded JPEG, no GPS left; members-only listing: private caching.
    served = client.get(items[0]["url"], headers=world.buyer.headers)
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "no-store"  # with credentials: never kept by a cache
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.get_etag() == (items[0]["sha256"], False)
    with Image.open(io.BytesIO(served.data)) as image:
        assert not image.getexif().get_ifd(0x8825) and "exif" not in image.info
    assert str(GPS_LATITUDE[2]).encode() not in served.data
    thumbnail = client.get(items[0]["thumbnail_url"], headers=world.buyer.headers)
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.data)) as image:
        assert max(image.size) <= images.THUMBNAIL_EDGE

    # A revalidation with the ETag answers 304 without the bytes.
    again = client.get(items[0]["url"], headers={**world.buyer.headers, "If-None-Match": f'"{items[0]["sha256"]}"'})
    assert again.status_code == 304 and again.data == b""


def test_public_listing_photos_are_cacheable_by_anyone(
    client: FlaskClient, world: World, public_listing: dict[str, Any]
) -> None:
    photo = post_photos(client, public_listing["id"], world.lister.headers, (webp(), "front.webp")).json["items"][0]
    served = client.get(photo["url"])
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=3600"
    assert "Authorization" in served.headers["Vary"]
    assert client.get(photo["thumbnail_url"]).headers["Cache-Control"] == "public, max-age=3600"


def test_members_only_listing_photos_are_hidden_from_anonymous_callers_and_bench_tokens(
    client: FlaskClient, world: World, listing: dict[str, Any]
) -> None:
    photo = post_photos(client, listing["id"], world.lister.headers, (png(), "a.png")).json["items"][0]
    for headers in ({},):
        assert client.get(f"/api/v1/listings/{listing['id']}/photos", headers=headers).status_code == 404
        assert client.get(photo["url"], headers=headers).status_code == 404
        assert client.get(photo["thumbnail_url"], headers=headers).status_code == 404
    # A photo id under another listing's URL is not found either.
    other = f"/api/v1/listings/{listing['id'] + 1000}/photos/{photo['id']}"
    assert client.get(other, headers=world.lister.headers).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    # As for changing the listing's terms: who does not see the members-only listing gets 404,
    # who sees it without being its lister 403.
    [
        ("anonymous", 404),
        ("loner", 404),
        ("buyer", 403),
        ("seller_member", 403),
        ("seller_admin", 201),
        ("lister", 201),
    ],
)
def test_only_the_listing_organisations_listers_and_admins_add_photos(
    client: FlaskClient, app: Flask, db_session: Session, world: World, listing: dict[str, Any], who: str, status: int
) -> None:
    headers = {} if who == "anonymous" else getattr(world, who).headers
    response = post_photos(client, listing["id"], headers, (png(), "a.png"))
    assert response.status_code == status, response.json
    if status != 201:
        assert response.mimetype == "application/problem+json"
        assert photo_count(db_session) == 0 and stored_files(app) == []


def test_a_withdrawn_listings_photos_no_longer_change(
    client: FlaskClient, db_session: Session, world: World, listing: dict[str, Any]
) -> None:
    photo = post_photos(client, listing["id"], world.lister.headers, (png(), "a.png")).json["items"][0]
    assert client.delete(f"/api/v1/listings/{listing['id']}", headers=world.lister.headers).status_code == 200
    refused = post_photos(client, listing["id"], world.lister.headers, (png(), "b.png"))
    assert refused.status_code == 409
    assert client.delete(photo["url"], headers=world.lister.headers).status_code == 409
    assert photo_count(db_session) == 1


def test_deleting_a_photo_removes_its_row_and_its_blobs(
    client: FlaskClient, app: Flask, db_session: Session, world: World, listing: dict[str, Any]
) -> None:
    kept, gone = post_photos(
        client, listing["id"], world.lister.headers, (png(), "kept.png"), (png(), "gone.png")
    ).json["items"]
    assert client.delete(gone["url"], headers=world.buyer.headers).status_code == 403
    assert client.delete(gone["url"], headers=world.seller_member.headers).status_code == 403
    assert len(stored_files(app)) == 4

    assert client.delete(gone["url"], headers=world.lister.headers).status_code == 204
    assert client.get(gone["url"], headers=world.lister.headers).status_code == 404
    assert len(stored_files(app)) == 2
    assert [
        p["id"] for p in client.get(f"/api/v1/listings/{listing['id']}", headers=world.lister.headers).json["photos"]
    ] == [kept["id"]]


# --- refusals: named, and nothing stored ------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "status", "reason"),
    [
        ((TEXT, "holiday.jpg"), 422, "holiday.jpg: not an image"),
        ((gif(), "anim.gif"), 422, "anim.gif: a GIF image"),
        ((bomb_png(100_000, 100_000), "bomb.png"), 413, "bomb.png: "),
        ((bomb_png(9000, 9000), "huge.png"), 413, "huge.png: 9000×9000 pixels"),
        ((b"\xff\xd8\xff" + b"\x00" * images.MAX_FILE_BYTES, "big.jpg"), 413, "big.jpg: 10485763 bytes"),
    ],
    ids=["text-renamed-jpg", "gif", "decompression-bomb", "over-pixel-limit", "over-byte-limit"],
)
def test_one_bad_file_among_five_refuses_the_upload_naming_it_and_stores_nothing(
    client: FlaskClient,
    app: Flask,
    db_session: Session,
    world: World,
    listing: dict[str, Any],
    bad: tuple[bytes, str],
    status: int,
    reason: str,
) -> None:
    good = [(jpeg_with_gps(), f"good{n}.jpg") for n in range(2)]
    response = post_photos(
        client, listing["id"], world.lister.headers, *good, bad, (png(), "after.png"), (webp(), "w.webp")
    )
    assert response.status_code == status, response.json
    problem = response.json
    assert response.mimetype == "application/problem+json"
    assert list(problem["errors"]) == ["files.3"]
    assert problem["errors"]["files.3"][0].startswith(reason)
    assert bad[1] in problem["detail"] and "Nothing was stored" in problem["detail"]
    assert photo_count(db_session) == 0
    assert stored_files(app) == []
    assert client.get(f"/api/v1/listings/{listing['id']}", headers=world.lister.headers).json["photos"] == []


def test_too_many_files_or_none_are_refused(
    client: FlaskClient, app: Flask, db_session: Session, world: World, listing: dict[str, Any]
) -> None:
    many = [(png((20, 20)), f"p{n}.png") for n in range(images.MAX_FILES_PER_UPLOAD + 1)]
    response = post_photos(client, listing["id"], world.lister.headers, *many)
    assert response.status_code == 422 and "files" in response.json["errors"]
    empty = post_photos(client, listing["id"], world.lister.headers)
    assert empty.status_code == 422
    assert photo_count(db_session) == 0 and stored_files(app) == []


def test_a_storage_failure_midway_leaves_neither_rows_nor_blobs(
    client: FlaskClient, app: Flask, db_session: Session, world: World, listing: dict[str, Any]
) -> None:
    from marketplace.media.storage import LocalStorage, StorageUnavailable

    class FailingOnThird(LocalStorage):
        puts = 0

        def put(self, key: str, content: bytes, content_type: str) -> None:
            FailingOnThird.puts += 1
            if FailingOnThird.puts == 3:
                raise StorageUnavailable("disk full")
            super().put(key, content, content_type)

    app.extensions["relife.media"] = FailingOnThird(app.config["RELIFE"].media_root)
    response = post_photos(client, listing["id"], world.lister.headers, (png(), "a.png"), (png(), "b.png"))
    assert response.status_code == 503, response.json
    assert photo_count(db_session) == 0 and stored_files(app) == []


def test_the_device_page_shows_the_listing_photos_with_alt_text(
    client: FlaskClient, db_session: Session, world: World, public_listing: dict[str, Any]
) -> None:
    from marketplace.devices.models import Device

    photos = post_photos(
        client, public_listing["id"], world.lister.headers, (jpeg_with_gps((1200, 900)), "a.jpg"), (png(), "b.png")
    ).json["items"]
    code = db_session.get(Device, public_listing["device_id"]).public_code  # type: ignore[union-attr]
    page = client.get(f"/d/{code}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<a href="{photos[0]["url"]}"><img src="{photos[0]["thumbnail_url"]}" width="480" height="360"' in html
    assert 'alt="Photo 1 sur 2 : Lenovo ThinkPad T480"' in html
    assert 'alt="Photo 2 sur 2 : Lenovo ThinkPad T480"' in html
    english = client.get(f"/d/{code}", headers={"Accept": "text/html", "Accept-Language": "en"}).get_data(as_text=True)
    assert 'alt="Photo 1 of 2: Lenovo ThinkPad T480"' in english
    # Anonymous visitors fetch the thumbnails the page points at.
    assert client.get(photos[0]["thumbnail_url"]).status_code == 200
