"""Login throttling and password changes

Members gain a count of failed logins and the time their account is locked until, and a flag
an admin's password reset sets: the member chooses their own password at the next login.

Revision ID: 2d27b4c76deb
Revises: 842ccde2b71a
Create Date: 2026-11-27 05:58:17.751765

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '2d27b4c76deb'
down_revision = '842ccde2b71a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')

