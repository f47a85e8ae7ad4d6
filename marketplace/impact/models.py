"""Impact factors: versioned data (managed by migrations), never constants hidden in code."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, intpk


class ImpactFactorSet(Base):
    """One published version of the factor table; the newest one is used by default."""

    __tablename__ = "impact_factor_sets"

    id: Mapped[intpk]
    version: Mapped[str] = mapped_column(sa.String(32), unique=True)
    published_on: Mapped[dt.date]
    method: Mapped[str] = mapped_column(sa.Text)


class ImpactFactor(Base):
    """Per device kind: manufacturing footprint, mass, and what a year of extra use avoids."""

    __tablename__ = "impact_factors"
    __table_args__ = (sa.UniqueConstraint("factor_set_id", "device_kind"),)

    id: Mapped[intpk]
    factor_set_id: Mapped[int] = mapped_column(sa.ForeignKey("impact_factor_sets.id", ondelete="CASCADE"))
    device_kind: Mapped[str] = mapped_column(sa.String(16))
    manufacturing_kg_co2e: Mapped[float]
    manufacturing_source: Mapped[str] = mapped_column(sa.Text)
    manufacturing_year: Mapped[int]
    reference_life_years: Mapped[float]
    reference_life_source: Mapped[str] = mapped_column(sa.Text)
    avoided_kg_co2e_per_year: Mapped[float]
    avoided_source: Mapped[str] = mapped_column(sa.Text)
    mass_kg: Mapped[float]
    mass_source: Mapped[str] = mapped_column(sa.Text)
    #: Years of extra use assumed for a reused device when its diagnostics give no estimate.
    default_extra_life_years: Mapped[float]
    extra_life_source: Mapped[str] = mapped_column(sa.Text)
