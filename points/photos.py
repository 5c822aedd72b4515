"""Uploaded photos (store items, demands): checked to be an image, turned upright, shrunk,
re-encoded as JPEG (which drops every bit of metadata, location included) and kept in the
instance's media folder under a name made from their content, one folder per use."""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from points.errors import DomainError
from points.labels import N_

# Far more pixels than a phone's camera makes: anything bigger is a decompression bomb.
MAX_PIXELS = 50_000_000
ACCEPTED = ("JPEG", "PNG", "WEBP", "GIF", "BMP")
MIMETYPE = "image/jpeg"
_NAME = re.compile(r"^[0-9a-f]{64}\.jpg$")


def media_folder(use: str) -> Path:
    """The folder of one use's photos (`store`, `demands`) under MEDIA_FOLDER."""
    root = current_app.config.get("MEDIA_FOLDER") or Path(current_app.instance_path) / "media"
    return Path(root) / use


def is_photo_name(name: str) -> bool:
    return bool(_NAME.match(name or ""))


def photo_path(use: str, name: str) -> Path | None:
    """Where a photo of that name is, if the name is one of ours and the file exists."""
    if not is_photo_name(name):
        return None
    path = media_folder(use) / name
    return path if path.is_file() else None


def _refuse() -> DomainError:
    return DomainError(
        "invalid_photo", "请上传 JPEG、PNG 或 WebP 格式的照片", 422, errors={"photo": [N_("不是图片")]}
    )


def _open(data: bytes) -> Image.Image:
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if len(data) > limit:
        raise DomainError(
            "photo_too_large",
            "照片不能超过 %(mb)s MB",
            413,
            values={"mb": round(limit / 1024 / 1024, 1)},
            errors={"photo": [N_("照片太大")]},
        )
    if not data:
        raise _refuse()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED or image.width * image.height > MAX_PIXELS:
                raise _refuse()
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise _refuse() from exc
    except Image.DecompressionBombError as exc:
        raise _refuse() from exc
    return image


def process(data: bytes) -> bytes:
    """The uploaded bytes as a clean JPEG no larger than PHOTO_MAX_SIDE on its longer side.
    Raises `photo_too_large` (413) and `invalid_photo` (422)."""
    image = _open(data)
    image = ImageOps.exif_transpose(image)
    side = current_app.config["PHOTO_MAX_SIDE"]
    image.thumbnail((side, side))
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def save(use: str, data: bytes) -> str:
    """Process and keep a photo for `use`; its name (the SHA-256 of the JPEG), so one photo is
    kept once."""
    jpeg = process(data)
    name = hashlib.sha256(jpeg).hexdigest() + ".jpg"
    folder = media_folder(use)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        partial = folder / f".{name}.part"
        partial.write_bytes(jpeg)
        partial.replace(target)
    return name
