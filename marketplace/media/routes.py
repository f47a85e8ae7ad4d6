"""HTTP routes of condition photos: parse, call one service function, return. (Listing photos
are served by the catalogue: ``listings.routes``.)"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.media import images, schemas, service
from marketplace.media.runtime import current_storage
from marketplace.media.serving import photo_response

blp = Blueprint(
    "photos", __name__, url_prefix="/api/v1", description="Photos: condition photos for returns and inspections"
)

IMAGE_CONTENT = {
    "content": {mime: {"schema": {"type": "string", "format": "binary"}} for mime, _ext in images.FORMATS.values()}
}


@blp.route("/photos")
class Photos(MethodView):
    @blp.arguments(schemas.ConditionPhotoUploadSchema, location="multipart")
    @blp.response(201, schemas.PhotoListSchema)
    @blp.alt_response(401, description="No token")
    @blp.alt_response(403, description="Not a person's token (bench tokens upload diagnostics only)")
    @blp.alt_response(404, description="Not a member of that organisation")
    @blp.alt_response(413, description="A file is too large (bytes or pixels: a decompression bomb); nothing stored")
    @blp.alt_response(422, description="Not an image, not JPEG/PNG/WebP, too many files, no file; nothing stored")
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Upload condition photos (multipart `files`, `purpose=condition`), unattached: a return or a
        loan return inspection references them by id afterwards (`photo_ids`)"""
        photos = service.store_condition_photos(
            current_session(),
            current_storage(),
            current_principal(),
            form["files"],
            organisation_id=form.get("organisation_id"),
        )
        return {"items": photos}


@blp.route("/photos/<int:photo_id>")
class PhotoContent(MethodView):
    @blp.doc(
        responses={
            "200": {"description": "The stored (re-encoded) photo; ETag, Cache-Control: private", **IMAGE_CONTENT}
        }
    )
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    @blp.alt_response(404, description="No such photo (or not your organisation's)")
    def get(self, photo_id: int) -> Response:
        """A condition photo's bytes, for its organisation's people"""
        photo = service.get_own_photo(current_session(), current_principal(), photo_id)
        return photo_response(current_storage(), photo, thumbnail=False, public=False)


@blp.route("/photos/<int:photo_id>/thumbnail")
class PhotoThumbnail(MethodView):
    @blp.doc(responses={"200": {"description": "The photo's thumbnail; ETag, Cache-Control: private", **IMAGE_CONTENT}})
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    @blp.alt_response(404, description="No such photo (or not your organisation's)")
    def get(self, photo_id: int) -> Response:
        """A condition photo's thumbnail, for its organisation's people"""
        photo = service.get_own_photo(current_session(), current_principal(), photo_id)
        return photo_response(current_storage(), photo, thumbnail=True, public=False)
