"""django-hordak 2.0 (`Account.transfer_to`) posting one transfer per transaction: the peer the
ledger's posting rate is compared with, in the same run on the same PostgreSQL server."""

from __future__ import annotations

import os
import time


class HordakPeer:
    def __init__(self, url: str):
        # Django names the driver itself: a plain postgresql:// URL.
        os.environ["HORDAK_BENCH_DATABASE_URL"] = url.replace("postgresql+psycopg://", "postgresql://", 1)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hordak_settings")
        import django

        django.setup()
        from django.core.management import call_command
        from hordak.models import Account

        call_command("migrate", verbosity=0)
        self.pool = Account.objects.create(name="积分池", type=Account.TYPES.income, currencies=["CNY"])
        self.person = Account.objects.create(name="居民", type=Account.TYPES.asset, currencies=["CNY"])

    def rate(self, n: int) -> float:
        """Transfers per second, each `transfer_to` in its own transaction (hordak checks the
        legs sum to zero when it commits)."""
        from django.db import transaction
        from djmoney.money import Money

        amount = Money(1, "CNY")
        start = time.perf_counter()
        for _ in range(n):
            with transaction.atomic():
                self.pool.transfer_to(self.person, amount)
        return n / (time.perf_counter() - start)

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
