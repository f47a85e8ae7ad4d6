"""Condition photos: uploaded unattached by an organisation, claimed once by a return or an
inspection (``media.service.claim``); and both storage backends, S3 through a local server."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.media import service
from marketplace.media.models import Photo, PhotoPurpose
from marketplace.media.storage import BlobMissing, LocalStorage, S3Storage, Storage, storage_from_settings
from marketplace.members.service import authenticate
from marketplace.uploads import UploadedFile
from tests.marketplace.listings.conftest import World
from tests.marketplace.media.conftest import jpeg_with_gps, png, post_multipart, stored_files

TEXT = b"not a photo"


def upload_condition(client: FlaskClient, headers: dict[str, str], *files: tuple[bytes, str], **fields: str) -> Any:
    return post_multipart(client, "/api/v1/photos", headers, *files, **{"purpose": "condition", **fields})


def principal_of(session: Session, token: str) -> Any:
    return authenticate(session, token)


def test_a_member_uploads_condition_photos_that_only_its_organisation_reads(
    client: FlaskClient, app: Flask, world: World
) -> None:
    response = upload_condition(client, world.buyer.headers, (jpeg_with_gps(), "scratch.jpg"), (png(), "box.png"))
    assert response.status_code == 201, response.json
    items = response.json["items"]
    assert all(p["purpose"] == "condition" and p["attached_type"] is None for p in items)
    assert all(p["organisation_id"] == world.buyer_org["id"] for p in items)
    assert items[0]["url"] == f"/api/v1/photos/{items[0]['id']}"
    assert len(stored_files(app)) == 4

    mine = client.get(items[0]["url"], headers=world.buyer.headers)
    assert mine.status_code == 200 and mine.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(mine.data)) as image:
        assert "exif" not in image.info
    assert client.get(items[0]["thumbnail_url"], headers=world.buyer.headers).status_code == 200
    # Another organisation, a person without one, anonymous: nothing.
    assert client.get(items[0]["url"], headers=world.lister.headers).status_code == 404
    assert client.get(items[0]["url"], headers=world.loner.headers).status_code == 404
    assert client.get(items[0]["url"]).status_code == 401


def test_condition_uploads_are_refused_whole_and_need_an_organisation(
    client: FlaskClient, app: Flask, db_session: Session, world: World
) -> None:
    bad = upload_condition(client, world.buyer.headers, (png(), "ok.png"), (TEXT, "photo.jpg"))
    assert bad.status_code == 422 and bad.json["errors"] == {
        "files.2": ["photo.jpg: not an image (JPEG, PNG or WebP accepted)"]
    }
    # A person in no organisation has none to upload for; another's organisation is not theirs.
    assert upload_condition(client, world.loner.headers, (png(), "a.png")).status_code == 422
    foreign = upload_condition(
        client, world.buyer.headers, (png(), "a.png"), organisation_id=str(world.seller_org["id"])
    )
    assert foreign.status_code == 404
    assert upload_condition(client, {}, (png(), "a.png")).status_code == 401
    wrong_purpose = post_multipart(client, "/api/v1/photos", world.buyer.headers, (png(), "a.png"), purpose="listing")
    assert wrong_purpose.status_code == 422 and "purpose" in wrong_purpose.json["errors"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 0
    assert stored_files(app) == []


def test_claim_attaches_an_organisations_photos_once(client: FlaskClient, db_session: Session, world: World) -> None:
    ids = [
        p["id"] for p in upload_condition(client, world.buyer.headers, (png(), "a.png"), (png(), "b.png")).json["items"]
    ]
    buyer = principal_of(db_session, world.buyer.token)
    org = world.buyer_org["id"]
    ret = service.Attachment("return", 7)

    claimed = service.claim(db_session, buyer, ids, PhotoPurpose.CONDITION, ret, organisation_id=org)
    assert [p.id for p in claimed] == ids
    assert [p.id for p in service.attached_to(db_session, ret)] == ids

    # Attached once: neither to the same return again nor to an inspection.
    with pytest.raises(Conflict) as again:
        service.claim(
            db_session, buyer, ids[:1], PhotoPurpose.CONDITION, service.Attachment("inspection", 1), organisation_id=org
        )
    assert again.value.errors == {"photo_ids.0": [f"Photo {ids[0]} is already attached."]}


def test_claim_refuses_other_organisations_photos_unknown_ids_and_repeats_and_changes_nothing(
    client: FlaskClient, db_session: Session, world: World
) -> None:
    mine = upload_condition(client, world.buyer.headers, (png(), "a.png")).json["items"][0]["id"]
    theirs = upload_condition(client, world.lister.headers, (png(), "b.png")).json["items"][0]["id"]
    buyer = principal_of(db_session, world.buyer.token)
    org = world.buyer_org["id"]
    ret = service.Attachment("return", 8)

    with pytest.raises(ValidationFailed) as refused:
        service.claim(
            db_session, buyer, [mine, theirs, 999_999, mine], PhotoPurpose.CONDITION, ret, organisation_id=org
        )
    assert set(refused.value.errors) == {"photo_ids.1", "photo_ids.2", "photo_ids.3"}
    db_session.rollback()
    assert service.attached_to(db_session, ret) == []
    # Claiming for an organisation one is not in: as if it did not exist.
    with pytest.raises(NotFound):
        service.claim(db_session, buyer, [theirs], PhotoPurpose.CONDITION, ret, organisation_id=world.seller_org["id"])


def test_claim_refuses_a_listing_photo(
    client: FlaskClient, db_session: Session, world: World, listing: dict[str, Any]
) -> None:
    photo = post_multipart(
        client, f"/api/v1/listings/{listing['id']}/photos", world.lister.headers, (png(), "a.png")
    ).json["items"][0]
    lister = principal_of(db_session, world.lister.token)
    with pytest.raises(ValidationFailed) as refused:
        service.claim(
            db_session,
            lister,
            [photo["id"]],
            PhotoPurpose.CONDITION,
            service.Attachment("inspection", 3),
            organisation_id=world.seller_org["id"],
        )
    assert "listing photo" in refused.value.errors["photo_ids.0"][0]


# --- the two storage backends -----------------------------------------------------------------------


def _s3(endpoint: str, prefix: str = "") -> S3Storage:
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="eu-west-3", aws_access_key_id="test", aws_secret_access_key="test"
    )
    return S3Storage("relife-photos", client=client, prefix=prefix)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Any) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    return _s3(request.getfixturevalue("s3_server"), prefix="contract")


def test_every_backend_keeps_reads_and_deletes_blobs(backend: Storage) -> None:
    backend.put("photos/1/abc.jpg", b"\xff\xd8 bytes", "image/jpeg")
    assert backend.get("photos/1/abc.jpg") == b"\xff\xd8 bytes"
    backend.put("photos/1/abc.jpg", b"other", "image/jpeg")  # replaced whole
    assert backend.get("photos/1/abc.jpg") == b"other"
    backend.delete("photos/1/abc.jpg")
    backend.delete("photos/1/abc.jpg")  # deleting twice is not an error
    with pytest.raises(BlobMissing):
        backend.get("photos/1/abc.jpg")
    for bad_key in ("../etc/passwd", "/abs", "photos/../x", ""):
        with pytest.raises(ValueError, match="invalid storage key"):
            backend.put(bad_key, b"x", "image/jpeg")


def test_s3_is_chosen_from_the_environment_and_serves_the_api(
    client: FlaskClient, app: Flask, db_session: Session, world: World, listing: dict[str, Any], s3_env: str
) -> None:
    """The S3 path end to end: MEDIA_S3_* and the AWS variables, as a deployment sets them,
    against moto's S3 server on 127.0.0.1."""
    from marketplace.config import Config

    config = Config.from_env(
        {"MEDIA_S3_BUCKET": "relife-photos", "MEDIA_S3_ENDPOINT_URL": s3_env, "MEDIA_S3_PREFIX": "api-test"}
    )
    storage = storage_from_settings(
        instance_path=app.instance_path,
        root=config.media_root,
        s3_bucket=config.media_s3_bucket,
        s3_endpoint_url=config.media_s3_endpoint_url,
        s3_region=config.media_s3_region,
        s3_prefix=config.media_s3_prefix,
    )
    assert isinstance(storage, S3Storage)
    app.extensions["relife.media"] = storage

    created = post_multipart(
        client, f"/api/v1/listings/{listing['id']}/photos", world.lister.headers, (jpeg_with_gps(), "front.jpg")
    )
    assert created.status_code == 201, created.json
    photo = created.json["items"][0]
    key = db_session.scalar(sa.select(Photo.storage_key).where(Photo.id == photo["id"]))
    raw = storage.client.get_object(Bucket="relife-photos", Key=f"api-test/{key}")
    assert raw["ContentType"] == "image/jpeg"
    served = client.get(photo["url"], headers=world.lister.headers)
    assert served.status_code == 200 and served.data == raw["Body"].read()

    # A refused upload leaves nothing in the bucket; a deletion removes both blobs.
    listing_keys = {
        o["Key"] for o in storage.client.list_objects_v2(Bucket="relife-photos", Prefix="api-test/")["Contents"]
    }
    assert len(listing_keys) == 2
    refused = post_multipart(
        client, f"/api/v1/listings/{listing['id']}/photos", world.lister.headers, (png(), "ok.png"), (TEXT, "x.jpg")
    )
    assert refused.status_code == 422
    after = storage.client.list_objects_v2(Bucket="relife-photos", Prefix="api-test/")
    assert {o["Key"] for o in after["Contents"]} == listing_keys
    assert client.delete(photo["url"], headers=world.lister.headers).status_code == 204
    assert storage.client.list_objects_v2(Bucket="relife-photos", Prefix="api-test/").get("KeyCount") == 0


# --- blobs follow the transaction -------------------------------------------------------------------


def test_blobs_of_a_transaction_that_rolls_back_are_deleted_and_deletions_wait_for_the_commit(
    client: FlaskClient, db_session: Session, world: World, tmp_path: Any
) -> None:
    local = LocalStorage(tmp_path / "tx")
    buyer = principal_of(db_session, world.buyer.token)
    org = world.buyer_org["id"]

    def files() -> list[str]:
        return sorted(str(p.relative_to(local.root)) for p in local.root.rglob("*") if p.is_file())

    service.store(
        db_session,
        local,
        buyer,
        [UploadedFile("a.png", "image/png", png())],
        PhotoPurpose.CONDITION,
        organisation_id=org,
    )
    assert len(files()) == 2
    db_session.rollback()  # whatever failed later in the request: the photo and its blobs go
    assert files() == []

    (kept,) = service.store(
        db_session,
        local,
        buyer,
        [UploadedFile("b.png", "image/png", png())],
        PhotoPurpose.CONDITION,
        organisation_id=org,
    )
    db_session.commit()
    assert len(files()) == 2
    service.delete(db_session, local, kept)
    assert len(files()) == 2  # not before the commit
    db_session.rollback()
    assert len(files()) == 2 and db_session.get(Photo, kept.id) is not None  # the deletion did not happen
    service.delete(db_session, local, db_session.get(Photo, kept.id))  # type: ignore[arg-type]
    db_session.commit()
    assert files() == []


def test_housekeeping_deletes_condition_photos_left_unattached_for_a_week(
    client: FlaskClient, app: Flask, db_session: Session, world: World, runner: Any
) -> None:
    import datetime as dt

    ids = [
        p["id"]
        for p in upload_condition(
            client, world.buyer.headers, (png(), "old.png"), (png(), "claimed.png"), (png(), "new.png")
        ).json["items"]
    ]
    buyer = principal_of(db_session, world.buyer.token)
    service.claim(
        db_session,
        buyer,
        ids[1:2],
        PhotoPurpose.CONDITION,
        service.Attachment("return", 1),
        organisation_id=world.buyer_org["id"],
    )
    week_ago = dt.datetime.now(dt.UTC) - service.UNCLAIMED_TTL - dt.timedelta(minutes=1)
    db_session.execute(sa.update(Photo).where(Photo.id.in_(ids[:2])).values(created_at=week_ago))
    db_session.commit()

    result = runner.invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "unattached condition photos deleted: 1" in result.output
    db_session.expire_all()
    assert [p for p in ids if db_session.get(Photo, p) is not None] == ids[1:]
    assert len(stored_files(app)) == 4
    assert "unattached condition photos deleted: 0" in runner.invoke(args=["housekeeping"]).output
