"""Seed complaint categories (投诉分类); configuration rows, editable later.

Revision ID: 0004
Revises: 0003
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CATEGORIES = [
    ("network", "网络信号", "Network and signal"),
    ("broadband", "宽带故障", "Broadband fault"),
    ("billing", "话费计费", "Billing and charges"),
    ("value_added", "增值业务扣费", "Value-added service charges"),
    ("plan", "套餐与业务办理", "Plans and orders"),
    ("service", "服务态度", "Service attitude"),
    ("terminal", "终端设备", "Handset and equipment"),
    ("store", "营业厅服务", "Store service"),
    ("other", "其他", "Other"),
]


def upgrade():
    table = sa.table(
        "complaint_categories",
        sa.column("id", sa.Uuid),
        sa.column("version", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("active", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if op.get_context().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        table,
        [
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"fieldbook:complaint-category:{code}"),
                "version": 1,
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for code, zh, en in CATEGORIES
        ],
    )


def downgrade():
    op.execute(sa.text("DELETE FROM complaint_categories"))
