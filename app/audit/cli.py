"""`flask audit verify`: check the audit trail's hash chain."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.audit import chain
from app.extensions import db

audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def verify_command():
    """Walk the hash chain; report every edited, deleted or out-of-chain event."""
    problems = chain.verify(db.session)
    if problems:
        for problem in problems:
            where = f"event {problem.event_id}" if problem.event_id is not None else "the chain"
            click.echo(f"{where}: {problem.what}", err=True)
        raise click.ClickException(f"The audit trail has been tampered with ({len(problems)}).")
    head = db.session.get(chain.AuditHead, 1)
    click.echo(f"The audit trail is intact: {head.seq if head else 0} chained events.")
