"""`flask points verify`: recompute the chains and balances and report."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from points.db import snapshot, transaction
from points.ledger.verify import count_transfers, record_verification, verify_appended, verify_ledger
from points.org.queries import community_names


@click.command("verify")
@with_appcontext
@click.option("--no-record", is_flag=True, help="Do not store the result for supervisors.")
@click.option(
    "--incremental",
    is_flag=True,
    help="Only the rows appended since the last good verification (and the accounts they touched).",
)
def verify_command(no_record: bool, incremental: bool) -> None:
    """Verify the ledger: hash chains, cached balances, zero sums. Exits 1 on the first bad row."""
    # One consistent view, however many postings happen meanwhile.
    with snapshot():
        if incremental:
            result = verify_appended()
        else:
            total = count_transfers()
            with click.progressbar(length=total, label="verifying transfers", file=sys.stderr) as bar:
                result = verify_ledger(progress=bar.update)
    if not no_record:
        with transaction():
            record_verification(result)
    if not result.ok:
        click.echo(f"FAILED: {result.problem}")
        sys.exit(1)
    what = "transfers appended since the last verification" if result.mode == "incremental" else "transfers"
    click.echo(
        f"OK: {result.transfers} {what} in {result.communities} communities, {result.accounts} accounts; "
        "every chain, cached balance and zero sum checks out"
    )
    click.echo(f"{result.mode}: {result.seconds:.2f} s, {result.rows_per_second} rows per second")
    click.echo("chain heads (note these down outside the database):")
    names = community_names(list(result.heads))
    for community_id, head in sorted(result.heads.items()):
        label = f"{names.get(community_id, '')} (community {community_id})".strip()
        click.echo(f"  {label}: seq {head['seq']} {head['hash']}")
