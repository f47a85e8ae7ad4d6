"""API shapes of photos: the multipart upload in, a photo's description out."""

from __future__ import annotations

import marshmallow as ma

from marketplace.api.smorest import Schema
from marketplace.api.uploads import UploadedFileField
from marketplace.media import images
from marketplace.media.models import Photo, PhotoPurpose

FILES_DESCRIPTION = (
    f"The images, in the multipart field `files` (several): JPEG, PNG or WebP, recognised from their "
    f"content (not their name or type); at most {images.MAX_FILES_PER_UPLOAD} files of "
    f"{images.MAX_FILE_BYTES // (1024 * 1024)} MiB and {images.MAX_PIXELS // 1_000_000} megapixels each. "
    f"Each is re-encoded (orientation applied; EXIF, GPS, XMP, ICC and comments removed; at most "
    f"{images.MAX_EDGE} px a side) and gets a {images.THUMBNAIL_EDGE} px thumbnail. One refused file "
    "refuses the upload (errors['files.<n>'] names it, 1-based): nothing is stored. The whole request "
    "is also bounded by the server's request size limit (32 MiB by default)."
)


class PhotoUploadSchema(Schema):
    """Listing photos: the files alone."""

    files = ma.fields.List(UploadedFileField(), load_default=list, metadata={"description": FILES_DESCRIPTION})


class ConditionPhotoUploadSchema(PhotoUploadSchema):
    """Condition photos, uploaded before the return or inspection that will reference them."""

    purpose = ma.fields.Enum(
        PhotoPurpose,
        by_value=True,
        required=True,
        validate=ma.validate.Equal(PhotoPurpose.CONDITION),
        metadata={"description": "Always `condition` here (listing photos go to /listings/{id}/photos)."},
    )
    organisation_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "The organisation the photos are for; needed when you belong to several"},
    )


class PhotoSchema(Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    purpose = ma.fields.Enum(PhotoPurpose, by_value=True)
    attached_type = ma.fields.String(allow_none=True, metadata={"description": "listing, return, inspection…"})
    attached_id = ma.fields.Integer(allow_none=True)
    filename = ma.fields.String(metadata={"description": "The name the file was uploaded with"})
    content_type = ma.fields.String(metadata={"description": "image/jpeg, image/png or image/webp (as stored)"})
    sha256 = ma.fields.String(metadata={"description": "SHA-256 of the stored (re-encoded) photo; its ETag"})
    size = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    thumbnail_size = ma.fields.Integer()
    created_at = ma.fields.AwareDateTime()
    url = ma.fields.Method("_url")
    thumbnail_url = ma.fields.Method("_thumbnail_url")

    def _url(self, photo: Photo) -> str:
        return photo_url(photo)

    def _thumbnail_url(self, photo: Photo) -> str:
        return photo_url(photo) + "/thumbnail"


class PhotoListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(PhotoSchema))


def photo_url(photo: Photo) -> str:
    """Where the photo's bytes are served: through its listing for a listing photo (whoever sees
    the listing), else at /photos/{id} (its organisation)."""
    if photo.attached_type == "listing" and photo.attached_id is not None:
        return f"/api/v1/listings/{photo.attached_id}/photos/{photo.id}"
    return f"/api/v1/photos/{photo.id}"
