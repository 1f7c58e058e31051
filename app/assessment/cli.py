"""`flask radiosensitivity seed`: load the radiosensitivity rows of REFERENCE §4 into the table."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db

radiosensitivity_cli = AppGroup("radiosensitivity", help="The site's radiosensitivity table.")


@radiosensitivity_cli.command("seed")
def seed_command():
    """Add the REFERENCE §4 rows the table lacks; rows already there (even edited) are kept."""
    from app.assessment.radiosensitivity import SEED_ROWS, seed_radiosensitivity

    added = seed_radiosensitivity()
    db.session.commit()
    click.echo(
        f"Radiosensitivity table: {len(added)} rows added, "
        f"{len(SEED_ROWS) - len(added)} already present."
    )
