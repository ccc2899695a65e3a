"""notification delivery: claim, backoff, last error and text; in-app notices; scheduler lease

Revision ID: e3a91f0c7b25
Revises: b71c2e9d4a10
Create Date: 2026-12-02 10:00:00.000000

Existing notifications keep their status; NULL next_attempt_at means "due now".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3a91f0c7b25'
down_revision = 'b71c2e9d4a10'  # after the rate-limit counter (one head)
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('text', sa.String(length=400), server_default='',
                                      nullable=False))
        batch_op.create_index('ix_notification_due', ['status', 'next_attempt_at'], unique=False)

    op.create_table(
        'notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('text', sa.String(length=400), nullable=False),
        sa.Column('order_code', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notification.id'],
                                name=op.f('fk_notice_notification_id_notification'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notice_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
        sa.UniqueConstraint('notification_id', 'user_id', name='notice_once_per_user'),
    )
    op.create_index('ix_notice_unread', 'notice', ['user_id', 'read_at'], unique=False)
    op.create_table(
        'scheduler_lease',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('holder', sa.String(length=80), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_lease')),
    )


def downgrade():
    op.drop_table('scheduler_lease')
    op.drop_index('ix_notice_unread', table_name='notice')
    op.drop_table('notice')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_due')
        batch_op.drop_column('text')
        batch_op.drop_column('last_error')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('next_attempt_at')

