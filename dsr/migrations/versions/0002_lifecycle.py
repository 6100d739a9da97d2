"""lifecycle, identity, staff users, suppressions, feedback

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:59:16.013731
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('suppressions',
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('address')
    )
    op.create_table('verification_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    with op.batch_alter_table('verification_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_tokens_ticket_id'), ['ticket_id'],
                              unique=False)

    op.create_table('label_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('labels_before', sa.JSON(), nullable=False),
    sa.Column('labels_after', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('label_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_feedback_ticket_id'), ['ticket_id'],
                              unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statutory_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('clock_started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), nullable=False,
                                      server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('extension_months', sa.Integer(), nullable=False,
                                      server_default=sa.text("'0'")))
        batch_op.add_column(sa.Column('extension_reason', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('complaint_ack_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('identity_state', sa.String(length=20), nullable=False,
                                      server_default=sa.text("'unverified'")))
        batch_op.add_column(sa.Column('identity_verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('identity_note', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('signals', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('assignee', sa.String(length=100), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('outcome_reason', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_tickets_merged_into', 'tickets', ['merged_into_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tickets_merged_into', type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('outcome_reason')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('assignee')
        batch_op.drop_column('signals')
        batch_op.drop_column('identity_note')
        batch_op.drop_column('identity_verified_at')
        batch_op.drop_column('identity_state')
        batch_op.drop_column('complaint_ack_due_on')
        batch_op.drop_column('extension_reason')
        batch_op.drop_column('extension_months')
        batch_op.drop_column('paused_days')
        batch_op.drop_column('paused_since')
        batch_op.drop_column('clock_started_at')
        batch_op.drop_column('statutory_due_on')

    with op.batch_alter_table('label_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_feedback_ticket_id'))

    op.drop_table('label_feedback')
    with op.batch_alter_table('verification_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_tokens_ticket_id'))

    op.drop_table('verification_tokens')
    op.drop_table('suppressions')
    op.drop_table('staff_users')
