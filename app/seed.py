"""`flask seed-demo`: a synthetic demo team and meetings (being built)."""

import click


@click.command("seed-demo")
def seed_demo_command():
    """Create the demo team, patients and meetings (idempotent)."""
