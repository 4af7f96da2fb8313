"""Checking and re-encoding an uploaded photo with Pillow.

The type is what Pillow finds in the bytes, never what the client says. The stored
image is a new JPEG drawn from the pixels alone: no EXIF (the location above all:
a photo taken on a customer's site carries its GPS position), no XMP, no comments.
The camera's orientation is applied first, so the picture stays upright without it.
"""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from server.errors import invalid

# What phones send: JPEG from the camera, WebP from our compression, PNG screenshots.
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class Processed:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def process(
    data: bytes, *, long_side: int, thumbnail_side: int, max_pixels: int, quality: int = 85
) -> Processed:
    """The stored image and its thumbnail; a 422 on `file` if `data` is no usable image."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except Image.DecompressionBombError as err:
        raise invalid("file", f"The image is too large: at most {max_pixels} pixels.") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise invalid("file", "Not an image (JPEG, PNG or WebP).") from err
    if kind not in ACCEPTED_FORMATS:
        raise invalid("file", f"Unsupported image type {kind}: send JPEG, PNG or WebP.")
    # Checked before decoding: a small file can claim a huge canvas (a decompression bomb).
    if width * height > max_pixels:
        raise invalid("file", f"The image is too large: at most {max_pixels} pixels.")
    try:
        with Image.open(io.BytesIO(data)) as source:
            upright = ImageOps.exif_transpose(source)
            upright.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
            # A new image holds the pixels and nothing else of the file.
            clean = Image.new("RGB", upright.size, "white")
            rgba = upright.convert("RGBA")
            clean.paste(rgba, mask=rgba.getchannel("A"))
    except (OSError, SyntaxError, ValueError) as err:
        # verify() passed but the pixels do not decode: a truncated or corrupt file.
        raise invalid("file", "The image is damaged and cannot be read.") from err
    thumb = clean.copy()
    thumb.thumbnail((thumbnail_side, thumbnail_side), Image.Resampling.LANCZOS)
    return Processed(
        image=_jpeg(clean, quality),
        thumbnail=_jpeg(thumb, 80),
        width=clean.width,
        height=clean.height,
    )
