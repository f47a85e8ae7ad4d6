"""What an uploaded photo must be, and the server's re-encoding of it (Pillow).

A photo is accepted by its **content**: Pillow must recognise a JPEG, PNG or WebP image in it (the
file name and the declared media type are never trusted). Every accepted image is decoded and
**re-encoded**: its EXIF orientation is applied to the pixels first, then nothing of the original
file is kept but the pixels — no EXIF (GPS position, camera serial, date), no XMP, no IPTC, no ICC
profile (a profile is first applied, converting the pixels to sRGB, so colours stay right), no
PNG text chunks. A thumbnail is made from the same pixels.

Nothing here touches the database, the storage or Flask: ``process`` takes bytes and returns the
re-encoded photo or raises ``ImageRefused`` with the reason, for the service to name the file.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

#: Largest file accepted, in bytes. A 12-48 MP phone photo is 2-8 MB as JPEG; 10 MiB leaves room
#: for the largest of them and for a PNG screenshot, and bounds what one request holds in memory.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Files per upload. A listing shows a device from a handful of sides (front, back, screen, ports,
#: keyboard, label, a defect or two); a return or an inspection documents fewer. Ten covers both.
MAX_FILES_PER_UPLOAD = 10
#: Largest image accepted, in pixels (width × height), checked from the header before any pixel is
#: decoded. 50 MP covers the 48 MP sensors of current phones; decoded as RGBA it is 200 MB, the most
#: one upload may make the server hold at once (files are processed one after the other). A file of
#: a few kB that declares more (a "decompression bomb") is refused without being decoded. Pillow's
#: own guard (``Image.MAX_IMAGE_PIXELS``, ~89 MP, an error at twice that) stays on behind this one.
MAX_PIXELS = 50_000_000
#: Longest side of the stored photo: larger images are scaled down to it. 4096 px shows a scratch
#: or a dead pixel in a condition photo and fills any screen; the original resolution is not kept.
MAX_EDGE = 4096
#: Longest side of the thumbnail (catalogue cards, photo strips: 2× a 240 px display size).
THUMBNAIL_EDGE = 480
#: Encoder quality for JPEG and WebP: visually lossless for photos at a third of quality 95's size.
QUALITY = 85

#: Pillow format name → (media type, file extension): the only formats accepted.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
ACCEPTED = "JPEG, PNG or WebP"


class ImageRefused(Exception):
    """The file cannot be stored as a photo; ``reason`` says why in a few words."""

    too_large = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAnImage(ImageRefused):
    pass


class UnsupportedFormat(ImageRefused):
    pass


class TooLarge(ImageRefused):
    """Too many bytes, or too many pixels (a decompression bomb): the 413 family."""

    too_large = True


@dataclass(frozen=True)
class Encoded:
    content: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class ProcessedImage:
    format: str  # JPEG, PNG or WEBP
    photo: Encoded
    thumbnail: Encoded

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise TooLarge(f"{size} bytes, limit {MAX_FILE_BYTES} ({MAX_FILE_BYTES // (1024 * 1024)} MiB)")
    if size == 0:
        raise NotAnImage("empty file")


def process(data: bytes) -> ProcessedImage:
    """The re-encoded photo and its thumbnail, or ``ImageRefused``."""
    check_size(len(data))
    try:
        with warnings.catch_warnings():
            # Pillow warns (DecompressionBombWarning) between MAX_IMAGE_PIXELS and twice that; our
            # own limit is lower, but should it ever be raised, the warning refuses the file too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as opened:
                image_format = str(opened.format)
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise TooLarge(f"{width}×{height} pixels ({_n(width * height)} px), limit {_n(MAX_PIXELS)} px")
                opened.seek(0)  # an animated WebP or PNG: its first frame
                opened.load()
                pixels = _upright(opened)
                pixels = _srgb(pixels, opened.info.get("icc_profile"))
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(f"decompression bomb refused ({exc})") from None
    except UnidentifiedImageError:
        raise _unrecognised(data) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        # Pillow's decoders report truncated or corrupt data as OSError/SyntaxError/ValueError.
        raise NotAnImage(f"the image data is damaged ({type(exc).__name__}: {exc})") from None
    pixels = _storable_mode(pixels, image_format)
    photo = pixels.copy()
    photo.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
    thumbnail = pixels.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    return ProcessedImage(image_format, _encode(photo, image_format), _encode(thumbnail, image_format))


def _n(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _unrecognised(data: bytes) -> ImageRefused:
    """Not one of ours: name the format when Pillow knows it (a GIF, a TIFF), else not an image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as other:
                name = other.format
    except Exception:
        name = None
    if name:
        return UnsupportedFormat(f"a {name} image; accepted: {ACCEPTED}")
    return NotAnImage(f"not an image ({ACCEPTED} accepted)")


def _upright(image: Image.Image) -> Image.Image:
    """The pixels as the camera meant them to be seen (EXIF orientation applied), as a new image.

    A damaged EXIF block is not the sender's fault: the pixels are then kept as they are."""
    try:
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError, ZeroDivisionError):
        upright = None
    return upright if upright is not None and upright is not image else image.copy()


_SRGB = ImageCms.createProfile("sRGB")


def _srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The pixels converted from their embedded ICC profile to sRGB (the profile is then dropped
    with the rest of the metadata, and sRGB is what an untagged image means on the web)."""
    if not icc_profile or image.mode not in {"RGB", "RGBA", "CMYK", "L"}:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB" if image.mode != "L" else "L"
        if output_mode == "L":
            return image  # a grey profile: nothing to convert to sRGB
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=output_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: the pixels as they are
    return converted if converted is not None else image


def _storable_mode(image: Image.Image, image_format: str) -> Image.Image:
    """Modes each encoder writes: JPEG L/RGB; PNG and WebP keep transparency (as RGBA)."""
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
    if image_format == "JPEG":
        return image if image.mode in {"L", "RGB"} else image.convert("RGB")
    if image_format == "PNG" and image.mode in {"L", "RGB", "RGBA"}:
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def _encode(image: Image.Image, image_format: str) -> Encoded:
    """Only the pixels: ``info`` (EXIF, XMP, ICC, comments, text chunks) is emptied, and no
    metadata argument is given to the encoder."""
    image.info = {}
    buffer = io.BytesIO()
    if image_format == "JPEG":
        # No optimize/progressive pass: 7 % larger files, eight times faster (a 12 MP photo: ~0.4 s
        # instead of ~3 s), and an upload holds up to ten of them.
        image.save(buffer, "JPEG", quality=QUALITY)
    elif image_format == "WEBP":
        image.save(buffer, "WEBP", quality=QUALITY, method=4)
    else:
        image.save(buffer, "PNG", optimize=False, compress_level=6)
    return Encoded(buffer.getvalue(), image.width, image.height)
