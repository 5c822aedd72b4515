"""Account ids for many owners at once: read or made in one statement per batch."""

from __future__ import annotations

from points.ledger import posting
from points.ledger.queries import find_account_id


def test_account_ids_reads_and_makes_many_owners_in_batches(world, monkeypatch):
    monkeypatch.setattr(posting, "ACCOUNT_BATCH", 7)
    owners = [("person", 900_000 + n) for n in range(20)] + [("pool", world.community.id)]
    existing = posting.account_ids(owners[:5], "xingan")

    ids = posting.account_ids(owners, "xingan")

    assert set(ids) == set(owners) and len(set(ids.values())) == len(owners)
    assert all(ids[o] == existing[o] for o in owners[:5])
    assert all(find_account_id(*o, "xingan") == ids[o] for o in owners)
    # Another kind is another account of the same owner.
    assert posting.account_ids(owners[:3], "hongsong").keys() == set(owners[:3])
    assert not set(posting.account_ids(owners[:3], "hongsong").values()) & set(ids.values())
