"""What a voucher shows: a signed code inside its QR, and a short number to read out.

The code is URL-safe base64 (no padding) of the letter `V`, the voucher id as a varint and
the first 10 bytes of an HMAC-SHA256 under a key derived from the app's secret key: about
16 characters, so the QR stays coarse enough to scan from a phone held at arm's length. The
number is 8 random digits, unique per voucher, for people who read their voucher aloud.

Nothing here touches the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

MAC_BYTES = 10
MAX_CODE_CHARS = 40
NUMBER_DIGITS = 8
_PREFIX = b"V"
_MAX_ID = 2**53


class BadCode(ValueError):
    """Not a voucher code signed by this service."""


def voucher_key(secret_key: str | bytes) -> bytes:
    """The voucher-signing key, derived from the app's secret key (never the secret key itself)."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(raw, b"points store voucher", hashlib.sha256).digest()


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | 0x80 if number else byte)
        if not number:
            return bytes(out)


def _read_varint(data: bytes) -> int:
    value, shift = 0, 0
    for i, byte in enumerate(data):
        if byte == 0 and shift:
            raise BadCode("overlong varint")
        value |= (byte & 0x7F) << shift
        if value > _MAX_ID:
            raise BadCode("number too large")
        if not byte & 0x80:
            if i != len(data) - 1:
                raise BadCode("trailing bytes")
            return value
        shift += 7
    raise BadCode("truncated")


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"points-voucher\0" + payload, hashlib.sha256).digest()[:MAC_BYTES]


def encode_voucher(voucher_id: int, key: bytes) -> str:
    if not 0 < voucher_id <= _MAX_ID:
        raise ValueError("voucher id out of range")
    payload = _PREFIX + _varint(voucher_id)
    return base64.urlsafe_b64encode(payload + _mac(key, payload)).rstrip(b"=").decode("ascii")


def decode_voucher(code: str, key: bytes) -> int:
    """The voucher id a code was signed for; raises BadCode for anything forged or malformed."""
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_CHARS:
        raise BadCode("wrong length")
    if not code.isascii() or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise BadCode("not URL-safe base64")
    try:
        data = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadCode("not base64") from exc
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != code:
        raise BadCode("non-canonical base64")
    payload, mac = data[:-MAC_BYTES], data[-MAC_BYTES:]
    if len(payload) < 2 or payload[:1] != _PREFIX:
        raise BadCode("wrong type")
    if not hmac.compare_digest(_mac(key, payload), mac):
        raise BadCode("bad signature")
    return _read_varint(payload[1:])


def new_number() -> str:
    return f"{secrets.randbelow(10**NUMBER_DIGITS):0{NUMBER_DIGITS}d}"


def spaced(number: str) -> str:
    """`12345678` as `1234 5678`: easier to read out and to type."""
    return f"{number[:4]} {number[4:]}"


_NUMBER = re.compile(r"^\d{4}\s?\d{4}$")


def read_desk_input(text: str) -> tuple[str, str] | None:
    """What staff scanned or typed at the desk: ("number", digits) or ("code", code), from a
    bare number (spaces allowed), a bare code, or the URL a voucher's QR holds; None if neither."""
    text = (text or "").strip()
    if _NUMBER.match(text):
        return "number", re.sub(r"\s", "", text)
    if "/v/" in text:
        text = text.rsplit("/v/", 1)[1].split("?", 1)[0].strip("/")
    if text and len(text) <= MAX_CODE_CHARS and all(ch.isalnum() or ch in "-_" for ch in text):
        return "code", text
    return None
