"""The hash chain's canonical form never changes: every stored chain was hashed with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from points.ledger.chain import HASHED_FIELDS, _dumps, row_hash


def test_a_known_row_keeps_its_hash():
    row = dict.fromkeys(HASHED_FIELDS)
    row.update(
        community_id=7,
        seq=42,
        kind="xingan",
        debit_account_id=3,
        credit_account_id=9,
        amount=5,
        status="posted",
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
