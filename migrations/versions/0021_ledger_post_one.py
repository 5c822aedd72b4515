"""ledger: one server-side call posts a single row on PostgreSQL

Revision ID: 0021
Revises: 0023
Create Date: 2026-11-26 00:45:00

A single posting on PostgreSQL was three round trips before its commit (lock the chain head
and look up the key; move the balances; append the row and move the head). This function does
the same steps, in the same order and with the same checks, in one call. The row's hash is
computed by the caller (the canonical form lives in one place): it passes the head it expects,
and when the locked head differs the function changes nothing, says so (`stale`) with the real
head, and the caller, now holding the lock, calls again with the right hash. Each statement in
the function takes a fresh snapshot (READ COMMITTED), so a row with the same key committed
while this call waited for the head lock is seen, as it was with separate statements.
SQLite has no server-side functions: it keeps the posting path in the application.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

_ARGUMENTS = """p_community bigint, p_expect_seq bigint, p_expect_hash text, p_hash text,
    p_kind text, p_debit bigint, p_credit bigint, p_amount bigint, p_status text, p_reason text,
    p_proof text, p_ref_type text, p_ref_id bigint, p_pending_id bigint, p_reverses_id bigint,
    p_memo text, p_evidence text, p_requested_by bigint, p_verified_by bigint, p_approved_by bigint,
    p_key text, p_created_at timestamptz,
    p_accounts bigint[], p_d_posted bigint[], p_d_pending_in bigint[], p_d_pending_out bigint[],
    p_need bigint[], p_budget_kind text, p_budget_year integer, p_budget_delta bigint"""

_SIGNATURE = """bigint, bigint, text, text, text, bigint, bigint, bigint, text, text, text, text, bigint,
    bigint, bigint, text, text, bigint, bigint, bigint, text, timestamptz,
    bigint[], bigint[], bigint[], bigint[], bigint[], text, integer, bigint"""

# Outcomes: posted (row_id is the new row), exists (a row holds the key: row_id),
# resolved (the pending row was resolved, or the target reversed, before), stale (the head is
# not the expected one: nothing changed), insufficient (an account lacks available points),
# budget (the pool's yearly budget would be passed). After insufficient or budget some balances
# may have moved: the caller raises and its transaction is rolled back, as before.
_CREATE = f"""
CREATE OR REPLACE FUNCTION ledger_post_one({_ARGUMENTS})
RETURNS TABLE (outcome text, row_id bigint, at_seq bigint, at_hash text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    h record;
    moved integer;
    found_id bigint;
BEGIN
    SELECT c.seq, c.head_hash, c.has_budget INTO h
    FROM ledger_chain_heads c WHERE c.community_id = p_community FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ledger_chain_heads (community_id, seq, head_hash, has_budget)
        VALUES (p_community, 0, '{GENESIS_HASH}', false) ON CONFLICT (community_id) DO NOTHING;
        SELECT c.seq, c.head_hash, c.has_budget INTO h
        FROM ledger_chain_heads c WHERE c.community_id = p_community FOR UPDATE;
    END IF;

    IF (p_pending_id IS NOT NULL AND EXISTS (SELECT 1 FROM ledger_transfers t
            WHERE t.community_id = p_community AND t.pending_id = p_pending_id))
        OR (p_reverses_id IS NOT NULL AND EXISTS (SELECT 1 FROM ledger_transfers t
            WHERE t.community_id = p_community AND t.reverses_id = p_reverses_id)) THEN
        RETURN QUERY SELECT 'resolved'::text, NULL::bigint, h.seq, h.head_hash::text;
        RETURN;
    END IF;

    SELECT t.id INTO found_id FROM ledger_transfers t
    WHERE t.community_id = p_community AND t.idempotency_key = p_key;
    IF FOUND THEN
        RETURN QUERY SELECT 'exists'::text, found_id, h.seq, h.head_hash::text;
        RETURN;
    END IF;

    IF h.seq IS DISTINCT FROM p_expect_seq OR h.head_hash IS DISTINCT FROM p_expect_hash THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint, h.seq, h.head_hash::text;
        RETURN;
    END IF;

    UPDATE ledger_accounts AS a SET posted = a.posted + v.d_posted,
        pending_in = a.pending_in + v.d_pending_in, pending_out = a.pending_out + v.d_pending_out
    FROM unnest(p_accounts, p_d_posted, p_d_pending_in, p_d_pending_out, p_need)
        AS v(account_id, d_posted, d_pending_in, d_pending_out, need)
    WHERE a.id = ANY(p_accounts) AND a.id = v.account_id
        AND (a.allow_negative OR a.posted - a.pending_out >= v.need);
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> cardinality(p_accounts) THEN
        RETURN QUERY SELECT 'insufficient'::text, NULL::bigint, h.seq, h.head_hash::text;
        RETURN;
    END IF;

    IF h.has_budget AND p_budget_delta IS NOT NULL AND p_budget_delta <> 0 THEN
        UPDATE ledger_budgets b SET issued = b.issued + p_budget_delta
        WHERE b.community_id = p_community AND b.kind = p_budget_kind AND b.year = p_budget_year
            AND b.issued + p_budget_delta <= b.amount;
        IF NOT FOUND AND p_budget_delta > 0 AND EXISTS (SELECT 1 FROM ledger_budgets b
                WHERE b.community_id = p_community AND b.kind = p_budget_kind
                AND b.year = p_budget_year) THEN
            RETURN QUERY SELECT 'budget'::text, NULL::bigint, h.seq, h.head_hash::text;
            RETURN;
        END IF;
    END IF;

    INSERT INTO ledger_transfers (community_id, seq, kind, debit_account_id, credit_account_id,
        amount, status, reason, proof, ref_type, ref_id, pending_id, reverses_id, memo, evidence,
        requested_by_id, verified_by_id, approved_by_id, idempotency_key, created_at, prev_hash, hash)
    VALUES (p_community, h.seq + 1, p_kind, p_debit, p_credit, p_amount, p_status, p_reason,
        p_proof, p_ref_type, p_ref_id, p_pending_id, p_reverses_id, p_memo, p_evidence,
        p_requested_by, p_verified_by, p_approved_by, p_key, p_created_at, h.head_hash, p_hash)
    RETURNING id INTO found_id;
    UPDATE ledger_chain_heads SET seq = h.seq + 1, head_hash = p_hash
    WHERE community_id = p_community;
    RETURN QUERY SELECT 'posted'::text, found_id, h.seq + 1, p_hash;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS ledger_post_one({_SIGNATURE})")
