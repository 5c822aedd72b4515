"""onboarding: the inbox (notices), self-registration (consents, phone codes, people awaiting confirmation), roster imports, family proxies

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTICE_KINDS = (
    "dispatch_offered",
    "claim_verified",
    "claim_rejected",
    "award_approved",
    "award_rejected",
    "demand_accepted",
    "demand_declined",
    "demand_done",
    "voucher_ready",
    "registration_confirmed",
    "registration_declined",
    "account_confirmed",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("ref_type", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("kind", NOTICE_KINDS), name=op.f("ck_notices_kind")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_notices_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_person_id_id", "notices", ["person_id", "id"])
    op.create_index(
        "ix_notices_unread",
        "notices",
        ["person_id"],
        sqlite_where=sa.text("read_at IS NULL"),
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index("ix_notices_read_at", "notices", ["read_at"])
    op.create_index(
        "ix_notices_undelivered",
        "notices",
        ["id"],
        sqlite_where=sa.text("delivered_at IS NULL"),
        postgresql_where=sa.text("delivered_at IS NULL"),
    )

    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("consent_version", sa.String(length=20), nullable=True))
        batch.add_column(
            sa.Column("needs_confirmation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_consents_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_person_id", "consents", ["person_id"])
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_verification_codes_attempts_nonnegative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
    )
    op.create_index("ix_verification_codes_phone_id", "verification_codes", ["phone", "id"])
    op.create_index("ix_verification_codes_expires_at", "verification_codes", ["expires_at"])
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["org_nodes.id"], name=op.f("fk_roster_imports_community_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["people.id"], name=op.f("fk_roster_imports_uploaded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_imports")),
    )
    op.create_index("ix_roster_imports_community_id", "roster_imports", ["community_id"])
    live = "state IN ('pending', 'active')"
    op.create_table(
        "proxy_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proxy_id", sa.Integer(), nullable=False),
        sa.Column("relative_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_kind", sa.String(length=12), nullable=True),
        sa.Column("check_note", sa.String(length=200), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'active', 'ended')", name=op.f("ck_proxy_links_state")),
        sa.CheckConstraint(
            "check_kind IS NULL OR check_kind IN ('member_card', 'id_card')",
            name=op.f("ck_proxy_links_check_kind"),
        ),
        sa.CheckConstraint("proxy_id <> relative_id", name=op.f("ck_proxy_links_two_people")),
        sa.ForeignKeyConstraint(["proxy_id"], ["people.id"], name=op.f("fk_proxy_links_proxy_id_people")),
        sa.ForeignKeyConstraint(
            ["relative_id"], ["people.id"], name=op.f("fk_proxy_links_relative_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["people.id"], name=op.f("fk_proxy_links_confirmed_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["ended_by_id"], ["people.id"], name=op.f("fk_proxy_links_ended_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxy_links")),
    )
    op.create_index("ix_proxy_links_proxy_id", "proxy_links", ["proxy_id"])
    op.create_index("ix_proxy_links_relative_id", "proxy_links", ["relative_id"])
    op.create_index(
        "uq_proxy_links_live",
        "proxy_links",
        ["proxy_id", "relative_id"],
        unique=True,
        sqlite_where=sa.text(live),
        postgresql_where=sa.text(live),
    )
    op.create_table(
        "proxy_acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("proxy_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_proxy_acts_person_id_people")),
        sa.ForeignKeyConstraint(["proxy_id"], ["people.id"], name=op.f("fk_proxy_acts_proxy_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxy_acts")),
    )
    op.create_index("ix_proxy_acts_target", "proxy_acts", ["target_type", "target_id"])
    op.create_index("ix_proxy_acts_proxy_id", "proxy_acts", ["proxy_id"])


def downgrade() -> None:
    op.drop_table("proxy_acts")
    op.drop_table("proxy_links")
    op.drop_table("roster_imports")
    op.drop_table("verification_codes")
    op.drop_table("consents")
    op.drop_table("notices")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("closed_at")
        batch.drop_column("needs_confirmation")
        batch.drop_column("consent_version")
