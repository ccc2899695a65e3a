"""photo thumbnails: a thumbnail file beside each delivery photo

Revision ID: c121534faa09
Revises: 6d6edba19973
Create Date: 2026-12-01 12:00:00.000000

Photos stored before this have no thumbnail (NULL): the pages show the photo itself for them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c121534faa09'
down_revision = '6d6edba19973'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('session_photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thumb_name', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_session_photo_thumb_name'),
                                          ['thumb_name'])


def downgrade():
    with op.batch_alter_table('session_photo', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_session_photo_thumb_name'), type_='unique')
        batch_op.drop_column('thumb_name')
