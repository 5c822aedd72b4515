"""The canonical form cut open around the sequence number hashes, once the sequence number and
the previous hash are put back, exactly as the row does (PostgreSQL hashes it so under the
chain head's lock)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from points.ledger.chain import HASHED_FIELDS, hash_pieces, row_hash


@pytest.mark.parametrize("memo", ["", "大米", 'a "quoted"\\ line\nnext\t\x01'])
def test_pieces_hash_as_the_row_does(memo):
    row = dict.fromkeys(HASHED_FIELDS)
    row.update(
        community_id=7,
        seq=123,
        kind="xingan",
        debit_account_id=3,
        credit_account_id=4,
        amount=10,
        status="posted",
        reason="redemption",
        memo=memo,
        idempotency_key="redemption:9",
        created_at=datetime(2026, 11, 26, 4, 30, 1, 5, tzinfo=UTC),
    )
    before, after = hash_pieces(row)
    previous = "ab" * 32
    joined = before + "123" + after + previous + '"]'
    assert hashlib.sha256(joined.encode()).hexdigest() == row_hash(row, previous)
