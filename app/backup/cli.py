"""`flask backup` and `flask restore`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from app.backup import services
from app.extensions import db


@click.command("backup")
@click.option("--to", "target", type=click.Path(path_type=Path), help="File to write.")
def backup_command(target: Path | None):
    """Copy the database, consistently, while the app keeps running."""
    url = db.engine.url
    target = target or services.default_target(Path(current_app.instance_path) / "backups", url)
    try:
        written = services.backup(url, target)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {written} ({written.stat().st_size} bytes).")


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(backup_file: Path, yes: bool):
    """Replace the database's contents with BACKUP_FILE. Stop the app first."""
    url = db.engine.url
    if not yes:
        click.confirm(
            f"Replace everything in {url.render_as_string(hide_password=True)} with "
            f"{backup_file}? The app must be stopped.",
            abort=True,
        )
    db.engine.dispose()
    try:
        services.restore(backup_file, url)
    except services.BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {backup_file}.")
