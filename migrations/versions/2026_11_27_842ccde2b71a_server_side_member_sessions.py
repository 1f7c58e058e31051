"""Server-side member sessions

Each login starts a row of member_session (the SHA-256 of the cookie's token, the absolute end);
logout, deactivation and a password reset end it, so a copied cookie is refused at once.

Revision ID: 842ccde2b71a
Revises: 261c1b885ed9
Create Date: 2026-11-27 05:55:54.561319

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '842ccde2b71a'
down_revision = '261c1b885ed9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_member_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_member_session_token_hash'))
    )
    with op.batch_alter_table('member_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_session_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('member_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_session_user_id'))

    op.drop_table('member_session')
