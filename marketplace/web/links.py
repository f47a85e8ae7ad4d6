"""The pages our emails link to, each with a ``token=`` of the link (or an organisation's id):
confirming an address, a new password, accepting an invitation, and coming back from Stripe's
onboarding.

A GET never changes anything (mail scanners fetch links before people do): it shows the page and,
when there is something to do, a form whose button POSTs (with its CSRF token) to the same service
function as the API's endpoint: ``accounts.confirm_email``, ``accounts.confirm_password_reset``,
``organisations.accept_signed_in``, ``connect.start_onboarding``. The domain's refusals become a
page in plain words with the API's status (the request rolls back: a refused link changes nothing).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, request, url_for
from flask_babel import gettext as _

from marketplace.api.context import current_principal, current_session
from marketplace.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidState,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from marketplace.http import NO_STORE
from marketplace.members import accounts, organisations, passwords
from marketplace.members.access import Principal
from marketplace.members.models import Organisation, Role, User
from marketplace.payments import connect
from marketplace.payments.runtime import current_gateway
from marketplace.web import sessions
from marketplace.web.views import bp

MAX_TOKEN = 1024


def _page(template: str, status: int = 200, **values: Any) -> Response:
    """A page of a link: never stored by a cache (its URL carries the token; an invitation names
    people), whoever asks (``http.must_not_store`` leaves anonymous GETs cacheable)."""
    return sessions._page(template, status, dict([NO_STORE]), **values)


def _links() -> accounts.LinkSettings:
    return accounts.LinkSettings.from_config(current_app.config["RELIFE"])


def _token(source: Any) -> str:
    return str(source.get("token", "")).strip()[:MAX_TOKEN]


def _person() -> Principal | None:
    """The signed-in person's principal, or None (anonymous or a bench token)."""
    principal = current_principal()
    return principal if principal is not None and principal.is_person else None


def _link_refused(error: DomainError, *, used: str, expired: str, invalid: str) -> Response:
    """A refused link: used (409), expired or altered (422), in the page's language."""
    message = str(getattr(error, "detail", None) or error)
    if isinstance(error, InvalidState):
        status, title, text = 409, _("Link already used"), used
    elif "expired" in message:
        status, title, text = 422, _("Link expired"), expired
    else:
        status, title, text = 422, _("Link not valid"), invalid
    return _page("link.html", status, title=title, paragraphs=[text])


# --- confirming an email address ---------------------------------------------------------------


def _verify_refused(error: DomainError) -> Response:
    return _link_refused(
        error,
        used=_("This address is already confirmed: the link has been used. You can sign in."),
        expired=_("This link has expired. Sign in and ask for a new confirmation email from your account."),
        invalid=_(
            "This link is not valid: it was altered, cut short, or is for an address that is no longer "
            "this account's. Ask for a new confirmation email."
        ),
    )


@bp.get("/account/verify-email")
def verify_email_form() -> Response:
    token = _token(request.args)
    if not token:
        return _page("link.html", 400, title=_("Link not valid"), paragraphs=[_("This link has no token.")])
    return _page(
        "link.html",
        title=_("Confirm your email address"),
        paragraphs=[_("Press the button to confirm that this email address is yours.")],
        form={"action": url_for("web.verify_email"), "token": token, "button": _("Confirm my address")},
    )


@bp.post("/account/verify-email")
def verify_email() -> Response:
    try:
        user = accounts.confirm_email(current_session(), _token(request.form), _links())
    except (ValidationFailed, Conflict) as error:
        return _verify_refused(error)
    return _page(
        "link.html",
        title=_("Address confirmed"),
        paragraphs=[_("Thank you: %(email)s is confirmed.", email=user.email)],
        link={"href": url_for("web.sign_in_form"), "text": _("Sign in")},
    )


# --- a new password ------------------------------------------------------------------------------


def _reset_refused(error: DomainError) -> Response:
    return _link_refused(
        error,
        used=_("This link has been used, or the password was changed since. Ask for a new link."),
        expired=_("This link has expired (it lasts one hour). Ask for a new link."),
        invalid=_("This link is not valid: it was altered or cut short. Ask for a new link."),
    )


@bp.get("/account/reset-password")
def reset_password_form() -> Response:
    token = _token(request.args)
    if not token:
        return _page("link.html", 400, title=_("Link not valid"), paragraphs=[_("This link has no token.")])
    return _page("reset_password.html", token=token, min_length=passwords.MIN_PASSWORD_LENGTH, error=None)


@bp.post("/account/reset-password")
def reset_password() -> Response:
    token = _token(request.form)
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _page(
            "reset_password.html",
            422,
            token=token,
            min_length=passwords.MIN_PASSWORD_LENGTH,
            error=_("The two passwords are not the same."),
        )
    try:
        accounts.confirm_password_reset(current_session(), token, password, _links())
    except ValidationFailed as error:
        if "password" in error.errors:
            if len(password) < passwords.MIN_PASSWORD_LENGTH:
                text = _("This password is too short: at least %(num)d characters.", num=passwords.MIN_PASSWORD_LENGTH)
            else:
                text = _("This password is too easy to guess (or contains your name or address): choose another.")
            return _page("reset_password.html", 422, token=token, min_length=passwords.MIN_PASSWORD_LENGTH, error=text)
        return _reset_refused(error)
    except Conflict as error:
        return _reset_refused(error)
    return _page(
        "link.html",
        title=_("Password changed"),
        paragraphs=[
            _("Your new password is set."),
            _("Every session of your account has ended, on every device: sign in again with the new password."),
        ],
        link={"href": url_for("web.sign_in_form"), "text": _("Sign in")},
    )


# --- accepting an invitation ---------------------------------------------------------------------


def _invitation_refused(error: DomainError) -> Response:
    if isinstance(error, Forbidden):
        text = _("This invitation was sent to another address: sign in with that address to accept it.")
        return _page("link.html", 403, title=_("Not allowed"), paragraphs=[text])
    if isinstance(error, Conflict) and not isinstance(error, InvalidState):
        text = _("You are already a member of this organisation.")
        return _page("link.html", 409, title=_("Already a member"), paragraphs=[text])
    message = str(getattr(error, "detail", None) or error)
    if isinstance(error, InvalidState) and "accepted" in message:
        return _page(
            "link.html", 409, title=_("Link already used"), paragraphs=[_("This invitation has already been accepted.")]
        )
    if isinstance(error, InvalidState):
        text = _("This invitation was withdrawn or replaced by a newer one: ask the organisation again.")
        return _page("link.html", 409, title=_("Invitation withdrawn"), paragraphs=[text])
    if "expired" in message:
        text = _("This invitation has expired: ask the organisation again.")
        return _page("link.html", 422, title=_("Link expired"), paragraphs=[text])
    text = _("This invitation link is not valid: it was altered or cut short.")
    return _page("link.html", 422, title=_("Link not valid"), paragraphs=[text])


@bp.get("/invitations/accept")
def invitation_page() -> Response:
    token = _token(request.args)
    try:
        invitation = organisations.load_invitation(current_session(), token, _links())
    except (ValidationFailed, Conflict) as error:
        return _invitation_refused(error)
    session = current_session()
    organisation = session.get(Organisation, invitation.organisation_id)
    inviter = session.get(User, invitation.invited_by_id) if invitation.invited_by_id else None
    here = url_for("web.invitation_page", token=token)
    principal = _person()
    me = session.get(User, principal.user_id) if principal is not None else None
    return _page(
        "invitation.html",
        other_address=me is not None and me.email != invitation.email,
        organisation=organisation,
        inviter=inviter,
        role=invitation.role.value,
        email=invitation.email,
        token=token,
        signed_in=me is not None,
        sign_in=url_for("web.sign_in_form", next=here),
    )


@bp.post("/invitations/accept")
def accept_invitation() -> Response:
    principal = _person()
    token = _token(request.form)
    if principal is None:
        here = url_for("web.invitation_page", token=token)
        return redirect(url_for("web.sign_in_form", next=here), 303)  # type: ignore[return-value]
    try:
        membership = organisations.accept_signed_in(current_session(), principal, token, _links())
    except (ValidationFailed, Conflict, Forbidden) as error:
        return _invitation_refused(error)
    return _page(
        "link.html",
        title=_("Invitation accepted"),
        paragraphs=[_("You are now a member of %(organisation)s.", organisation=membership.organisation.name)],
        link={"href": url_for("web.account"), "text": _("My account")},
    )


# --- coming back from Stripe's onboarding --------------------------------------------------------


def _organisation(organisation_id: int) -> Organisation:
    organisation = current_session().get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_("No such organisation."))
    return organisation


@bp.get("/organisations/<int:organisation_id>/stripe-onboarding/return")
def stripe_return(organisation_id: int) -> Response:
    organisation = _organisation(organisation_id)
    principal = _person()
    member = principal is not None and principal.is_member_of(organisation_id)
    paragraphs = [
        _("Your answers to Stripe have been submitted."),
        _("Stripe confirms the account in a moment; card payments open once it has."),
    ]
    if member:
        if organisation.stripe_charges_enabled:
            paragraphs.append(_("Card payments are enabled for %(name)s.", name=organisation.name))
        else:
            paragraphs.append(_("Card payments are not enabled yet for %(name)s.", name=organisation.name))
    return _page("link.html", title=_("Stripe onboarding submitted"), paragraphs=paragraphs)


@bp.get("/organisations/<int:organisation_id>/stripe-onboarding/refresh")
def stripe_refresh_form(organisation_id: int) -> Response:
    organisation = _organisation(organisation_id)
    principal = _person()
    paragraphs = [_("The Stripe onboarding link has expired or was already used.")]
    if principal is None:
        paragraphs.append(_("Sign in as an administrator of the organisation to start again."))
        here = url_for("web.stripe_refresh_form", organisation_id=organisation_id)
        link = {"href": url_for("web.sign_in_form", next=here), "text": _("Sign in")}
        return _page("link.html", title=_("Stripe onboarding"), paragraphs=paragraphs, link=link)
    if not principal.has_role(organisation_id, {Role.ADMIN}):
        paragraphs.append(_("Only the organisation's administrators set up its card payments with Stripe."))
        return _page("link.html", 403, title=_("Stripe onboarding"), paragraphs=paragraphs)
    paragraphs.append(_("Press the button to continue with Stripe for %(name)s.", name=organisation.name))
    form = {
        "action": url_for("web.stripe_refresh", organisation_id=organisation_id),
        "button": _("Continue with Stripe"),
    }
    return _page("link.html", title=_("Stripe onboarding"), paragraphs=paragraphs, form=form)


@bp.post("/organisations/<int:organisation_id>/stripe-onboarding/refresh")
def stripe_refresh(organisation_id: int) -> Response:
    principal = _person()
    if principal is None:
        here = url_for("web.stripe_refresh_form", organisation_id=organisation_id)
        return redirect(url_for("web.sign_in_form", next=here), 303)  # type: ignore[return-value]
    try:
        url = connect.start_onboarding(
            current_session(), principal, organisation_id, gateway=current_gateway(), public_url=_links().public_url
        )
    except Forbidden:
        text = _(
            "Only the organisation's administrators set up its card payments with Stripe, once the cluster "
            "staff have approved the organisation."
        )
        return _page("link.html", 403, title=_("Stripe onboarding"), paragraphs=[text])
    except ServiceUnavailable:
        text = _("Card payments are not available on this server right now: ask the cluster staff.")
        return _page("link.html", 503, title=_("Stripe onboarding"), paragraphs=[text])
    return redirect(url, 303)  # type: ignore[return-value]
