"""The hash chain's canonical form never changes (every stored chain was hashed with it), and the
form cut open around the sequence number hashes, once the sequence number and the previous hash
are put back, exactly as the row does (PostgreSQL hashes it so under the chain head's lock)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from points.ledger.chain import HASHED_FIELDS, _dumps, hash_pieces, row_hash


def _row(**values) -> dict:
    row = dict.fromkeys(HASHED_FIELDS)
    row.update(community_id=7, kind="xingan", debit_account_id=3, status="posted", **values)
    return row


def test_a_known_row_keeps_its_hash():
    row = _row(
        seq=42,
        credit_account_id=9,
        amount=5,
        reason="task_award",
        proof="claim",
        ref_type="claim",
        ref_id=11,
        memo='扫地 "门口"\\ 行\n\u2028😀',
        evidence="",
        requested_by_id=2,
        idempotency_key="claim:11:award",
        created_at=datetime(2026, 11, 26, 3, 4, 5, 6789, tzinfo=UTC),
    )
    assert row_hash(row, "0" * 64) == "976e186e570357ab051ef886bd6565e64b04af3cd39ff1b793236b331462008c"


@given(st.lists(st.one_of(st.none(), st.integers(), st.text(), st.booleans())))
def test_the_encoder_writes_what_json_dumps_writes(values):
    assert _dumps(values) == json.dumps(values, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("memo", ["", "大米", 'a "quoted"\\ line\nnext\t\x01'])
def test_pieces_hash_as_the_row_does(memo):
    row = _row(
        seq=123,
        credit_account_id=4,
        amount=10,
        reason="redemption",
        memo=memo,
        idempotency_key="redemption:9",
        created_at=datetime(2026, 11, 26, 4, 30, 1, 5, tzinfo=UTC),
    )
    before, after = hash_pieces(row)
    previous = "ab" * 32
    joined = before + "123" + after + previous + '"]'
    assert hashlib.sha256(joined.encode()).hexdigest() == row_hash(row, previous)
