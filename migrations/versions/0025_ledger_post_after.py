"""ledger: a single posting that hashes its row under the head's lock, joinable to a statement
that must run first

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-26 04:30:00

`ledger_post_one` (0021) takes the row's hash from the caller, computed for the head that
process saw last; when several processes post to one community that guess is mostly wrong and
costs a second call while the head is locked. This function is handed the row's canonical form
in two pieces (before and after its sequence number; the previous hash closes it) and hashes it
itself once the head is locked, so one call always posts. Its first argument is a value of the
statement it is joined to (`… FROM taken CROSS JOIN LATERAL ledger_post_after(taken.x, …)`):
PostgreSQL then calls it once for each row that statement returns, after it, and not at all
when it returns none. A redemption takes its item's stock that way, in the same round trip.
The canonical form itself stays in the application (`points.ledger.chain`).
SQLite has no server-side functions: it keeps the posting path in the application.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

_ARGUMENTS = """p_after bigint, p_community bigint, p_hash_before text, p_hash_after text,
    p_kind text, p_debit bigint, p_credit bigint, p_amount bigint, p_status text, p_reason text,
    p_proof text, p_ref_type text, p_ref_id bigint, p_pending_id bigint, p_reverses_id bigint,
    p_memo text, p_evidence text, p_requested_by bigint, p_verified_by bigint, p_approved_by bigint,
    p_key text, p_created_at timestamptz,
    p_accounts bigint[], p_d_posted bigint[], p_d_pending_in bigint[], p_d_pending_out bigint[],
    p_need bigint[], p_budget_kind text, p_budget_year integer, p_budget_delta bigint"""

_SIGNATURE = """bigint, bigint, text, text, text, bigint, bigint, bigint, text, text, text, text, bigint,
    bigint, bigint, text, text, bigint, bigint, bigint, text, timestamptz,
    bigint[], bigint[], bigint[], bigint[], bigint[], text, integer, bigint"""

# Outcomes as `ledger_post_one`'s, without `stale`: posted (row_id is the new row, at_prev the
# hash it follows), exists, resolved, insufficient, budget. After insufficient or budget some balances may have moved:
# the caller raises and its transaction is rolled back.
_CREATE = f"""
CREATE OR REPLACE FUNCTION ledger_post_after({_ARGUMENTS})
RETURNS TABLE (outcome text, row_id bigint, at_seq bigint, at_hash text, at_prev text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    h record;
    moved integer;
    found_id bigint;
    new_hash text;
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
        RETURN QUERY SELECT 'resolved'::text, NULL::bigint, h.seq, h.head_hash::text, NULL::text;
        RETURN;
    END IF;

    SELECT t.id INTO found_id FROM ledger_transfers t
    WHERE t.community_id = p_community AND t.idempotency_key = p_key;
    IF FOUND THEN
        RETURN QUERY SELECT 'exists'::text, found_id, h.seq, h.head_hash::text, NULL::text;
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
        RETURN QUERY SELECT 'insufficient'::text, NULL::bigint, h.seq, h.head_hash::text, NULL::text;
        RETURN;
    END IF;

    IF h.has_budget AND p_budget_delta IS NOT NULL AND p_budget_delta <> 0 THEN
        UPDATE ledger_budgets b SET issued = b.issued + p_budget_delta
        WHERE b.community_id = p_community AND b.kind = p_budget_kind AND b.year = p_budget_year
            AND b.issued + p_budget_delta <= b.amount;
        IF NOT FOUND AND p_budget_delta > 0 AND EXISTS (SELECT 1 FROM ledger_budgets b
                WHERE b.community_id = p_community AND b.kind = p_budget_kind
                AND b.year = p_budget_year) THEN
            RETURN QUERY SELECT 'budget'::text, NULL::bigint, h.seq, h.head_hash::text, NULL::text;
            RETURN;
        END IF;
    END IF;

    new_hash := encode(sha256(convert_to(
        p_hash_before || (h.seq + 1)::text || p_hash_after || h.head_hash || '"]', 'UTF8')), 'hex');
    INSERT INTO ledger_transfers (community_id, seq, kind, debit_account_id, credit_account_id,
        amount, status, reason, proof, ref_type, ref_id, pending_id, reverses_id, memo, evidence,
        requested_by_id, verified_by_id, approved_by_id, idempotency_key, created_at, prev_hash, hash)
    VALUES (p_community, h.seq + 1, p_kind, p_debit, p_credit, p_amount, p_status, p_reason,
        p_proof, p_ref_type, p_ref_id, p_pending_id, p_reverses_id, p_memo, p_evidence,
        p_requested_by, p_verified_by, p_approved_by, p_key, p_created_at, h.head_hash, new_hash)
    RETURNING id INTO found_id;
    UPDATE ledger_chain_heads SET seq = h.seq + 1, head_hash = new_hash
    WHERE community_id = p_community;
    RETURN QUERY SELECT 'posted'::text, found_id, h.seq + 1, new_hash, h.head_hash::text;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS ledger_post_after(bigint, {_SIGNATURE})")
