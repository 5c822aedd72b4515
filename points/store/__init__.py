"""The points store (积分超市): items often donated by sponsors, redeemed for vouchers picked up
at a station, with refunds through the ledger."""
