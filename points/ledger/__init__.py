"""The append-only double-entry ledger of 红松分 and 兴安分: the only writer of transfers and balances."""
