"""HTTP routes of members and access: parse, call one service function, return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app
from flask.views import MethodView

from marketplace.api.context import client_address, current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.members import accounts, organisations, schemas, service
from marketplace.members.models import Invitation, Membership, Organisation, User
from marketplace.members.throttle import ActionThrottle

blp = Blueprint("members", __name__, url_prefix="/api/v1", description="Users, tokens and organisations")


def _config() -> Any:
    return current_app.config["RELIFE"]


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(schemas.UserCreateSchema)
    @blp.response(201, schemas.UserSchema)
    @blp.alt_response(409, description="Email already registered")
    @blp.alt_response(429, description="Too many registrations from this address (see Retry-After)")
    def post(self, data: dict[str, Any]) -> User:
        """Register a user account; a link to confirm the address is emailed"""
        _throttle().hit(
            "register", client_address(), per_hour=_config().registrations_per_hour,
            what="Too many accounts registered from your address",
        )  # fmt: skip
        session = current_session()
        invitation_token = data.pop("invitation_token", None)
        invitation = organisations.load_invitation(session, invitation_token, _links()) if invitation_token else None
        user = service.register_user(session, **data)
        if invitation is not None:
            organisations.accept(session, invitation, user)
        else:
            accounts.send_verification(session, user, _links())
        return user


@blp.route("/email-verifications/confirm")
class EmailVerificationConfirm(MethodView):
    @blp.arguments(schemas.TokenConfirmSchema)
    @blp.response(200, schemas.UserSchema)
    @blp.alt_response(409, description="The address is already confirmed (the link was used)")
    @blp.alt_response(422, description="The link is expired, altered, or for another address")
    def post(self, data: dict[str, Any]) -> User:
        """Confirm an email address with the token of the link we emailed"""
        return accounts.confirm_email(current_session(), data["token"], _links())


def _links() -> accounts.LinkSettings:
    return accounts.LinkSettings.from_config(_config())


def _throttle() -> ActionThrottle:
    throttle: ActionThrottle = current_app.extensions["relife.action_throttle"]
    return throttle


@blp.route("/email-verifications")
class EmailVerifications(MethodView):
    @blp.response(202)
    @blp.alt_response(409, description="The address is already confirmed")
    @blp.alt_response(429, description="Too many asked (see Retry-After)")
    def post(self) -> None:
        """Email the caller a new link to confirm their address"""
        accounts.resend_verification(
            current_session(), current_principal(), _links(), _throttle(), _config().verification_requests_per_hour
        )


@blp.route("/password-resets")
class PasswordResets(MethodView):
    @blp.arguments(schemas.PasswordResetRequestSchema)
    @blp.response(202)
    @blp.alt_response(429, description="Too many asked from this address or for this email (see Retry-After)")
    def post(self, data: dict[str, Any]) -> None:
        """Email a password-reset link; always 202, whether or not the address has an account"""
        config = _config()
        limits = accounts.ResetLimits(
            client_address(), config.reset_requests_per_hour, config.reset_requests_per_email_per_hour
        )
        accounts.request_password_reset(current_session(), data["email"], _links(), _throttle(), limits)


@blp.route("/password-resets/confirm")
class PasswordResetConfirm(MethodView):
    @blp.arguments(schemas.PasswordResetConfirmSchema)
    @blp.response(204)
    @blp.alt_response(409, description="The link was used, or the password changed since")
    @blp.alt_response(422, description="The link is expired or altered, or the password is refused")
    def post(self, data: dict[str, Any]) -> None:
        """Set a new password with the token of the emailed link; every session and token of the user ends"""
        accounts.confirm_password_reset(current_session(), data["token"], data["password"], _links())


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(schemas.PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(422, description="Wrong current password, or the new one is refused")
    def post(self, data: dict[str, Any]) -> None:
        """Change your password (give the current one); your other tokens are revoked"""
        accounts.change_password(
            current_session(), current_principal(), data["current_password"], data["new_password"], _throttle()
        )


@blp.route("/me/email")
class MyEmail(MethodView):
    @blp.arguments(schemas.EmailChangeSchema)
    @blp.response(200, schemas.UserSchema)
    @blp.alt_response(409, description="The address belongs to another account")
    @blp.alt_response(422, description="Wrong current password")
    def post(self, data: dict[str, Any]) -> User:
        """Change your email (give the current password); a link to confirm it is emailed there"""
        return accounts.change_email(
            current_session(), current_principal(), data["current_password"], data["email"], _links(), _throttle()
        )


@blp.route("/me/tokens")
class MyTokens(MethodView):
    @blp.response(200, schemas.MyTokenListSchema)
    def get(self) -> dict[str, Any]:
        """Your personal tokens and browser sessions still valid, newest first; never their secrets"""
        return {"items": accounts.list_my_tokens(current_session(), current_principal()), "next_cursor": None}


@blp.route("/me/tokens/<int:token_id>")
class MyTokenById(MethodView):
    @blp.response(204)
    @blp.alt_response(404, description="Not one of your tokens")
    def delete(self, token_id: int) -> None:
        """Revoke one of your personal tokens or browser sessions (signs that session out)"""
        accounts.revoke_my_token(current_session(), current_principal(), token_id)


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.arguments(schemas.TokenCreateSchema)
    @blp.response(201, schemas.IssuedTokenSchema)
    @blp.alt_response(401, description="Wrong email or password")
    @blp.alt_response(429, description="Too many attempts (see Retry-After)")
    def post(self, data: dict[str, Any]) -> service.IssuedToken:
        """Log in: exchange email and password for a personal bearer token"""
        return service.login(
            current_session(),
            email=data["email"],
            password=data["password"],
            client_address=client_address(),
            throttle=current_app.extensions["relife.throttle"],
            ttl=dt.timedelta(days=_config().token_ttl_days),
        )


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @blp.alt_response(401, description="No valid token")
    def delete(self) -> None:
        """Revoke the token used for this request"""
        service.revoke_current_token(current_session(), current_principal())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, schemas.MeSchema)
    @blp.alt_response(401, description="No valid token")
    def get(self) -> User:
        """The caller and their memberships"""
        return service.get_me(current_session(), current_principal())


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.response(200, schemas.OrganisationListSchema)
    def get(self) -> dict[str, Any]:
        """The caller's organisations (all of them for staff)"""
        items = service.list_my_organisations(current_session(), current_principal())
        return {"items": items, "next_cursor": None}

    @blp.arguments(schemas.OrganisationCreateSchema)
    @blp.response(201, schemas.OrganisationSchema)
    @blp.alt_response(409, description="SIRET already registered")
    def post(self, data: dict[str, Any]) -> Organisation:
        """Create an organisation; the caller becomes its admin"""
        return service.create_organisation(current_session(), current_principal(), **data)


@blp.route("/organisations/<int:organisation_id>")
class OrganisationById(MethodView):
    @blp.response(200, schemas.OrganisationSchema)
    @blp.alt_response(404, description="No such organisation")
    def get(self, organisation_id: int) -> Organisation | schemas.PublicOrganisation:
        """An organisation: full details for its members and staff, the public face for others"""
        organisation, full = service.get_organisation(current_session(), current_principal(), organisation_id)
        return organisation if full else schemas.PublicOrganisation.of(organisation)

    @blp.arguments(schemas.OrganisationUpdateSchema)
    @blp.response(200, schemas.OrganisationSchema)
    @blp.alt_response(403, description="Only the organisation's admins edit it")
    @blp.alt_response(404, description="No such organisation")
    def patch(self, data: dict[str, Any], organisation_id: int) -> Organisation:
        """Edit the organisation's profile: name, address, postcode, city (admins)"""
        return organisations.update_profile(current_session(), current_principal(), organisation_id, data)


@blp.route("/organisations/<int:organisation_id>/members")
class OrganisationMembers(MethodView):
    @blp.response(200, schemas.MembershipListSchema)
    def get(self, organisation_id: int) -> dict[str, Any]:
        """The organisation's members (members and staff only)"""
        items = service.list_members(current_session(), current_principal(), organisation_id)
        return {"items": items, "next_cursor": None}

    @blp.arguments(schemas.InvitationCreateSchema)
    @blp.response(202, schemas.InvitationSchema)
    @blp.alt_response(403, description="Only the organisation's admins invite")
    @blp.alt_response(409, description="The address already belongs to a member")
    def post(self, data: dict[str, Any], organisation_id: int) -> Invitation:
        """Ask a person to join with a role: sends an invitation, adds no one

        Membership needs the person's consent, so this route (kept for the clients that used it to
        add a registered user at once) no longer creates a membership: it does exactly what
        `POST /organisations/{id}/invitations` does and answers **202** with the pending invitation.
        The person becomes a member when they accept the emailed link (`POST /invitations/accept`,
        signed in with the invited address, or `invitation_token` when registering)."""
        return organisations.invite(
            current_session(), current_principal(), organisation_id, email=data["email"], role=data["role"],
            settings=_links(),
        )  # fmt: skip


@blp.route("/organisations/<int:organisation_id>/tokens")
class OrganisationTokens(MethodView):
    @blp.response(200, schemas.TokenListSchema)
    def get(self, organisation_id: int) -> dict[str, Any]:
        """The organisation's bench tokens (never their secrets)"""
        items = service.list_bench_tokens(current_session(), current_principal(), organisation_id)
        return {"items": items, "next_cursor": None}

    @blp.arguments(schemas.BenchTokenCreateSchema)
    @blp.response(201, schemas.IssuedTokenSchema)
    def post(self, data: dict[str, Any], organisation_id: int) -> service.IssuedToken:
        """Create a bench token (scope diagnostics:upload); the secret is shown once"""
        return service.create_bench_token(
            current_session(),
            current_principal(),
            organisation_id,
            name=data["name"],
            scopes=data["scopes"],
            ttl=dt.timedelta(days=_config().bench_token_ttl_days),
        )


@blp.route("/organisations/<int:organisation_id>/tokens/<int:token_id>")
class OrganisationTokenById(MethodView):
    @blp.response(204)
    def delete(self, organisation_id: int, token_id: int) -> None:
        """Revoke a bench token"""
        service.revoke_bench_token(current_session(), current_principal(), organisation_id, token_id)


@blp.route("/organisations/<int:organisation_id>/members/<int:user_id>")
class OrganisationMemberById(MethodView):
    @blp.arguments(schemas.RoleChangeSchema)
    @blp.response(200, schemas.MembershipSchema)
    @blp.alt_response(403, description="Only the organisation's admins change roles")
    @blp.alt_response(404, description="No such member")
    @blp.alt_response(409, description="The last admin would be demoted")
    def patch(self, data: dict[str, Any], organisation_id: int, user_id: int) -> Membership:
        """Change a member's role (admins); the organisation keeps at least one admin"""
        return organisations.change_role(current_session(), current_principal(), organisation_id, user_id, data["role"])

    @blp.response(204)
    @blp.alt_response(403, description="Only admins remove others; anyone may leave")
    @blp.alt_response(404, description="No such member")
    @blp.alt_response(409, description="The last admin cannot leave or be removed")
    def delete(self, organisation_id: int, user_id: int) -> None:
        """Remove a member (admins), or leave (your own user id); their bench tokens for the
        organisation are revoked and their live holds for it cancelled"""
        organisations.remove_member(current_session(), current_principal(), organisation_id, user_id)


@blp.route("/organisations/<int:organisation_id>/invitations")
class OrganisationInvitations(MethodView):
    @blp.response(200, schemas.InvitationListSchema)
    def get(self, organisation_id: int) -> dict[str, Any]:
        """The organisation's invitations, newest first (admins)"""
        items = organisations.list_invitations(current_session(), current_principal(), organisation_id)
        return {"items": items, "next_cursor": None}

    @blp.arguments(schemas.InvitationCreateSchema)
    @blp.response(201, schemas.InvitationSchema)
    @blp.alt_response(403, description="Only the organisation's admins invite")
    @blp.alt_response(409, description="The address already belongs to a member")
    def post(self, data: dict[str, Any], organisation_id: int) -> Invitation:
        """Invite an email address (with or without an account) to join with a role; a link is emailed"""
        return organisations.invite(
            current_session(), current_principal(), organisation_id, email=data["email"], role=data["role"],
            settings=_links(),
        )  # fmt: skip


@blp.route("/organisations/<int:organisation_id>/invitations/<int:invitation_id>")
class OrganisationInvitationById(MethodView):
    @blp.response(204)
    @blp.alt_response(404, description="No such invitation")
    @blp.alt_response(409, description="Already accepted or revoked")
    def delete(self, organisation_id: int, invitation_id: int) -> None:
        """Revoke a pending invitation (admins): its link stops working"""
        organisations.revoke_invitation(current_session(), current_principal(), organisation_id, invitation_id)


@blp.route("/invitations/accept")
class InvitationAccept(MethodView):
    @blp.arguments(schemas.TokenConfirmSchema)
    @blp.response(201, schemas.MembershipSchema)
    @blp.alt_response(403, description="The invitation was sent to another address")
    @blp.alt_response(409, description="Already accepted, revoked, or already a member")
    @blp.alt_response(422, description="The link is expired or altered")
    def post(self, data: dict[str, Any]) -> Membership:
        """Accept an invitation (signed in with the invited address; to register with it, pass
        `invitation_token` to POST /users instead)"""
        return organisations.accept_signed_in(current_session(), current_principal(), data["token"], _links())
