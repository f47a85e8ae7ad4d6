"""devices carry a public code

The unguessable code a device's label (QR code) and web page (``/d/<code>``) carry (issues #15
and #19). Existing devices get a fresh random code; the alphabet and length are those of
``marketplace/devices/codes.py``, restated here because a migration never imports the
application (it must replay the same way after the application changes).

Revision ID: c3a5f0d2e8b1
Revises: b7e4c2a9d513
Create Date: 2026-12-07 20:30:00
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3a5f0d2e8b1"
down_revision: str | Sequence[str] | None = "b7e4c2a9d513"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 10


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_code", sa.String(length=16), nullable=True))
    devices = sa.table("devices", sa.column("id", sa.Integer()), sa.column("public_code", sa.String()))
    connection = op.get_bind()
    ids = connection.scalars(sa.select(devices.c.id)).all()
    taken: set[str] = set()
    rows = []
    for device_id in ids:
        code = _new_code()
        while code in taken:
            code = _new_code()
        taken.add(code)
        rows.append({"device_id": device_id, "code": code})
    if rows:
        connection.execute(
            devices.update().where(devices.c.id == sa.bindparam("device_id")).values(public_code=sa.bindparam("code")),
            rows,
        )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.alter_column("public_code", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_devices_public_code"), ["public_code"])


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_devices_public_code"), type_="unique")
        batch_op.drop_column("public_code")


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
