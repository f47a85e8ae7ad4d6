"""API shapes of users, tokens, organisations and memberships."""

from __future__ import annotations

from dataclasses import dataclass

import marshmallow as ma

from marketplace.api.smorest import Schema
from marketplace.members import passwords
from marketplace.members.models import InvitationStatus, Organisation, OrganisationKind, Role, TokenKind, VatRegime


class UserCreateSchema(Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(max=1024),
        # Enforced by members.service.register_user (a 422 on ``password``); stated here for clients.
        metadata={
            "minLength": passwords.MIN_PASSWORD_LENGTH,
            "description": f"At least {passwords.MIN_PASSWORD_LENGTH} characters (Unicode code points), at most "
            "1024; any characters, no composition rules (NIST SP 800-63B). Refused: a password of the shipped "
            "list of common and breached ones (also with digits or symbols added around it), a repetition of "
            f"fewer than {passwords.MIN_DISTINCT_CHARACTERS} different characters, one that is mostly your email "
            "or name. Stored only as an Argon2id hash.",
        },
    )
    display_name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    language = ma.fields.String(
        load_default="fr",
        validate=ma.validate.OneOf(["fr", "en"]),
        metadata={"description": "The language of the emails we send: fr (default) or en"},
    )
    invitation_token = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={
            "description": "The `token` of an invitation link sent to this email: the account joins the "
            "organisation with the invited role, and the address counts as confirmed"
        },
    )


class UserSchema(Schema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email()
    display_name = ma.fields.String()
    language = ma.fields.String()
    email_verified = ma.fields.Boolean(dump_only=True)
    is_staff = ma.fields.Boolean()
    created_at = ma.fields.AwareDateTime()


class TokenCreateSchema(Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(max=254))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=1024))


class IssuedTokenSchema(Schema):
    id = ma.fields.Integer(attribute="token.id")
    token = ma.fields.String(attribute="secret", metadata={"description": "Shown once; store it now."})
    kind = ma.fields.Enum(TokenKind, attribute="token.kind", by_value=True)
    name = ma.fields.String(attribute="token.name", allow_none=True)
    organisation_id = ma.fields.Integer(attribute="token.organisation_id", allow_none=True)
    scopes = ma.fields.List(ma.fields.String(), attribute="token.scopes")
    expires_at = ma.fields.AwareDateTime(attribute="token.expires_at")


class TokenSchema(Schema):
    id = ma.fields.Integer()
    prefix = ma.fields.String(metadata={"description": "The token's first characters, to recognise it"})
    name = ma.fields.String(allow_none=True)
    scopes = ma.fields.List(ma.fields.String())
    created_at = ma.fields.AwareDateTime()
    expires_at = ma.fields.AwareDateTime()
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class BenchTokenCreateSchema(Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    scopes = ma.fields.List(ma.fields.String(), load_default=lambda: ["diagnostics:upload"])


VAT_REGIME_DOC = (
    "What the organisation's invoices say about VAT: standard (20 %, shown; the default), margin (second-hand "
    "goods dealer, VAT on the margin, CGI art. 297 A) or not_liable (CGI art. 293 B, or outside VAT)"
)


class OrganisationCreateSchema(Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    kind = ma.fields.Enum(OrganisationKind, by_value=True, required=True)
    siret = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=20),
        metadata={
            "example": "73282932000074",
            "description": "14 ASCII digits 0-9 (spaces, dots or hyphens between groups are removed), checked "
            "as INSEE does, with python-stdnum: Luhn over the SIREN (digits 1-9) and over the SIRET, except "
            "La Poste's establishments (SIREN 356000000), whose digits sum to a multiple of 5. A wrong one is "
            "a 422 whose `errors.siret` names the wrong character or digit; one already registered is a 409.",
        },
    )
    postcode = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=5),
        metadata={
            "pattern": "^[0-9]{5}$",
            "example": "69007",
            "description": "A French postcode: 5 ASCII digits 0-9 (other scripts' digits are refused); "
            "the department is derived from it.",
        },
    )
    address = ma.fields.String(validate=ma.validate.Length(max=300), allow_none=True)
    city = ma.fields.String(validate=ma.validate.Length(max=120), allow_none=True)
    invoice_allowed = ma.fields.Boolean(allow_none=True)
    vat_regime = ma.fields.Enum(VatRegime, by_value=True, metadata={"description": VAT_REGIME_DOC})


@dataclass(frozen=True)
class PublicOrganisation:
    """What anyone may know of an organisation (the catalogue shows it). Dumped with
    ``OrganisationSchema``, whose other fields are then absent."""

    id: int
    name: str
    kind: OrganisationKind
    department: str

    @classmethod
    def of(cls, organisation: Organisation) -> PublicOrganisation:
        return cls(organisation.id, organisation.name, organisation.kind, organisation.department)


class OrganisationPublicSchema(Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.Enum(OrganisationKind, by_value=True)
    department = ma.fields.String()


class OrganisationSchema(OrganisationPublicSchema):
    """Full details for members and staff; the fields below are absent for others."""

    siret = ma.fields.String()
    postcode = ma.fields.String()
    address = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    invoice_allowed = ma.fields.Boolean()
    vat_regime = ma.fields.Enum(VatRegime, by_value=True, metadata={"description": VAT_REGIME_DOC})
    created_at = ma.fields.AwareDateTime()


class MembershipSchema(Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    organisation_name = ma.fields.String(attribute="organisation.name")
    user_id = ma.fields.Integer()
    email = ma.fields.String(attribute="user.email")
    display_name = ma.fields.String(attribute="user.display_name")
    role = ma.fields.Enum(Role, by_value=True)


class MeSchema(UserSchema):
    memberships = ma.fields.List(ma.fields.Nested(MembershipSchema))


class OrganisationListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(OrganisationSchema))
    next_cursor = ma.fields.String(allow_none=True)


class MembershipListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(MembershipSchema))
    next_cursor = ma.fields.String(allow_none=True)


class TokenListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(TokenSchema))
    next_cursor = ma.fields.String(allow_none=True)


class TokenConfirmSchema(Schema):
    token = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=2000),
        metadata={"description": "The `token` query parameter of the link in the email"},
    )


class PasswordResetRequestSchema(Schema):
    email = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=254))


class PasswordResetConfirmSchema(TokenConfirmSchema):
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(max=1024),
        metadata={"description": "The new password (the same rules as at registration)"},
    )


class PasswordChangeSchema(Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=1024))
    new_password = ma.fields.String(
        required=True,
        load_only=True,
        validate=ma.validate.Length(max=1024),
        metadata={"description": "The same rules as at registration"},
    )


class EmailChangeSchema(Schema):
    current_password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(max=1024))
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))


class MyTokenSchema(TokenSchema):
    kind = ma.fields.Enum(
        TokenKind, by_value=True, metadata={"description": "personal: a bearer token; session: a browser signed in"}
    )
    last_used_at = ma.fields.AwareDateTime(allow_none=True)


class MyTokenListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(MyTokenSchema))
    next_cursor = ma.fields.String(allow_none=True)


class InvitationCreateSchema(Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    role = ma.fields.Enum(Role, by_value=True, required=True)


class InvitationSchema(Schema):
    id = ma.fields.Integer()
    organisation_id = ma.fields.Integer()
    email = ma.fields.String()
    role = ma.fields.Enum(Role, by_value=True)
    status = ma.fields.Enum(InvitationStatus, by_value=True)
    expires_at = ma.fields.AwareDateTime()
    created_at = ma.fields.AwareDateTime()
    ended_at = ma.fields.AwareDateTime(allow_none=True)


class InvitationListSchema(Schema):
    items = ma.fields.List(ma.fields.Nested(InvitationSchema))
    next_cursor = ma.fields.String(allow_none=True)


class RoleChangeSchema(Schema):
    role = ma.fields.Enum(Role, by_value=True, required=True)


class OrganisationUpdateSchema(Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    postcode = ma.fields.String(
        validate=ma.validate.Length(max=5),
        metadata={"pattern": "^[0-9]{5}$", "description": "As at creation; the department follows it"},
    )
    address = ma.fields.String(validate=ma.validate.Length(max=300), allow_none=True)
    city = ma.fields.String(validate=ma.validate.Length(max=120), allow_none=True)
