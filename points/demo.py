"""Demo data: `flask points demo` loads a realistic community, idempotently."""

from __future__ import annotations

import click


@click.command("demo")
def demo_command() -> None:
    """Load demo data (safe to run twice)."""
    click.echo("demo data is not loaded yet")
