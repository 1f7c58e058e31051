"""`flask users ...`: manage members from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from app.accounts.passwords import password_problem
from app.accounts.services import list_members, register_member, username_problem, username_taken
from app.clinical.vocabulary import SPECIALTIES

users_cli = AppGroup("users", help="Manage team members.")


def _read_password(from_stdin: bool) -> str:
    """Read the password from stdin or a hidden prompt: never from the command line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name shown to the team.")
@click.option(
    "--specialty",
    type=click.Choice(list(SPECIALTIES)),
    default=None,
    help="Clinical specialty code; leave out for none.",
)
@click.option("--admin", is_flag=True, help="May manage members and see the audit trail.")
@click.option("--coordinator", is_flag=True, help="May schedule meetings and build agendas.")
@click.option("--email", default=None, help="Contact address (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_command(username, full_name, specialty, admin, coordinator, email, password_stdin):
    """Create a member; the password comes from stdin or a hidden prompt, never an argument."""
    if problem := username_problem(username):
        raise click.ClickException(problem)
    if not full_name.strip():
        raise click.ClickException("Give the member's full name with --name.")
    if username_taken(username):
        raise click.ClickException(f"A member with username {username.strip()!r} already exists.")
    password = _read_password(password_stdin)
    if problem := password_problem(password, username=username):
        raise click.ClickException(problem)
    member = register_member(
        username=username,
        full_name=full_name,
        password=password,
        specialty=specialty,
        is_admin=admin,
        is_coordinator=coordinator,
        email=email,
        source="command_line",
    )
    click.echo(f"Created member {member.username}.")


@users_cli.command("list")
def list_command():
    """List the members: username, name, specialty, permissions, active or not."""
    members = list_members()
    if not members:
        click.echo("No members yet. Add one with: flask users create USERNAME --name '...'")
        return
    rows = [("USERNAME", "NAME", "SPECIALTY", "PERMISSIONS", "STATUS")]
    for member in members:
        permissions = [
            name
            for name, held in (("admin", member.is_admin), ("coordinator", member.is_coordinator))
            if held
        ]
        rows.append(
            (
                member.username,
                member.full_name,
                member.specialty_label,
                ", ".join(permissions) or "—",
                "active" if member.is_active else "deactivated",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
