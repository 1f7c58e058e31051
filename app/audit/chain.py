"""The audit trail's hash chain: every event carries the hash of the one before it.

When a transaction that recorded events commits, its events are appended to the chain in the
order they were recorded: the single `audit_head` row is updated first (that row lock lets one
transaction at a time extend the chain, and is taken last, so it never closes a deadlock), each
event gets the next place, the head's hash as `prev_hash`, and the SHA-256 of its own content and
that `prev_hash`. Editing an event changes its hash; deleting one leaves a gap; `verify` finds
both. The database refuses UPDATE and DELETE of events (triggers, in the migration), except
filling in the chain fields of an event once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, selectinload

from app.audit.models import AuditEvent, AuditHead

_PENDING = "audit_chain_pending"


def content_hash(event: AuditEvent, prev_hash: str, seq: int) -> str:
    """SHA-256 of the event's content, its place and the previous event's hash."""
    content = {
        "seq": seq,
        "prev": prev_hash,
        "created_at": event.created_at.isoformat() if event.created_at else None,
        "user_id": event.user_id,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "patient_id": event.patient_id,
        "patients": sorted(link.patient_id for link in event.patients),
        "detail": event.detail or {},
        "remote_addr": event.remote_addr,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def remember(session: Session, event: AuditEvent) -> None:
    """Chain `event` when its transaction commits (called by audit.services.record)."""
    session.info.setdefault(_PENDING, []).append(event)


@sa_event.listens_for(Session, "before_commit")
def _extend_chain(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    session.flush()  # every event inserted, with its patients
    # An event whose savepoint was rolled back is gone: it takes no place in the chain.
    pending = [event for event in pending if sa_inspect(event).persistent]
    if not pending:
        return
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + len(pending))
        .returning(AuditHead.seq, AuditHead.hash)
        .execution_options(synchronize_session=False)
    ).one()
    seq, prev_hash = head.seq - len(pending), head.hash
    for event in pending:
        seq += 1
        digest = content_hash(event, prev_hash, seq)
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == event.id)
            .values(chain_seq=seq, prev_hash=prev_hash, hash=digest)
            .execution_options(synchronize_session=False)
        )
        prev_hash = digest
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(hash=prev_hash)
        .execution_options(synchronize_session=False)
    )


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class Problem:
    event_id: int | None
    what: str


def verify(session: Session, batch: int = 1000) -> list[Problem]:
    """Walk the chain in order: every edited, deleted or out-of-chain event is a problem."""
    problems: list[Problem] = []
    expected_seq, prev_hash = 1, ""
    head = session.get(AuditHead, 1)
    for event in _chained(session, batch):
        if event.chain_seq != expected_seq:
            problems.append(
                Problem(
                    event.id,
                    f"events {expected_seq} to {event.chain_seq - 1} of the chain are missing "
                    "(deleted)",
                )
            )
        elif event.prev_hash != prev_hash:
            problems.append(Problem(event.id, "does not follow the event before it"))
        if event.hash != content_hash(event, event.prev_hash or "", event.chain_seq):
            problems.append(Problem(event.id, "was changed after it was recorded"))
        expected_seq, prev_hash = event.chain_seq + 1, event.hash
    if head is not None and head.seq != expected_seq - 1:
        problems.append(
            Problem(None, f"the chain ends at {expected_seq - 1}, its head says {head.seq}")
        )
    unchained = session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.chain_seq.is_(None))
        .where(
            AuditEvent.id > select(AuditEvent.id).where(AuditEvent.chain_seq == 1).scalar_subquery()
        )
        .limit(1)
    )
    if unchained is not None:
        problems.append(Problem(unchained, "was added outside the chain"))
    return problems


def _chained(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows: Iterable[AuditEvent] = session.scalars(
            select(AuditEvent)
            .options(selectinload(AuditEvent.patients))
            .where(AuditEvent.chain_seq > last)
            .order_by(AuditEvent.chain_seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].chain_seq
        session.expunge_all()


def ensure_head(session: Session) -> None:
    """The head row exists (the migration creates it; a fresh test schema too)."""
    if session.get(AuditHead, 1) is None:
        session.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')"))
