"""`flask users ...`: manage members from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.accounts.passwords import MIN_PASSWORD_LENGTH
from app.accounts.services import create_member, find_by_username
from app.clinical.vocabulary import SPECIALTIES
from app.extensions import db

users_cli = AppGroup("users", help="Manage team members.")


def _read_password(from_stdin: bool) -> str:
    """Read the password from stdin or a hidden prompt: never from the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name shown to the team.")
@click.option("--specialty", type=click.Choice(list(SPECIALTIES)), default=None)
@click.option("--admin", is_flag=True, help="May manage members and see the audit trail.")
@click.option("--coordinator", is_flag=True, help="May schedule meetings and build agendas.")
@click.option("--email", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(username, full_name, specialty, admin, coordinator, email, password_stdin):
    """Create a member; the password comes from stdin or a prompt."""
    if find_by_username(username):
        raise click.ClickException(f"A member with username {username!r} already exists.")
    password = _read_password(password_stdin)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    create_member(
        username=username,
        full_name=full_name,
        password=password,
        specialty=specialty,
        is_admin=admin,
        is_coordinator=coordinator,
        email=email,
    )
    db.session.commit()
    click.echo(f"Created member {username}.")
