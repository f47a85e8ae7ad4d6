"""Where photo bytes are kept: a local folder by default, S3-compatible object storage when
configured (``MEDIA_S3_BUCKET``; ``MEDIA_S3_ENDPOINT_URL`` for MinIO, Garage, Scaleway, OVH…;
credentials and region from boto3's usual sources: ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, a profile or an instance role).

Blobs follow the database transaction (``stage_put`` / ``delete_after_commit``): a blob written
during a request that then rolls back is deleted, and a photo deleted by a request loses its blobs
only once the deletion is committed. So a refused upload leaves neither rows nor blobs, and a
failed deletion leaves the photo whole.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

#: Keys are ours (``photos/<org>/<random>.<ext>``): letters, digits, dots, dashes, slashes.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class BlobMissing(Exception):
    """The backend holds nothing under this key."""


class StorageUnavailable(Exception):
    """The backend could not be reached or refused the operation (a full disk, S3 down)."""


class Storage(Protocol):
    """The few calls photos make: whole blobs in and out, by key."""

    def put(self, key: str, content: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the blob; no error when it is already gone."""
        ...


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"invalid storage key: {key!r}")
    return key


class LocalStorage:
    """Files under ``root`` (by default ``<instance folder>/media``), one per key."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _checked(key)

    def put(self, key: str, content: bytes, content_type: str) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written beside, then renamed: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            raise StorageUnavailable(str(exc)) from exc
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(temporary, path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            if isinstance(exc, OSError):
                raise StorageUnavailable(str(exc)) from exc
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


class S3Storage:
    """Objects in one bucket (an optional key prefix), through boto3."""

    def __init__(self, bucket: str, *, client: Any, prefix: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client

    @classmethod
    def connect(
        cls, bucket: str, *, endpoint_url: str | None = None, region: str | None = None, prefix: str = ""
    ) -> S3Storage:
        import boto3  # the server's optional `s3` extra: imported only when S3 is configured

        client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        return cls(bucket, client=client, prefix=prefix)

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, content: bytes, content_type: str) -> None:
        with self._errors():
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=content, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            with self._errors():
                response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
                body: bytes = response["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise BlobMissing(key) from None
        return body

    def delete(self, key: str) -> None:
        # S3 answers 204 for a key that does not exist: deleting twice is not an error.
        with self._errors():
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except self.client.exceptions.NoSuchKey:
            raise
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(str(exc)) from exc


# --- blobs in step with the transaction ---------------------------------------------------------

_WRITTEN = "relife.media.written"
_DOOMED = "relife.media.doomed"


def _pending(session: Session, name: str) -> list[tuple[Storage, str]]:
    if not session.info.get("relife.media.hooked"):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
        session.info["relife.media.hooked"] = True
    found: list[tuple[Storage, str]] = session.info.setdefault(name, [])
    return found


def stage_put(session: Session, storage: Storage, key: str, content: bytes, content_type: str) -> None:
    """Write a blob now; delete it again if the session's transaction rolls back."""
    written = _pending(session, _WRITTEN)
    storage.put(key, content, content_type)
    written.append((storage, key))


def delete_after_commit(session: Session, storage: Storage, key: str) -> None:
    """Delete a blob once the session's transaction commits (never if it rolls back)."""
    _pending(session, _DOOMED).append((storage, key))


def discard_written(session: Session) -> None:
    """Delete the blobs written in this transaction now (a refused upload cleaning up)."""
    _run(session.info.pop(_WRITTEN, []), "written by a transaction that did not commit")


def _run(blobs: list[tuple[Storage, str]], why: str) -> None:
    for storage, key in blobs:
        try:
            storage.delete(key)
        except Exception:  # a blob left behind is garbage, not a failed request
            log.warning("could not delete the blob %s (%s)", key, why, exc_info=True)


def _after_commit(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    _run(session.info.pop(_DOOMED, []), "deleted by a committed transaction")


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        return  # a savepoint inside the request: the blobs belong to the enclosing transaction
    session.info.pop(_DOOMED, None)
    discard_written(session)


def storage_from_settings(
    *,
    instance_path: str,
    root: str | None = None,
    s3_bucket: str | None = None,
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
    s3_prefix: str = "",
) -> Storage:
    """S3 when a bucket is configured, else the local folder (``root``, default
    ``<instance_path>/media``)."""
    if s3_bucket:
        return S3Storage.connect(s3_bucket, endpoint_url=s3_endpoint_url, region=s3_region, prefix=s3_prefix)
    return LocalStorage(root or Path(instance_path) / "media")
