"""Listings: a device offered for sale, loan or donation.

The catalogue is the most-read part of Relife, so a listing carries a snapshot of what the
search filters on and what a result card shows (kind, make/model, CPU, RAM, storage, grades,
battery health, findings, remaining life, the owner's kind and department). The service keeps
it in sync (``service.sync_from_device``); the composite, partial indexes below match the
search's sort keys so a keyset page is an index range scan whatever the table's size.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, UTCDateTime, intpk, utcnow
from marketplace.devices.models import CosmeticGrade, Device, DeviceKind
from marketplace.members.models import Organisation, OrganisationKind


class ListingMode(enum.StrEnum):
    SALE = "sale"
    LOAN = "loan"
    DONATION = "donation"


class ListingStatus(enum.StrEnum):
    ACTIVE = "active"  # on offer (a live reservation may hold it)
    #: Out of the catalogue because its device stopped being listable (an unerased disk, a failing
    #: grade, an incomplete diagnosis): ``suspended_reason`` says why; it comes back by itself once
    #: the device is listable again (``service.follow_device``).
    SUSPENDED = "suspended"
    CLOSED = "closed"  # sold / donated / ended
    WITHDRAWN = "withdrawn"


#: Statuses of a listing that still belongs to its device (at most one per device).
OPEN_STATUSES = (ListingStatus.ACTIVE, ListingStatus.SUSPENDED)


class Visibility(enum.StrEnum):
    MEMBERS = "members"  # cluster members only
    PUBLIC = "public"


#: Health grades best first (DESIGN §2.2); ``grade_rank`` stores the position so "at least B"
#: is ``grade_rank <= 2`` and the grade sort is an index order.
#: Donations go to these organisation kinds unless the listing says otherwise.
DEFAULT_DONATION_KINDS = (OrganisationKind.NONPROFIT, OrganisationKind.PUBLIC_BODY, OrganisationKind.UNIVERSITY)

GRADE_RANKS = {"A": 1, "B": 2, "C": 3, "D": 4, "F": 5}
UNGRADED_RANK = 9

_ACTIVE = sa.text("status = 'active'")


def _search_index(name: str, *columns: str) -> sa.Index:
    """A partial index over active listings only: withdrawn and closed ones never slow a search."""
    return sa.Index(name, *columns, postgresql_where=_ACTIVE, sqlite_where=_ACTIVE)


class Listing(TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        sa.CheckConstraint("price_cents IS NULL OR price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("deposit_cents IS NULL OR deposit_cents >= 0", name="deposit_not_negative"),
        sa.CheckConstraint("mode <> 'sale' OR price_cents IS NOT NULL", name="sale_has_price"),
        sa.CheckConstraint("min_days IS NULL OR max_days IS NULL OR min_days <= max_days", name="loan_days_ordered"),
        # One active listing per device, whatever the race (the service checks first for a clear 409).
        sa.Index(
            "uq_listings_device_id_active",
            "device_id",
            unique=True,
            postgresql_where=_ACTIVE,
            sqlite_where=_ACTIVE,
        ),
        # Sort keys, for anonymous callers (public only) and for members (every visibility).
        _search_index("ix_listings_active_visibility_price", "visibility", "search_price_cents", "id"),
        _search_index("ix_listings_active_price", "search_price_cents", "id"),
        _search_index("ix_listings_active_visibility_grade", "visibility", "grade_rank", "id"),
        _search_index("ix_listings_active_grade", "grade_rank", "id"),
        _search_index("ix_listings_active_visibility_newest", "visibility", "id"),
        # Filters a buyer often starts from, with the price sort: loans and donations (price 0)
        # would otherwise be scanned through before the first sale when filtering on mode=sale.
        _search_index("ix_listings_active_department_price", "department", "search_price_cents", "id"),
        _search_index("ix_listings_active_visibility_mode_price", "visibility", "mode", "search_price_cents", "id"),
        _search_index("ix_listings_active_visibility_kind_price", "visibility", "kind", "search_price_cents", "id"),
        # The facet counts (``search.facets``): every column they group by, in their GROUP BY order,
        # then grade_rank (the min_grade filter), so counting reads this index alone (an index-only
        # scan, already sorted) instead of the table.
        _search_index("ix_listings_active_facets", "visibility", "kind", "mode", "grade", "department", "grade_rank"),
        # Text search on make/model/CPU: trigram GIN on PostgreSQL (substring match, any case);
        # on SQLite the FTS5 table ``listings_fts`` does it and this index is empty (WHERE 0).
        sa.Index(
            "ix_listings_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=sa.text("0"),
        ),
    )

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("devices.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    mode: Mapped[ListingMode]
    status: Mapped[ListingStatus] = mapped_column(default=ListingStatus.ACTIVE)
    visibility: Mapped[Visibility] = mapped_column(default=Visibility.MEMBERS)
    price_cents: Mapped[int | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR", server_default="EUR")
    warranty_months: Mapped[int | None]
    #: Sales: days after handover in which the buyer may send the device back (null: 30); 0 to 365
    #: (the API schema: a check constraint would need a table rebuild on SQLite, losing the FTS triggers).
    return_days: Mapped[int | None]
    min_days: Mapped[int | None]
    max_days: Mapped[int | None]
    deposit_cents: Mapped[int | None]
    #: Organisation kinds a donation may go to (e.g. ["nonprofit", "public_body"]).
    eligible_kinds: Mapped[list[str] | None]
    postcode: Mapped[str] = mapped_column(sa.String(5))
    department: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    withdrawn_at: Mapped[dt.datetime | None]
    #: Why the listing is suspended, in plain words for its seller (None unless suspended).
    suspended_reason: Mapped[str | None] = mapped_column(sa.Text)
    suspended_at: Mapped[dt.datetime | None]

    # --- Snapshot of the device and its owner, for search and result cards -----------------
    # Written only by ``service.sync_from_device``; never set from request data.
    kind: Mapped[DeviceKind] = mapped_column(server_default=DeviceKind.OTHER.value)
    make: Mapped[str] = mapped_column(sa.String(120), server_default="")
    model: Mapped[str] = mapped_column(sa.String(200), server_default="")
    cpu: Mapped[str | None] = mapped_column(sa.String(200))
    ram_gb: Mapped[float | None]
    storage_gb: Mapped[float | None]
    health: Mapped[str | None] = mapped_column(sa.String(16))
    grade: Mapped[str | None] = mapped_column(sa.String(1))
    grade_rank: Mapped[int] = mapped_column(sa.SmallInteger, server_default=str(UNGRADED_RANK))
    cosmetic_grade: Mapped[CosmeticGrade | None]
    battery_health_pct: Mapped[float | None]
    specs: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    remaining_life: Mapped[dict[str, Any] | None]
    #: The few findings a buyer should read (code, severity, summary), worst first.
    key_findings: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    organisation_kind: Mapped[OrganisationKind] = mapped_column(server_default=OrganisationKind.COMPANY.value)
    #: What the taker pays: the sale price, 0 for loans and donations (deposits are refunded).
    search_price_cents: Mapped[int] = mapped_column(server_default="0")
    #: Lower-cased "make model cpu", the text the ``q`` filter searches.
    search_text: Mapped[str] = mapped_column(sa.String(600), server_default="")

    device: Mapped[Device] = relationship()
    organisation: Mapped[Organisation] = relationship()

    def search_price(self) -> int:
        """``search_price_cents`` from the terms: written by ``listability.follow.sync_from_device``
        and by every change of the terms."""
        return self.price_cents if self.mode is ListingMode.SALE and self.price_cents else 0
