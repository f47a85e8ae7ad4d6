"""What an uploaded image must be, and what the server keeps of it (``media.images``)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.media import images
from tests.marketplace.media.conftest import CAMERA_SERIAL, bomb_png, gif, jpeg_with_gps, png, webp


def _open(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def test_a_phone_jpeg_loses_its_gps_exif_xmp_icc_and_comment() -> None:
    original = jpeg_with_gps()
    before = _open(original)
    assert before.getexif().get_ifd(0x8825), "the test image carries a GPS position"
    assert {"icc_profile", "xmp", "comment"} <= set(before.info)

    result = images.process(original)

    for encoded in (result.photo, result.thumbnail):
        after = _open(encoded.content)
        assert after.format == "JPEG"
        assert len(after.getexif()) == 0
        assert not after.getexif().get_ifd(0x8825)
        assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(after.info)
        for marker in (
            b"Exif",
            b"GPS",
            b"http://ns.adobe.com/xap",
            b"adobe:ns:meta",
            b"ICC_PROFILE",
            CAMERA_SERIAL.encode(),
        ):
            assert marker not in encoded.content
        assert b"12 rue X" not in encoded.content and b"RelifePhone" not in encoded.content
    assert result.content_type == "image/jpeg" and result.extension == "jpg"
    assert (result.photo.width, result.photo.height) == (640, 480)


def test_the_exif_orientation_is_applied_to_the_pixels_before_it_is_dropped() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise. Stored upright.
    result = images.process(jpeg_with_gps((640, 480), orientation=6))
    upright = _open(result.photo.content)
    assert upright.size == (480, 640)
    # The blue band was at the top left; turned clockwise it is at the top right.
    red, _green, blue = upright.convert("RGB").getpixel((470, 10))  # type: ignore[misc]
    assert blue > 150 and red < 100


def test_png_keeps_transparency_and_loses_its_text_chunks() -> None:
    result = images.process(png(mode="RGBA", Author="Jean Dupont", Location="45.75N 4.85E"))
    after = _open(result.photo.content)
    assert after.format == "PNG" and after.mode == "RGBA"
    assert b"Jean Dupont" not in result.photo.content and b"tEXt" not in result.photo.content
    assert result.content_type == "image/png"


def test_webp_is_accepted_and_stays_webp() -> None:
    result = images.process(webp())
    assert _open(result.photo.content).format == "WEBP"
    assert result.content_type == "image/webp"


def test_large_images_are_scaled_down_and_thumbnails_are_small() -> None:
    result = images.process(png((images.MAX_EDGE + 904, 1000), mode="RGB"))
    assert max(result.photo.width, result.photo.height) == images.MAX_EDGE
    assert max(result.thumbnail.width, result.thumbnail.height) == images.THUMBNAIL_EDGE
    assert result.thumbnail.sha256 != result.photo.sha256


@pytest.mark.parametrize(
    ("content", "error", "reason"),
    [
        (b"This is not an image, whatever its name says.\n", images.NotAnImage, "not an image"),
        (b"", images.NotAnImage, "empty"),
        (gif(), images.UnsupportedFormat, "a GIF image"),
        (jpeg_with_gps()[:600], images.NotAnImage, "damaged"),
    ],
    ids=["text", "empty", "gif", "truncated-jpeg"],
)
def test_what_is_not_a_jpeg_png_or_webp_is_refused(content: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as caught:
        images.process(content)
    assert reason in str(caught.value)
    assert not caught.value.too_large  # type: ignore[attr-defined]


def test_a_decompression_bomb_beyond_pillows_own_guard_is_refused() -> None:
    # 100 000 × 100 000 = 10¹⁰ pixels in a file of a few hundred bytes: Pillow's
    # DecompressionBombError, read from the header, before any pixel is decoded.
    bomb = bomb_png(100_000, 100_000)
    assert len(bomb) < 1000
    assert 2 * Image.MAX_IMAGE_PIXELS < 100_000 * 100_000  # type: ignore[operator]
    with pytest.raises(images.TooLarge) as caught:
        images.process(bomb)
    assert "decompression bomb" in caught.value.reason or "pixels" in caught.value.reason


def test_an_image_above_our_pixel_limit_is_refused_before_decoding() -> None:
    # 8 000 × 7 000 = 56 MP: under Pillow's guard, over ours.
    bomb = bomb_png(8000, 7000)
    assert (Image.MAX_IMAGE_PIXELS or 0) > 8000 * 7000
    with pytest.raises(images.TooLarge) as caught:
        images.process(bomb)
    assert "8000×7000 pixels" in caught.value.reason


def test_a_file_over_the_byte_limit_is_refused_unread() -> None:
    with pytest.raises(images.TooLarge) as caught:
        images.process(b"\xff\xd8" + b"\x00" * images.MAX_FILE_BYTES)
    assert f"limit {images.MAX_FILE_BYTES}" in caught.value.reason
