"""reference stamp: a second change counter for the data orders are checked against

Revision ID: 9b4d2f6e1a07
Revises: 5c7e2a91d4b3
Create Date: 2026-12-01 15:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9b4d2f6e1a07'
down_revision = '5c7e2a91d4b3'
branch_labels = None
depends_on = None


def upgrade():
    # Row 2 counts changes to topics, places, blackouts, holiday overrides and the film season
    # (services/reference.py caches them per process while it stands still).
    op.execute("INSERT INTO change_stamp (id, value) VALUES (2, 0)")


def downgrade():
    op.execute("DELETE FROM change_stamp WHERE id = 2")
