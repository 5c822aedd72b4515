"""The hash chain: a canonical form of a transfer row and its SHA-256.

Each row's hash covers its content, its community and sequence number, and the
previous row's hash, so changing, removing or reordering a row breaks every
hash after it. Datetimes are normalised to UTC with microseconds, because
SQLite hands them back without a zone and PostgreSQL with one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring

# The order of fields in the canonical form; changing it invalidates every chain.
HASHED_FIELDS = (
    "community_id",
    "seq",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "status",
    "reason",
    "proof",
    "ref_type",
    "ref_id",
    "pending_id",
    "reverses_id",
    "memo",
    "evidence",
    "requested_by_id",
    "verified_by_id",
    "approved_by_id",
    "idempotency_key",
    "created_at",
)


@lru_cache(maxsize=256)  # the rows of one batch share their time
def canonical_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CREATED_AT = HASHED_FIELDS.index("created_at")
# json.dumps(values, ensure_ascii=False, separators=(",", ":")) with the C encoder made once
# rather than per call (the same bytes; a bulk posting hashes thousands of rows).
_encoder = c_make_encoder(
    None, json.JSONEncoder().default, encode_basestring, None, ":", ",", False, False, True
)


def _dumps(values: list) -> str:
    return "".join(_encoder(values, 0))


def values_hash(values: list, prev_hash: str) -> str:
    """Hash of the values of HASHED_FIELDS, in that order, chained to the previous hash."""
    values = list(values)
    values[_CREATED_AT] = canonical_time(values[_CREATED_AT])
    values.append(prev_hash)
    return hashlib.sha256(_dumps(values).encode()).hexdigest()


def row_hash(row: dict, prev_hash: str) -> str:
    return values_hash([row[f] for f in HASHED_FIELDS], prev_hash)


_SEQ = HASHED_FIELDS.index("seq")


def hash_pieces(row: dict) -> tuple[str, str]:
    """The row's canonical form around its sequence number, for a hash computed where the head
    is locked: `values_hash` of the row at seq s after `prev` is the SHA-256 of
    `before + str(s) + after + prev + '"]'` (a sequence number and a hash need no escaping)."""
    values = [row[f] for f in HASHED_FIELDS]
    values[_CREATED_AT] = canonical_time(values[_CREATED_AT])
    before = _dumps(values[:_SEQ])[:-1] + ","
    # The remaining values and an empty previous hash, cut open where the previous hash goes.
    after = "," + _dumps([*values[_SEQ + 1 :], ""])[1:-2]
    return before, after
