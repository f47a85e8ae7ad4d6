"""The app's photo storage: built once per app from its Config (Flask side only).

Services take the storage as an argument; routes pass ``current_storage()``. A test may set
``app.extensions["relife.media"]`` before the first request to use another backend.
"""

from __future__ import annotations

from flask import current_app

from marketplace.config import Config
from marketplace.media.storage import Storage, storage_from_settings


def current_storage() -> Storage:
    extensions = current_app.extensions
    storage: Storage | None = extensions.get("relife.media")
    if storage is None:
        config: Config = current_app.config["RELIFE"]
        storage = storage_from_settings(
            instance_path=current_app.instance_path,
            root=config.media_root,
            s3_bucket=config.media_s3_bucket,
            s3_endpoint_url=config.media_s3_endpoint_url,
            s3_region=config.media_s3_region,
            s3_prefix=config.media_s3_prefix,
        )
        extensions["relife.media"] = storage
    return storage
