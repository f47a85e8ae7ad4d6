"""The payment provider behind a small interface: ``PaymentGateway`` and its Stripe implementation.

Services only see ``PaymentGateway`` and the small frozen records below, never Stripe objects:
tests point ``StripeGateway`` at the local fake (``tests/fakes/stripe.py``) through
``Config.stripe_api_base``, exactly as warehouse points its billing service at ``billing.api_base``.

Every call that creates or changes something at Stripe carries an idempotency key derived from
our own identifiers, so a retried request (ours or the SDK's) never charges, captures or refunds
twice (https://docs.stripe.com/api/idempotent_requests).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import stripe

from marketplace.errors import PaymentError, ServiceUnavailable

log = logging.getLogger(__name__)

#: Stripe rejects webhook signatures older than this many seconds (replay protection).
WEBHOOK_TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class PaymentIntentInfo:
    id: str
    status: str  # requires_payment_method | requires_confirmation | requires_action | processing |
    # requires_capture | canceled | succeeded
    amount: int
    amount_capturable: int
    amount_received: int
    currency: str
    client_secret: str | None
    capture_method: str
    metadata: Mapping[str, str]
    payment_method: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class SetupIntentInfo:
    id: str
    status: str  # requires_payment_method | … | succeeded | canceled
    client_secret: str | None
    customer: str | None
    payment_method: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True)
class RefundInfo:
    id: str
    status: str  # pending | succeeded | failed | canceled | requires_action
    amount: int
    payment_intent: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountInfo:
    """A Connect account as Stripe states it (https://docs.stripe.com/api/accounts/object)."""

    id: str
    charges_enabled: bool
    payouts_enabled: bool = False
    details_submitted: bool = False


@dataclass(frozen=True)
class EventInfo:
    """A verified webhook event: only what is needed to re-read the object from the API."""

    id: str
    type: str
    object_id: str
    object_type: str
    metadata: Mapping[str, str]
    #: The PaymentIntent a charge belongs to (``charge.refunded``): a hint to find the order.
    payment_intent: str | None = None


class SignatureError(Exception):
    """The webhook's signature or payload does not verify."""


class MalformedEvent(Exception):
    """A correctly signed payload that is not a Stripe event (not an object, no ``id`` /
    ``type`` / ``data.object``): nothing can be done with it, so nothing is recorded."""


#: Longest event id or object id we accept (Stripe's are ~30 characters; our column holds 255).
MAX_STRIPE_ID_LENGTH = 255


def event_info(event: Any) -> EventInfo:
    """The parts of a verified event payload we use, checked against the shape of Stripe's event
    object (https://docs.stripe.com/api/events/object): ``id`` and ``type`` strings, ``data.object``
    an object whose ``id``, when present, is a string. Anything else is ``MalformedEvent``."""
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"the payload is a JSON {type(event).__name__}, not an event object")
    for key in ("id", "type"):
        value = event.get(key)
        if not isinstance(value, str) or not value or len(value) > MAX_STRIPE_ID_LENGTH:
            raise MalformedEvent(f"the event has no valid '{key}' (a non-empty string)")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        raise MalformedEvent("the event has no 'data.object' object")
    object_id = obj.get("id", "")
    if not isinstance(object_id, str) or len(object_id) > MAX_STRIPE_ID_LENGTH:
        raise MalformedEvent("'data.object.id' is not a string")
    metadata = obj.get("metadata")
    payment_intent = obj.get("payment_intent")
    return EventInfo(
        id=event["id"],
        type=event["type"],
        object_id=object_id,
        object_type=str(obj.get("object") or ""),
        metadata={str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, Mapping) else {},
        payment_intent=payment_intent
        if isinstance(payment_intent, str) and 0 < len(payment_intent) <= MAX_STRIPE_ID_LENGTH
        else None,
    )


class PaymentGateway(Protocol):
    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
        destination: str | None = None,
        application_fee: int | None = None,
        capture_manual: bool = False,
        customer: str | None = None,
        payment_method: str | None = None,
        off_session: bool = False,
    ) -> PaymentIntentInfo: ...

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentInfo: ...

    def capture_payment_intent(
        self, intent_id: str, *, amount: int | None, idempotency_key: str
    ) -> PaymentIntentInfo: ...

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntentInfo: ...

    def create_customer(self, *, name: str, idempotency_key: str, metadata: Mapping[str, str]) -> str: ...

    def create_setup_intent(
        self, *, customer: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> SetupIntentInfo: ...

    def retrieve_setup_intent(self, intent_id: str) -> SetupIntentInfo: ...

    def create_refund(
        self,
        *,
        payment_intent: str,
        idempotency_key: str,
        amount: int | None = None,
        connect: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundInfo: ...

    def retrieve_refund(self, refund_id: str) -> RefundInfo: ...

    def retrieve_account(self, account_id: str) -> AccountInfo: ...

    def create_account(
        self, *, idempotency_key: str, business_name: str, email: str | None, metadata: Mapping[str, str]
    ) -> AccountInfo: ...

    def create_account_link(self, *, account: str, refresh_url: str, return_url: str) -> str: ...

    def construct_event(self, payload: bytes, signature_header: str | None) -> EventInfo: ...


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    return {str(k): str(v) for k, v in value.to_dict().items()} if hasattr(value, "to_dict") else dict(value)


def _id_of(value: Any) -> str | None:
    """An expandable field: an id string, or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return str(value.id)


def _intent(pi: stripe.PaymentIntent) -> PaymentIntentInfo:
    error = pi.last_payment_error
    return PaymentIntentInfo(
        id=pi.id,
        status=pi.status,
        amount=pi.amount,
        amount_capturable=pi.amount_capturable or 0,
        amount_received=pi.amount_received or 0,
        currency=pi.currency,
        client_secret=pi.client_secret,
        capture_method=pi.capture_method,
        metadata=_metadata(pi.metadata),
        payment_method=_id_of(pi.payment_method),
        last_error=error.message if error is not None else None,
    )


def _setup(si: stripe.SetupIntent) -> SetupIntentInfo:
    return SetupIntentInfo(
        id=si.id,
        status=si.status,
        client_secret=si.client_secret,
        customer=_id_of(si.customer),
        payment_method=_id_of(si.payment_method),
        metadata=_metadata(si.metadata),
    )


def _account(account: stripe.Account) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        charges_enabled=bool(account.charges_enabled),
        payouts_enabled=bool(account.payouts_enabled),
        details_submitted=bool(account.details_submitted),
    )


def _refund(refund: stripe.Refund) -> RefundInfo:
    return RefundInfo(
        id=refund.id,
        status=refund.status or "pending",
        amount=refund.amount,
        payment_intent=_id_of(refund.payment_intent),
        metadata=_metadata(refund.metadata),
    )


class StripeGateway:
    """``PaymentGateway`` over the official SDK's ``StripeClient`` (typed objects, not dicts)."""

    def __init__(self, api_key: str, webhook_secret: str | None, api_base: str | None = None) -> None:
        base_addresses: dict[str, str] = {}
        if api_base:
            base_addresses["api"] = api_base.rstrip("/")
        self.client = stripe.StripeClient(api_key, base_addresses=base_addresses)  # type: ignore[arg-type]
        self.webhook_secret = webhook_secret

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stripe.CardError as exc:
            reason = (exc.user_message or exc.code or "declined").rstrip(".")
            raise PaymentError(f"The card was refused: {reason}.") from exc
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as exc:
            log.warning("stripe %s failed: %s", what, exc)
            raise ServiceUnavailable(
                "The payment provider is unavailable; try again shortly.", headers={"Retry-After": "5"}
            ) from exc
        except stripe.StripeError as exc:
            log.warning("stripe %s refused: %s", what, exc)
            raise PaymentError(f"The payment provider refused the request ({what}).") from exc

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
        destination: str | None = None,
        application_fee: int | None = None,
        capture_manual: bool = False,
        customer: str | None = None,
        payment_method: str | None = None,
        off_session: bool = False,
    ) -> PaymentIntentInfo:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": dict(metadata),
            "capture_method": "manual" if capture_manual else "automatic",
            "payment_method_types": ["card"],
        }
        if destination:
            # Connect destination charge: the platform charges, then transfers to the seller.
            # https://docs.stripe.com/connect/destination-charges
            params["transfer_data"] = {"destination": destination}
            if application_fee:
                params["application_fee_amount"] = application_fee
        if customer:
            params["customer"] = customer
        if payment_method:
            params["payment_method"] = payment_method
            params["confirm"] = True
            if off_session:
                params["off_session"] = True
        pi = self._call(
            "create payment",
            self.client.v1.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return _intent(pi)

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentInfo:
        return _intent(self._call("read payment", self.client.v1.payment_intents.retrieve, intent_id))

    def capture_payment_intent(self, intent_id: str, *, amount: int | None, idempotency_key: str) -> PaymentIntentInfo:
        params: dict[str, Any] = {}
        if amount is not None:
            params["amount_to_capture"] = amount
        pi = self._call(
            "capture",
            self.client.v1.payment_intents.capture,
            intent_id,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return _intent(pi)

    def cancel_payment_intent(self, intent_id: str, *, idempotency_key: str) -> PaymentIntentInfo:
        pi = self._call(
            "cancel",
            self.client.v1.payment_intents.cancel,
            intent_id,
            options={"idempotency_key": idempotency_key},
        )
        return _intent(pi)

    def create_customer(self, *, name: str, idempotency_key: str, metadata: Mapping[str, str]) -> str:
        customer = self._call(
            "create customer",
            self.client.v1.customers.create,
            params={"name": name, "metadata": dict(metadata)},
            options={"idempotency_key": idempotency_key},
        )
        return str(customer.id)

    def create_setup_intent(
        self, *, customer: str, idempotency_key: str, metadata: Mapping[str, str]
    ) -> SetupIntentInfo:
        si = self._call(
            "create setup",
            self.client.v1.setup_intents.create,
            params={
                "customer": customer,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": dict(metadata),
            },
            options={"idempotency_key": idempotency_key},
        )
        return _setup(si)

    def retrieve_setup_intent(self, intent_id: str) -> SetupIntentInfo:
        return _setup(self._call("read setup", self.client.v1.setup_intents.retrieve, intent_id))

    def create_refund(
        self,
        *,
        payment_intent: str,
        idempotency_key: str,
        amount: int | None = None,
        connect: bool = False,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundInfo:
        params: dict[str, Any] = {"payment_intent": payment_intent}
        if amount is not None:
            params["amount"] = amount
        if metadata:
            params["metadata"] = dict(metadata)
        if connect:
            # Take the money back from the seller and give the platform fee back as well.
            # https://docs.stripe.com/connect/destination-charges#issuing-refunds
            params["reverse_transfer"] = True
            params["refund_application_fee"] = True
        refund = self._call(
            "refund", self.client.v1.refunds.create, params=params, options={"idempotency_key": idempotency_key}
        )
        return _refund(refund)

    def retrieve_refund(self, refund_id: str) -> RefundInfo:
        return _refund(self._call("read refund", self.client.v1.refunds.retrieve, refund_id))

    def retrieve_account(self, account_id: str) -> AccountInfo:
        return _account(self._call("read account", self.client.v1.accounts.retrieve, account_id))

    def create_account(
        self, *, idempotency_key: str, business_name: str, email: str | None, metadata: Mapping[str, str]
    ) -> AccountInfo:
        # An Express connected account in France that takes card payments and receives transfers
        # (destination charges): Stripe hosts the onboarding and the dashboard.
        # https://docs.stripe.com/connect/express-accounts
        params: dict[str, Any] = {
            "type": "express",
            "country": "FR",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "business_profile": {"name": business_name},
            "metadata": dict(metadata),
        }
        if email:
            params["email"] = email
        account = self._call(
            "create account",
            self.client.v1.accounts.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )
        return _account(account)

    def create_account_link(self, *, account: str, refresh_url: str, return_url: str) -> str:
        # Single-use and short-lived: a fresh one on every request, never stored.
        # https://docs.stripe.com/api/account_links/create
        link = self._call(
            "create onboarding link",
            self.client.v1.account_links.create,
            params={
                "account": account,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
        )
        return str(link.url)

    def construct_event(self, payload: bytes, signature_header: str | None) -> EventInfo:
        if not self.webhook_secret:
            raise SignatureError("no STRIPE_WEBHOOK_SECRET is configured to verify it")
        # The SDK checks the signature on the raw body (what ``construct_event`` does first); the
        # payload is then read as plain JSON and checked by ``event_info``: the SDK's own event
        # construction fails with AttributeError/TypeError on a signed array or an event without
        # ``data``, which would be a 500 rather than a 400.
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature_header, self.webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
            event = orjson.loads(payload)
        except stripe.SignatureVerificationError as exc:
            raise SignatureError(str(exc)) from exc
        except ValueError as exc:  # not UTF-8, not JSON
            raise SignatureError(f"invalid payload: {exc}") from exc
        return event_info(event)


def gateway_from_config(api_key: str | None, webhook_secret: str | None, api_base: str | None) -> StripeGateway | None:
    """None when no key is configured: card payments and deposits are then refused clearly."""
    if not api_key:
        return None
    return StripeGateway(api_key, webhook_secret, api_base)
