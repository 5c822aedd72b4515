"""unique role grants per scope and unique city names, NULL scopes included

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.drop_constraint("uq_role_grants_person_id_role_node_id_unit_id", type_="unique")
    op.create_index(
        "uq_role_grants_scope",
        "role_grants",
        ["person_id", "role", sa.text("coalesce(node_id, 0)"), sa.text("coalesce(unit_id, 0)")],
        unique=True,
    )
    with op.batch_alter_table("org_nodes") as batch_op:
        batch_op.drop_constraint("uq_org_nodes_parent_id_name", type_="unique")
    op.create_index(
        "uq_org_nodes_sibling_name", "org_nodes", [sa.text("coalesce(parent_id, 0)"), "name"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_org_nodes_sibling_name", table_name="org_nodes")
    with op.batch_alter_table("org_nodes") as batch_op:
        batch_op.create_unique_constraint("uq_org_nodes_parent_id_name", ["parent_id", "name"])
    op.drop_index("uq_role_grants_scope", table_name="role_grants")
    with op.batch_alter_table("role_grants") as batch_op:
        batch_op.create_unique_constraint(
            "uq_role_grants_person_id_role_node_id_unit_id", ["person_id", "role", "node_id", "unit_id"]
        )
