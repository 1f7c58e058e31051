"""Follow-up actions: who marked each done, and when

Actions already marked done keep their state; who and when were not recorded before, so they
stay empty for them.

Revision ID: 172119bc8db7
Revises: 2d27b4c76deb
Create Date: 2026-11-27 07:46:55.411567

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '172119bc8db7'
down_revision = '2d27b4c76deb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('done_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_plan_action_done_by_id_user_account'), 'user_account', ['done_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('plan_action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_action_done_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('done_by_id')
        batch_op.drop_column('done_at')
