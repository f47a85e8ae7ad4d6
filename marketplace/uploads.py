"""A file a client uploaded, as the domains receive it (diagnostics, erasure evidence, photos),
and the refusal of one too large: one definition, so every upload is read and refused alike."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.errors import DomainError


class FileTooLarge(DomainError):
    status = 413
    title = "File too large"
    type_slug = "payload-too-large"


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes
