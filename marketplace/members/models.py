"""Users, organisations, memberships and API tokens."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, TimestampMixin, intpk


class OrganisationKind(enum.StrEnum):
    COMPANY = "company"
    UNIVERSITY = "university"
    PUBLIC_BODY = "public_body"
    NONPROFIT = "nonprofit"
    REFURBISHER = "refurbisher"


class VatRegime(enum.StrEnum):
    """How an organisation's sales bear VAT (what its invoices must say, documents.invoices)."""

    STANDARD = "standard"  # liable, standard rate (20 %) shown on the invoice
    MARGIN = "margin"  # second-hand goods dealer: VAT on the margin (CGI art. 297 A), not shown
    NOT_LIABLE = "not_liable"  # franchise en base (CGI art. 293 B) or outside VAT (most non-profits)


class Role(enum.StrEnum):
    ADMIN = "admin"
    LISTER = "lister"
    TECHNICIAN = "technician"
    MEMBER = "member"


class TokenKind(enum.StrEnum):
    PERSONAL = "personal"
    BENCH = "bench"
    #: The server side of a browser's session cookie (``web.sessions``): never a bearer token.
    SESSION = "session"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_staff: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: The language of what we write to them (emails): "fr" (default) or "en".
    language: Mapped[str] = mapped_column(sa.String(8), default="fr", server_default="fr")
    email_verified_at: Mapped[dt.datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class Organisation(TimestampMixin, Base):
    __tablename__ = "organisations"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganisationKind]
    siret: Mapped[str] = mapped_column(sa.String(14), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    postcode: Mapped[str] = mapped_column(sa.String(5))
    department: Mapped[str] = mapped_column(sa.String(3), index=True)
    city: Mapped[str | None] = mapped_column(sa.String(120))
    invoice_allowed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(64))
    vat_regime: Mapped[VatRegime] = mapped_column(default=VatRegime.STANDARD, server_default="standard")

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")


class Membership(TimestampMixin, Base):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role]

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class ApiToken(TimestampMixin, Base):
    """An opaque bearer token. Only its SHA-256 is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind IN ('personal', 'session') AND user_id IS NOT NULL)"
            " OR (kind = 'bench' AND organisation_id IS NOT NULL)",
            name="owner_matches_kind",
        ),
    )

    id: Mapped[intpk]
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))  # first characters, to recognise a token in lists
    kind: Mapped[TokenKind]
    name: Mapped[str | None] = mapped_column(sa.String(120))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    scopes: Mapped[list[str]]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation | None] = relationship()

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "prefix": self.prefix, "kind": self.kind.value}


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"


class Invitation(TimestampMixin, Base):
    """An offer of membership sent by email; the membership exists only once the invitee accepts."""

    __tablename__ = "invitations"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    role: Mapped[Role]
    status: Mapped[InvitationStatus] = mapped_column(default=InvitationStatus.PENDING)
    # In the signed link with the id: a new invitation to the same address gets a new one.
    nonce: Mapped[str] = mapped_column(sa.String(32))
    expires_at: Mapped[dt.datetime]
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation] = relationship()
