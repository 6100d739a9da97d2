"""several mailboxes: where each ticket and message came in; mailbox health; login failures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_at'), ['at'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox', sa.String(length=100), nullable=False,
                                      server_default=sa.text("''")))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox', sa.String(length=100), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.create_index('ix_tickets_due_id', ['due_on', 'id'], unique=False)
        batch_op.create_index('ix_tickets_language', ['language'], unique=False)
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=100), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('watched_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failing_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('login_failed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('token_expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('alerts_sent', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade() -> None:
    op.drop_table('login_failures')
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        for column in ('alerts_sent', 'token_expires_at', 'login_failed', 'last_error',
                       'failing_since', 'last_attempt_at', 'watched_since', 'label'):
            batch_op.drop_column(column)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_language')
        batch_op.drop_index('ix_tickets_due_id')
        batch_op.drop_column('mailbox')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('mailbox')
