"""Redemption storm: many people redeeming one item with too little stock, through gunicorn.

Makes a throwaway database, one community with an item of STOCK pieces and N people holding
enough 兴安分 with API tokens, starts gunicorn on a free local port, and then:

1. measures the ledger's single-posting rate in this process (`request_award`, auto-posted,
   one transaction each: the figure `bench/ledger_bench.py` reports), before and after the storm;
2. has every person redeem the item once (`POST /api/v1/store/items/<id>/redeem` with an
   Idempotency-Key) from C client threads with keep-alive connections: the storm.

It checks that exactly STOCK redemptions succeeded, that every other answer is `out_of_stock`,
that the stock is 0 and that the ledger verifies, and reports the storm's rates as a ratio of
the single-posting rate measured in the same run (target: redemptions made while the stock
lasted ≥ 0.5× postings; over the whole storm the rate would fall with every extra person who
arrives after the last piece is gone):

    python bench/store_bench.py                      # SQLite in a temporary folder
    python bench/store_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import http.client
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ledger_bench import arguments, bench_posting, checkin_award, migrated_app, throwaway
from bench.scan_bench import Client, free_port, start_gunicorn, stop_gunicorn, storm, storm_arguments
from points.db import session


class KeyedClient(Client):
    """The storm's client, sending an Idempotency-Key with each request."""

    def call(self, method, path, body=None, bearer=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Content-Type": "application/json", "Authorization": f"Bearer {bearer}", **(headers or {})}
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=json.dumps(body).encode(), headers=sent)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def setup_world(app, people: int, stock: int, price: int) -> dict:
    """A community, its staff member, an item of `stock` pieces and `people` residents with tokens
    and twice the item's price in 兴安分 each."""
    from points.auth.current import actor_for
    from points.auth.operations import issue_token
    from points.org import operations as org
    from points.people import operations as ppl
    from points.store import operations as store

    with app.app_context():
        parent = None
        for level, name in (("city", "市"), ("district", "区"), ("street", "街道"), ("community", "社区")):
            parent = org.create_node(
                actor=None, parent_id=parent.id if parent else None, level=level, name=name
            )
        staff = ppl.create_person(actor=None, phone="13500000001", name="工作人员", community_id=parent.id)
        ppl.grant_role(actor=None, person_id=staff.id, role="staff", node_id=parent.id)
        item = store.create_item(
            actor=actor_for(staff), community_id=parent.id, name="大米", price=price, stock=stock
        )
        bearers, ids = [], []
        for i in range(people):
            person = ppl.create_person(
                actor=None, phone=f"136{i:08d}", name=f"居民{i}", community_id=parent.id
            )
            checkin_award(parent.id, person.id, 2 * price, f"bench:seed:{person.id}")
            bearers.append(issue_token(person=person)[0])
            ids.append(person.id)
        session().commit()
        return {"community": parent.id, "item": item.id, "people": bearers, "ids": ids}


def check(app, world: dict) -> dict:
    import sqlalchemy as sa

    from points.ledger.verify import verify_ledger
    from points.store.models import Item, Voucher
    from points.store.queries import stock_from_history

    with app.app_context():
        vouchers = (
            session().execute(sa.select(sa.func.count()).where(Voucher.item_id == world["item"])).scalar_one()
        )
        stock = session().get(Item, world["item"]).stock
        return {
            "vouchers": vouchers,
            "stock": stock,
            "stock_from_history": stock_from_history(world["item"]),
            "verify": verify_ledger().ok,
        }


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--stock", type=int, default=200)
    parser.add_argument("--postings", type=int, default=1000, help="single postings timed, before and after")
    storm_arguments(parser)
    args = parser.parse_args()

    with throwaway(args.postgres) as (url, _):
        server = None
        try:
            engine, app = migrated_app(url)
            print(f"setting up {args.people} people…", file=sys.stderr)
            world = setup_world(app, args.people, args.stock, price=10)
            posting_before = bench_posting(app, world["community"], world["ids"], args.postings)
            port = free_port()
            server = start_gunicorn(url, port, args.workers, args.threads)
            client = KeyedClient(port)
            plain = Client(port)

            def health():
                status, _ = plain.call("GET", "/api/v1/health")
                return str(status)

            # When each redemption came back, to time the redemptions while the stock lasted:
            # after it ran out, the rest of the storm is refusals, however many people are left.
            redeemed_at: list[float] = []

            def redeem(bearer: str):
                def run():
                    status, body = client.call(
                        "POST",
                        f"/api/v1/store/items/{world['item']}/redeem",
                        {},
                        bearer,
                        headers={"Idempotency-Key": uuid.uuid4().hex},
                    )
                    if status == 201:
                        redeemed_at.append(time.perf_counter())
                        return "redeemed"
                    try:
                        return json.loads(body).get("code", f"http {status}")
                    except ValueError:
                        return f"http {status}"

                return run

            # Every worker opens its connections and warms its caches before anything is timed.
            def balances(bearer: str):
                def run():
                    status, _ = plain.call("GET", "/api/v1/me/balances", bearer=bearer)
                    return str(status)

                return run

            storm(plain, [health] * 400, args.concurrency)
            trivial, trivial_seconds = storm(plain, [health] * 2000, args.concurrency)
            read, read_seconds = storm(plain, [balances(b) for b in world["people"]], args.concurrency)
            began = time.perf_counter()
            results, seconds = storm(client, [redeem(b) for b in world["people"]], args.concurrency)
            stock_lasted = max(redeemed_at, default=began) - began
            posting_after = bench_posting(app, world["community"], world["ids"], args.postings)
            state = check(app, world)
            references = {
                "GET /api/v1/health (trivial)": len(trivial) / trivial_seconds,
                "GET /api/v1/me/balances (bearer auth + 1 read)": len(read) / read_seconds,
            }
            report(
                args,
                engine.dialect.name,
                results,
                (seconds, stock_lasted),
                (posting_before + posting_after) / 2,
                state,
                references,
            )
            engine.dispose()
            app.extensions["points_db"].engine.dispose()
        finally:
            stop_gunicorn(server)


def report(
    args,
    backend: str,
    results: list[str],
    times: tuple[float, float],
    posting: float,
    state: dict,
    references: dict,
) -> None:
    """The storm's table. `times`: the whole storm's seconds, and the seconds until the last
    redemption came back (its threads waited at a barrier, so both count from one start)."""
    seconds, stock_lasted = times
    outcomes = Counter(results)
    redeemed = outcomes.get("redeemed", 0)
    errors = sum(n for label, n in outcomes.items() if label not in ("redeemed", "out_of_stock"))
    answered = len(results) / seconds
    succeeded = redeemed / seconds
    while_stock = redeemed / stock_lasted if stock_lasted else 0.0
    rows = [
        ("what", "count", "seconds", "per second", "ratio"),
        ("ledger single posting (request_award, in process)", args.postings, "", f"{posting:,.0f}", "1.00×"),
        *(
            (name, "", "", f"{rate:,.0f}", f"{rate / posting:.2f}× posting")
            for name, rate in references.items()
        ),
        (
            "redemption storm: requests answered",
            len(results),
            f"{seconds:.2f}",
            f"{answered:,.0f}",
            f"{answered / posting:.2f}× posting",
        ),
        (
            "redemption storm: redemptions made, whole storm",
            redeemed,
            f"{seconds:.2f}",
            f"{succeeded:,.0f}",
            f"{succeeded / posting:.2f}× posting",
        ),
        (
            "redemptions made while the stock lasted (target ≥ 0.5×)",
            redeemed,
            f"{stock_lasted:.2f}",
            f"{while_stock:,.0f}",
            f"{while_stock / posting:.2f}× posting",
        ),
    ]
    print(
        f"\nRedemption storm on {backend}: {args.people} people, stock {args.stock}, "
        f"{args.concurrency} client threads, gunicorn {args.workers} workers × {args.threads} threads\n"
    )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(row)
            )
        )
    print("\noutcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print(
        f"errors other than out_of_stock: {errors}; redemptions {redeemed} (expected {args.stock}); "
        f"vouchers {state['vouchers']}; stock {state['stock']} (from history {state['stock_from_history']}); "
        f"ledger verifies: {state['verify']}"
    )
    ok = (
        errors == 0
        and redeemed == args.stock == state["vouchers"]
        and state["stock"] == 0
        and state["verify"]
    )
    print("RESULT: " + ("OK" if ok else "FAILED"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
