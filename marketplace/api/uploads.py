"""The multipart file field every upload schema uses (diagnostics, erasure evidence, photos)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from werkzeug.datastructures import FileStorage

from marketplace.uploads import UploadedFile


class UploadedFileField(ma.fields.Field):  # type: ignore[type-arg]
    """A multipart file part, read into an ``UploadedFile`` (name, declared type, raw bytes)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).update({"type": "string", "format": "binary"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> UploadedFile:
        if not isinstance(value, FileStorage):
            raise ma.ValidationError("Not a file part.")
        return UploadedFile(
            filename=value.filename or "",
            content_type=value.content_type or "application/octet-stream",
            # Whole: the request size limit (MAX_CONTENT_LENGTH) already bounds it, and the
            # refusal of a file too large states its real size.
            content=value.stream.read(),
        )
