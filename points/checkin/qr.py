"""QR code images of URLs, as SVG (for screens and print) and PNG (for download)."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import qrcode
from flask import current_app, request
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathFillImage

# Level M survives a smudged poster or a glare on a screen, while a scan URL still fits
# a version 3–4 symbol (29–33 modules), easy to read from a few metres.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
BORDER = 4  # the quiet zone readers need around the symbol


def public_url(path: str) -> str:
    """An absolute URL for a QR code: PUBLIC_BASE_URL where phones reach the service, else the
    address this request came in on."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.url_root
    return base.rstrip("/") + path


def scan_url(token: str) -> str:
    return public_url(f"/s/{token}")


def card_url(token: str) -> str:
    return public_url(f"/c/{token}")


def _code(data: str, image_factory, box_size: int = 10):
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=BORDER, box_size=box_size)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image(image_factory=image_factory)


def qr_svg(data: str, *, label: str = "二维码") -> str:
    """An inline SVG that scales to its container (CSS sizes it), on a white background."""
    image = _code(data, SvgPathFillImage)
    root = image._img
    # Fixed millimetre sizes would stop CSS from making it fill a screen.
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    root.set("class", "qr")
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("shape-rendering", "crispEdges")
    return ElementTree.tostring(root, encoding="unicode")


def qr_png(data: str, *, box_size: int = 10) -> bytes:
    """A black-and-white PNG, `box_size` pixels per module."""
    image = _code(data, PyPNGImage, box_size=box_size)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
