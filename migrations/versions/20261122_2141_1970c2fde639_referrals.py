"""referrals

Revision ID: 1970c2fde639
Revises: b2012ce1c014
Create Date: 2026-11-22 21:41:02.919153

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1970c2fde639'
down_revision = 'b2012ce1c014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_document_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_referral_document_counters_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_document_counters')),
    sa.UniqueConstraint('agency_id', 'year', name='uq_referral_document_counters_agency_year')
    )
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('sending_agency_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=False),
    sa.Column('receiving_agency_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('receiver_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'requested', 'received', 'accepted', 'rejected', 'in-progress', 'completed', 'cancelled', 'revoked', name='referral_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('source_type', sa.Enum('case', 'isp_item', 'action_item', name='referral_source', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_services', sa.Text(), nullable=False),
    sa.Column('main_problem', sa.Text(), nullable=False),
    sa.Column('service_history', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('shared_field_groups', sa.JSON(), nullable=False),
    sa.Column('eligibility_override_reason', sa.Text(), nullable=True),
    sa.Column('request_document_number', sa.String(length=260), nullable=True),
    sa.Column('reply_document_number', sa.String(length=260), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_due_on', sa.Date(), nullable=True),
    sa.Column('rejection_reason', sa.Enum('capacity_full', 'not_eligible', 'out_of_area', 'duplicate_service', 'client_declined', 'other', name='referral_rejection_reason', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('rejection_note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('result_report', sa.Text(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.Column('rerouted_from_id', sa.Integer(), nullable=True),
    sa.Column('overdue_reminders', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_referrals_client_id_clients')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_referrals_district_id_districts')),
    sa.ForeignKeyConstraint(['receiver_id'], ['people.id'], name=op.f('fk_referrals_receiver_id_people')),
    sa.ForeignKeyConstraint(['receiving_agency_id'], ['agencies.id'], name=op.f('fk_referrals_receiving_agency_id_agencies')),
    sa.ForeignKeyConstraint(['rerouted_from_id'], ['referrals.id'], name=op.f('fk_referrals_rerouted_from_id_referrals')),
    sa.ForeignKeyConstraint(['sender_id'], ['people.id'], name=op.f('fk_referrals_sender_id_people')),
    sa.ForeignKeyConstraint(['sending_agency_id'], ['agencies.id'], name=op.f('fk_referrals_sending_agency_id_agencies')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_referrals_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_district_id'), ['district_id'], unique=False)
        batch_op.create_index('ix_referrals_receiving_status', ['receiving_agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_response_due_on'), ['response_due_on'], unique=False)
        batch_op.create_index('ix_referrals_sending_status', ['sending_agency_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_status'), ['status'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_referral_events_actor_id_people')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_referral_events_agency_id_agencies')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events'))
    )
    with op.batch_alter_table('referral_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_events_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('request', 'reply', name='referral_letter_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document_number', sa.String(length=260), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('field_groups', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_letters_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_letters')),
    sa.UniqueConstraint('referral_id', 'kind', 'version', name='uq_referral_letters_referral_kind_version')
    )
    with op.batch_alter_table('referral_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_letters_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_linkages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('linked_on', sa.Date(), nullable=False),
    sa.Column('agency_name', sa.String(length=200), nullable=False),
    sa.Column('service_name', sa.String(length=200), nullable=False),
    sa.Column('need', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_linkages_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_linkages'))
    )
    with op.batch_alter_table('referral_linkages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_linkages_referral_id'), ['referral_id'], unique=True)


def downgrade():
    # Dropping a table drops its indexes on both backends.
    op.drop_table('referral_linkages')
    op.drop_table('referral_letters')
    op.drop_table('referral_events')
    op.drop_table('referrals')
    op.drop_table('referral_document_counters')
