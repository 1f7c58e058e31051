"""Live meeting: attendance, quorum, item discussion times, live version

Meetings gain their open and close times, the item under discussion, the specialties their
quorum needs and a live version; agenda items record where a deferred case went; plans keep the
reason for signing without a quorum.

Revision ID: 855eba3281bf
Revises: c2226445de05
Create Date: 2026-11-27 03:07:46.810081

"""

from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '855eba3281bf'
down_revision = 'c2226445de05'
branch_labels = None
depends_on = None

# Meetings that exist already need the quorum new ones get by default.
DEFAULT_REQUIRED_SPECIALTIES = (
    '["medical_oncology", "radiation_oncology", "interventional_radiology", "spine_surgery"]'
)


@contextmanager
def _rebuilding_referenced_tables():
    """On SQLite, let batch mode rebuild tables that other tables' rows refer to.

    A rebuild drops the old table; with foreign keys enforced that fails as soon as another
    table has rows pointing at it. Alembic runs each SQLite migration in its own transaction,
    so the pragma (ignored inside a transaction) takes effect here; the check afterwards
    proves no reference was broken.
    """
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
    op.create_table(
        'attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('guest_name', sa.String(length=200), nullable=True),
        sa.Column('specialty', sa.String(length=32), nullable=True),
        sa.Column('is_present', sa.Boolean(), nullable=False),
        sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meeting.id'], name=op.f('fk_attendance_meeting_id_meeting')
        ),
        sa.ForeignKeyConstraint(
            ['member_id'], ['user_account.id'], name=op.f('fk_attendance_member_id_user_account')
        ),
        sa.ForeignKeyConstraint(
            ['recorded_by_id'],
            ['user_account.id'],
            name=op.f('fk_attendance_recorded_by_id_user_account'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
        sa.UniqueConstraint(
            'meeting_id', 'member_id', name=op.f('uq_attendance_meeting_id_member_id')
        ),
    )
    op.create_index(op.f('ix_attendance_meeting_id'), 'attendance', ['meeting_id'], unique=False)

    with _rebuilding_referenced_tables():
        with op.batch_alter_table('agenda_item', schema=None) as batch_op:
            batch_op.add_column(sa.Column('deferred_to_meeting_id', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('defer_note', sa.Text(), nullable=True))
            batch_op.create_foreign_key(
                batch_op.f('fk_agenda_item_deferred_to_meeting_id_meeting'),
                'meeting',
                ['deferred_to_meeting_id'],
                ['id'],
            )

        with op.batch_alter_table('meeting', schema=None) as batch_op:
            # The default fills the meetings there are; new ones take the board's configuration.
            batch_op.add_column(
                sa.Column(
                    'required_specialties',
                    sa.JSON(),
                    server_default=DEFAULT_REQUIRED_SPECIALTIES,
                    nullable=False,
                )
            )
            batch_op.add_column(
                sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True)
            )
            batch_op.add_column(
                sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True)
            )
            batch_op.add_column(sa.Column('current_item_id', sa.Integer(), nullable=True))
            batch_op.add_column(
                sa.Column('live_version', sa.Integer(), server_default='0', nullable=False)
            )
            batch_op.create_foreign_key(
                batch_op.f('fk_meeting_current_item_id_agenda_item'),
                'agenda_item',
                ['current_item_id'],
                ['id'],
                ondelete='SET NULL',
                use_alter=True,
            )

        with op.batch_alter_table('meeting', schema=None) as batch_op:
            batch_op.alter_column('required_specialties', server_default=None)

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quorum_override_reason', sa.Text(), nullable=True))


def downgrade():
    with _rebuilding_referenced_tables():
        with op.batch_alter_table('plan', schema=None) as batch_op:
            batch_op.drop_column('quorum_override_reason')

        with op.batch_alter_table('meeting', schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f('fk_meeting_current_item_id_agenda_item'), type_='foreignkey'
            )
            batch_op.drop_column('live_version')
            batch_op.drop_column('current_item_id')
            batch_op.drop_column('closed_at')
            batch_op.drop_column('opened_at')
            batch_op.drop_column('required_specialties')

        with op.batch_alter_table('agenda_item', schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f('fk_agenda_item_deferred_to_meeting_id_meeting'), type_='foreignkey'
            )
            batch_op.drop_column('defer_note')
            batch_op.drop_column('deferred_to_meeting_id')

    op.drop_index(op.f('ix_attendance_meeting_id'), table_name='attendance')
    op.drop_table('attendance')
