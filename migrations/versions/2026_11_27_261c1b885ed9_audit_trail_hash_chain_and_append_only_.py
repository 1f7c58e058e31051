"""Audit trail: hash chain and append-only triggers

Each audit event gains its place in a hash chain, the previous event's hash and its own
(app/audit/chain.py); the chain's head is one row of `audit_head`. Triggers refuse UPDATE and
DELETE of audit events and their patient links on both databases, except filling in an event's
chain fields once, and deletions while `audit_maintenance` holds a row (an administrator's
retention purge). Events recorded before this migration stay outside the chain.

Revision ID: 261c1b885ed9
Revises: 855eba3281bf
Create Date: 2026-11-27 05:52:28.523309

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '261c1b885ed9'
down_revision = '855eba3281bf'
branch_labels = None
depends_on = None

REFUSED = "the audit trail is append-only"
# What may change in an audit event after its INSERT: its chain fields, once.
UNCHANGED = (
    "id", "created_at", "user_id", "action", "entity_type", "entity_id", "patient_id",
    "remote_addr",
)  # fmt: skip

POSTGRES_FUNCTIONS = f"""
CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL
     AND ({", ".join(f"NEW.{c}" for c in UNCHANGED)}) IS NOT DISTINCT FROM
         ({", ".join(f"OLD.{c}" for c in UNCHANGED)})
     AND NEW.detail::text IS NOT DISTINCT FROM OLD.detail::text THEN
    RETURN NEW;
  END IF;
  IF TG_OP IN ('DELETE', 'TRUNCATE') AND EXISTS (SELECT 1 FROM audit_maintenance) THEN
    RETURN COALESCE(OLD, NEW);
  END IF;
  RAISE EXCEPTION '{REFUSED}';
END $$;
CREATE FUNCTION audit_link_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') AND EXISTS (SELECT 1 FROM audit_maintenance) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '{REFUSED}';
END $$;
"""
POSTGRES_TRIGGERS = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION audit_event_guard();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_link_guard();
CREATE TRIGGER audit_event_patient_append_only BEFORE UPDATE OR DELETE ON audit_event_patient
  FOR EACH ROW EXECUTE FUNCTION audit_link_guard();
CREATE TRIGGER audit_event_patient_no_truncate BEFORE TRUNCATE ON audit_event_patient
  FOR EACH STATEMENT EXECUTE FUNCTION audit_link_guard();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event;
DROP TRIGGER IF EXISTS audit_event_patient_append_only ON audit_event_patient;
DROP TRIGGER IF EXISTS audit_event_patient_no_truncate ON audit_event_patient;
DROP FUNCTION IF EXISTS audit_event_guard();
DROP FUNCTION IF EXISTS audit_link_guard();
"""

_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in (*UNCHANGED, "detail"))
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
    WHEN NOT (OLD.hash IS NULL AND NEW.hash IS NOT NULL AND {_SAME})
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER audit_event_patient_append_only BEFORE UPDATE ON audit_event_patient
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
    f"""CREATE TRIGGER audit_event_patient_no_delete BEFORE DELETE ON audit_event_patient
    WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance)
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS audit_event_append_only",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_patient_append_only",
    "DROP TRIGGER IF EXISTS audit_event_patient_no_delete",
)


@contextmanager
def _rebuilding_referenced_tables():
    """On SQLite, let batch mode rebuild audit_event, which audit_event_patient refers to
    (foreign keys suspended for the rebuild, then checked)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"broken references after the rebuild: {broken}")
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")


def upgrade():
    # The rebuild first: SQLite suspends foreign keys only before the migration writes a row.
    with _rebuilding_referenced_tables():
        with op.batch_alter_table('audit_event', schema=None) as batch_op:
            batch_op.add_column(sa.Column('chain_seq', sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(
                batch_op.f('uq_audit_event_chain_seq'), ['chain_seq']
            )
    op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')),
    )
    op.create_table(
        'audit_maintenance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_maintenance')),
    )
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '')")
    _create_triggers()


def downgrade():
    _drop_triggers()
    with _rebuilding_referenced_tables():
        with op.batch_alter_table('audit_event', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('uq_audit_event_chain_seq'), type_='unique')
            batch_op.drop_column('hash')
            batch_op.drop_column('prev_hash')
            batch_op.drop_column('chain_seq')
    op.drop_table('audit_maintenance')
    op.drop_table('audit_head')


def _create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTIONS)
        op.execute(POSTGRES_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_DROP)
    else:
        for statement in SQLITE_DROP:
            op.execute(statement)
