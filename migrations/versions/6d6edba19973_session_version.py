"""session version: logout, password change and sign out everywhere end every session

Revision ID: 6d6edba19973
Revises: 0a374a9f18d1
Create Date: 2026-12-01 10:00:00.000000

Existing sessions and remember cookies carry the bare user id; the user loader now wants
"<id>:<version>", so every browser signs in once more after this upgrade. API tokens were
already stored as SHA-256 digests with an expiry; they stay valid.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d6edba19973'
down_revision = '0a374a9f18d1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default=sa.text('1'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
