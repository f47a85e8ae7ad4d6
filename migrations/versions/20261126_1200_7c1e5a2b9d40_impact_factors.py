"""impact factors (versioned table, first data set)

Revision ID: 7c1e5a2b9d40
Revises: 404090641c97
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5a2b9d40"
down_revision: str | Sequence[str] | None = "404090641c97"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSION = "2026.1"
FOOTPRINT = "NegaOctet / Boavizta manufacturing footprint (as quoted in Relife DESIGN §3.5)"
ADEME = "ADEME 2022, refurbished-product study: ~27 kg CO2e avoided per year of extra use of a laptop"
DERIVED = "Relife method: manufacturing footprint ÷ reference lifetime"
LIFE_ASSUMED = "Relife assumption (laptop: 175 kg ÷ 27 kg/yr ≈ 6.5 years, implied by ADEME 2022)"
MASS = "Relife assumption: typical mass of the device kind (order of magnitude from manufacturer datasheets)"
EXTRA = "Relife assumption: one further use cycle when diagnostics give no remaining-life estimate"

# kind, manufacturing kg CO2e, reference life (years), mass kg, default extra life (years)
ROWS = [
    ("laptop", 175.0, 6.5, 2.0, 3.0),
    ("desktop", 277.0, 6.5, 8.0, 3.0),
    ("server", 3660.0, 6.0, 25.0, 3.0),
    ("screen", 65.0, 8.0, 5.0, 4.0),
    ("phone", 84.0, 4.0, 0.19, 2.0),
    ("tablet", 76.0, 5.0, 0.5, 2.0),
]


def upgrade() -> None:
    sets = op.create_table(
        "impact_factor_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factor_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_impact_factor_sets_version")),
    )
    factors = op.create_table(
        "impact_factors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("factor_set_id", sa.Integer(), nullable=False),
        sa.Column("device_kind", sa.String(length=16), nullable=False),
        sa.Column("manufacturing_kg_co2e", sa.Double(), nullable=False),
        sa.Column("manufacturing_source", sa.Text(), nullable=False),
        sa.Column("manufacturing_year", sa.Integer(), nullable=False),
        sa.Column("reference_life_years", sa.Double(), nullable=False),
        sa.Column("reference_life_source", sa.Text(), nullable=False),
        sa.Column("avoided_kg_co2e_per_year", sa.Double(), nullable=False),
        sa.Column("avoided_source", sa.Text(), nullable=False),
        sa.Column("mass_kg", sa.Double(), nullable=False),
        sa.Column("mass_source", sa.Text(), nullable=False),
        sa.Column("default_extra_life_years", sa.Double(), nullable=False),
        sa.Column("extra_life_source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["factor_set_id"],
            ["impact_factor_sets.id"],
            name=op.f("fk_impact_factors_factor_set_id_impact_factor_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factors")),
        sa.UniqueConstraint("factor_set_id", "device_kind", name=op.f("uq_impact_factors_factor_set_id_device_kind")),
    )
    op.bulk_insert(
        sets,
        [
            {
                "id": 1,
                "version": VERSION,
                "published_on": dt.date(2026, 11, 26),
                "method": "Avoided emissions per year of extra use = manufacturing footprint ÷ reference lifetime "
                "(the purchase of a new device is postponed); e-waste avoided = typical mass.",
            }
        ],
    )
    op.bulk_insert(
        factors,
        [
            {
                "factor_set_id": 1,
                "device_kind": kind,
                "manufacturing_kg_co2e": footprint,
                "manufacturing_source": FOOTPRINT,
                "manufacturing_year": 2022,
                "reference_life_years": life,
                "reference_life_source": LIFE_ASSUMED,
                "avoided_kg_co2e_per_year": 27.0 if kind == "laptop" else round(footprint / life, 1),
                "avoided_source": ADEME if kind == "laptop" else DERIVED,
                "mass_kg": mass,
                "mass_source": MASS,
                "default_extra_life_years": extra,
                "extra_life_source": EXTRA,
            }
            for kind, footprint, life, mass, extra in ROWS
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        # Explicit ids were inserted: move the sequence past them.
        op.execute("SELECT setval(pg_get_serial_sequence('impact_factor_sets', 'id'), 1)")


def downgrade() -> None:
    op.drop_table("impact_factors")
    op.drop_table("impact_factor_sets")
