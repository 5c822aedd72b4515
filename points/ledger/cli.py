"""`flask points verify`: recompute the chain and balances and report."""

from __future__ import annotations

import click


@click.command("verify")
def verify_command() -> None:
    """Verify the ledger."""
    click.echo("verify")
