"""Compact signed tokens inside QR codes: station codes (rotating or poster) and member cards.

A token is URL-safe base64 (no padding) of a few bytes: a type letter, the numbers
it carries as unsigned varints, then the first 10 bytes of an HMAC-SHA256 over
them. A station code for activity 1234 at station 12 is about 26 characters, so
the QR code on a screen stays low-density and readable from across a room.

- screen code `S`: station id, activity id, time window number, station key version;
  signed with the station's own key (rotating that key voids every code it signed);
- poster code `P`: station id, activity id, station key version (no window: a printed
  code is good for the activity's hours);
- member card `C`: person id, card serial; signed with a key derived from the app's
  secret key (reissuing a card raises its serial and voids the old card).

Nothing here touches the database: these functions encode, parse and check MACs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

MAC_BYTES = 10
# Longer input is not one of ours; refusing it early keeps decoding cheap.
MAX_TOKEN_CHARS = 64
_MAX_NUMBER = 2**53
SCREEN, POSTER, CARD = b"S", b"P", b"C"


class BadToken(ValueError):
    """Not a well-formed token of the expected type."""


@dataclass(frozen=True)
class StationCode:
    station_id: int
    activity_id: int
    key_version: int
    # The time window a screen code was made for; None for a poster code.
    window: int | None

    @property
    def is_poster(self) -> bool:
        return self.window is None


@dataclass(frozen=True)
class CardCode:
    person_id: int
    serial: int


def window_of(moment: datetime, seconds: int) -> int:
    """The number of the time window a moment falls in (windows of `seconds` since the epoch)."""
    return int(moment.timestamp()) // seconds


def _varint(number: int) -> bytes:
    if number < 0 or number > _MAX_NUMBER:
        raise ValueError("number out of range for a token")
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varints(data: bytes, count: int) -> list[int]:
    numbers, value, shift = [], 0, 0
    for i, byte in enumerate(data):
        if byte == 0 and shift:
            raise BadToken("overlong varint")  # one number, one encoding: no malleability
        value |= (byte & 0x7F) << shift
        if value > _MAX_NUMBER:
            raise BadToken("number too large")
        if byte & 0x80:
            shift += 7
            continue
        numbers.append(value)
        value, shift = 0, 0
        if len(numbers) == count:
            if i != len(data) - 1:
                raise BadToken("trailing bytes")
            return numbers
    raise BadToken("truncated")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(token: str) -> bytes:
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        raise BadToken("wrong length")
    if not token.isascii() or not all(ch.isalnum() or ch in "-_" for ch in token):
        raise BadToken("not URL-safe base64")
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise BadToken("not base64") from exc
    if _b64(data) != token:
        raise BadToken("non-canonical base64")  # unused low bits would let one code have two spellings
    return data


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"points-qr\0" + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _sign(key: bytes, payload: bytes) -> str:
    return _b64(payload + _mac(key, payload))


def _split(token: str, kind: bytes) -> tuple[bytes, bytes]:
    data = _unb64(token)
    if len(data) < 1 + MAC_BYTES + 1 or data[:1] != kind:
        raise BadToken("wrong type")
    return data[:-MAC_BYTES], data[-MAC_BYTES:]


def token_type(token: str) -> bytes | None:
    """The type letter of a well-formed token (SCREEN, POSTER or CARD), else None."""
    try:
        data = _unb64(token)
    except BadToken:
        return None
    return data[:1] if data[:1] in (SCREEN, POSTER, CARD) else None


# --- station codes ---------------------------------------------------------------------


def encode_station_code(code: StationCode, key: bytes) -> str:
    if code.is_poster:
        payload = POSTER + _varint(code.station_id) + _varint(code.activity_id) + _varint(code.key_version)
    else:
        payload = (
            SCREEN
            + _varint(code.station_id)
            + _varint(code.activity_id)
            + _varint(code.window)
            + _varint(code.key_version)
        )
    return _sign(key, payload)


def parse_station_code(token: str) -> tuple[StationCode, bytes, bytes]:
    """The code a token claims to be, with its payload and MAC (not yet checked: the key
    to check it with is the station's, which the claim names)."""
    kind = token_type(token)
    if kind not in (SCREEN, POSTER):
        raise BadToken("not a station code")
    payload, mac = _split(token, kind)
    if kind == SCREEN:
        station_id, activity_id, window, version = _read_varints(payload[1:], 4)
    else:
        station_id, activity_id, version = _read_varints(payload[1:], 3)
        window = None
    return StationCode(station_id, activity_id, version, window), payload, mac


def mac_matches(key: bytes, payload: bytes, mac: bytes) -> bool:
    return hmac.compare_digest(_mac(key, payload), mac)


# --- member cards ----------------------------------------------------------------------


def card_key(secret_key: str | bytes) -> bytes:
    """The card-signing key, derived from the app's secret key (never the secret key itself)."""
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(raw, b"points member card", hashlib.sha256).digest()


def encode_card(code: CardCode, key: bytes) -> str:
    return _sign(key, CARD + _varint(code.person_id) + _varint(code.serial))


def decode_card(token: str, key: bytes) -> CardCode:
    """A member card's person and serial; raises BadToken for anything forged or malformed."""
    payload, mac = _split(token, CARD)
    if not mac_matches(key, payload, mac):
        raise BadToken("bad signature")
    person_id, serial = _read_varints(payload[1:], 2)
    return CardCode(person_id, serial)
