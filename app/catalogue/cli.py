"""`flask catalogue sync`: load the option catalogue data file into the database."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db

catalogue_cli = AppGroup("catalogue", help="The treatment-option catalogue.")


@catalogue_cli.command("sync")
def sync_command():
    """Load app/clinical/catalogue.toml; changed options get a new version."""
    from app.catalogue.services import sync_catalogue

    report = sync_catalogue()
    db.session.commit()
    click.echo(
        f"Catalogue: {len(report.added)} added, {len(report.new_versions)} new versions"
        f" ({', '.join(report.new_versions) or 'none'}), {report.unchanged} unchanged."
    )
