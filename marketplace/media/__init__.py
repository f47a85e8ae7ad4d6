"""Photos: listing photos and condition photos (returns, loan return inspections).

* ``images``: what an uploaded file must be (JPEG, PNG or WebP by content; size, pixel and count
  limits) and how it is re-encoded (orientation applied, every metadata block dropped, a thumbnail).
* ``storage``: where the bytes go (a local folder by default, S3-compatible object storage when
  configured), written and deleted in step with the database transaction.
* ``service``: ``store`` (all or nothing), ``claim`` (other domains attach condition photos),
  the listing photos' use cases.
"""
