"""campaigns and awareness days

Revision ID: 5c7e2a91d4b3
Revises: 71b696c0575d
Create Date: 2026-12-01 15:00:00.000000

awareness_day: the calendar of days that push demand (6·26, 12·2, 12·4 …), school-term starts
and harvest slowdowns, edited in the admin; seeded here with the well-known national days (a
frozen copy of domain/campaigns.py WELL_KNOWN: a migration never imports code that changes).
campaign: talks planned by a coordinator for chosen places in a date range; order.campaign_id
ties each order a campaign placed to it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c7e2a91d4b3'
down_revision = '71b696c0575d'
branch_labels = None
depends_on = None

WELL_KNOWN = [
    # name_zh, name_en, month, day, days, kind, topics
    ("中国人民警察节", "Chinese People's Police Day", 1, 10, 1, "awareness", ["anti_fraud", "two_cards"]),
    ("春季学期开学", "Spring term starts", 3, 1, 7, "term_start", ["campus_bullying", "traffic_safety"]),
    ("全民国家安全教育日", "National Security Education Day", 4, 15, 1, "awareness", ["anti_fraud", "two_cards"]),
    ("国际禁毒日", "International Day against Drug Abuse", 6, 26, 1, "awareness", ["drug_awareness"]),
    ("夏收农忙（请核实）", "Summer harvest (verify)", 7, 20, 40, "slowdown", []),
    ("秋季学期开学", "Autumn term starts", 9, 1, 7, "term_start", ["campus_bullying", "traffic_safety"]),
    ("全国消防日", "National Fire Day", 11, 9, 1, "awareness", []),
    ("全国交通安全日", "National Traffic Safety Day", 12, 2, 1, "awareness", ["traffic_safety"]),
    ("国家宪法日", "National Constitution Day", 12, 4, 1, "awareness", ["campus_bullying", "two_cards"]),
]


def upgrade():
    awareness_day = op.create_table('awareness_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=60), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), server_default='1', nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('day BETWEEN 1 AND 31', name=op.f('ck_awareness_day_day_range')),
    sa.CheckConstraint('days >= 1', name=op.f('ck_awareness_day_days_positive')),
    sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_awareness_day_month_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_awareness_day'))
    )
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('first', sa.Date(), nullable=False),
    sa.Column('last', sa.Date(), nullable=False),
    sa.Column('awareness_day_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.CheckConstraint('last >= first', name=op.f('ck_campaign_range_ordered')),
    sa.ForeignKeyConstraint(['awareness_day_id'], ['awareness_day.id'], name=op.f('fk_campaign_awareness_day_id_awareness_day'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_campaign_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_awareness_day_id'), ['awareness_day_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_order_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_order_campaign_id_campaign'), 'campaign', ['campaign_id'], ['id'])

    op.bulk_insert(awareness_day, [
        {"name_zh": zh, "name_en": en, "month": month, "day": day, "days": days, "kind": kind,
         "topics": topics, "active": True}
        for zh, en, month, day, days, kind, topics in WELL_KNOWN
    ])


def downgrade():
    with op.batch_alter_table('order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_order_campaign_id_campaign'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_order_campaign_id'))
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_created_at'))
        batch_op.drop_index(batch_op.f('ix_campaign_awareness_day_id'))

    op.drop_table('campaign')
    op.drop_table('awareness_day')
