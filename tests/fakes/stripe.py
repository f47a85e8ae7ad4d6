"""A local fake of the few Stripe API endpoints Relife calls, on 127.0.0.1.

The real SDK talks to it over HTTP (``Config.stripe_api_base``), form-encoded like Stripe, with
``Idempotency-Key`` honoured (same key + same body → the same response replayed; same key + other
body → 400 ``idempotency_error``). It also plays the customer and Stripe's event delivery:
``confirm_payment_intent`` / ``confirm_setup_intent`` move an intent as a customer's card would, and
``send`` delivers an event signed exactly as Stripe signs it
(``Stripe-Signature: t=…,v1=HMAC-SHA256(secret, f"{t}.{payload}")``,
https://docs.stripe.com/webhooks#verify-manually). Nothing here patches verification.

Endpoints: PaymentIntents create/retrieve/capture/cancel, Customers create, SetupIntents
create/retrieve, Refunds create, Accounts create/retrieve (Connect), Account Links create.
``finish_onboarding`` plays the seller filling Stripe's forms and returns the ``account.updated``
event Stripe then sends.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_relife_fake_secret"
API_KEY = "sk_test_relife_fake"

#: A webhook receiver: (payload bytes, headers) → HTTP status.
Deliver = Callable[[bytes, dict[str, str]], int]


def sign_webhook(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding: ``a[b][c]=v`` nests, ``a[0]=v``/``a[]=v`` are lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node: Any = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            nxt = parts[index + 1] if not last else None
            container: Any = [] if nxt is not None and (nxt == "[]" or nxt.isdigit()) else {}
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                if part == "[]" or int(part) >= len(node):
                    node.append(container)
                node = node[-1] if part == "[]" else node[int(part)]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, container)
    return root


class StripeFakeError(Exception):
    def __init__(self, status: int, kind: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.code = status, kind, message, code


@dataclass
class FakeStripe:
    """State of the fake; ``serve()`` starts the HTTP server in a thread."""

    webhook_secret: str = WEBHOOK_SECRET
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, tuple[str, str, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, Any], str | None]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    #: Where ``send`` delivers events (set by the test: a Flask test client, or a URL poster).
    deliver: Deliver | None = None
    #: Card numbers in Stripe's test set that decline (``pm_card_chargeDeclined``).
    declining_methods: set[str] = field(default_factory=lambda: {"pm_card_chargeDeclined"})
    #: The status a new refund starts with ("pending": the bank answers later, ``settle_refund``).
    refund_status: str = "succeeded"
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    server: ThreadingHTTPServer | None = None

    # -- server --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if method == "GET" and "?" in self.path:
                    path, _, query = self.path.partition("?")
                    body = query
                else:
                    path = self.path
                status, payload, headers = fake.handle(
                    method, path, body, self.headers.get("Authorization"), self.headers.get("Idempotency-Key")
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", f"req_{next(fake._ids)}")
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="fake-stripe", daemon=True).start()
        return self

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # -- request handling ----------------------------------------------------------------------

    def handle(
        self, method: str, path: str, body: str, authorization: str | None, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not authorization or not authorization.startswith("Bearer sk_"):
            return 401, _error("invalid_request_error", "Invalid API Key provided."), {}
        params = parse_form(body)
        with self.lock:
            self.requests.append((method, path, params, idempotency_key))
            if method == "POST" and idempotency_key:
                seen = self.idempotency.get(idempotency_key)
                if seen is not None:
                    seen_path, seen_body, status, payload = seen
                    if (seen_path, seen_body) != (path, body):
                        message = "Keys for idempotent requests can only be used with the same parameters."
                        return 400, _error("idempotency_error", message), {}
                    return status, payload, {"Idempotent-Replayed": "true"}
            try:
                status, payload = 200, self.route(method, path, params)
            except StripeFakeError as exc:
                status, payload = exc.status, _error(exc.kind, exc.message, exc.code)
            if method == "POST" and idempotency_key:
                self.idempotency[idempotency_key] = (path, body, status, json.loads(json.dumps(payload)))
            return status, json.loads(json.dumps(payload)), {}

    def route(self, method: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if parts[0] != "v1" or len(parts) < 2:
            raise StripeFakeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")
        resource, rest = parts[1], parts[2:]
        if resource == "payment_intents":
            if method == "POST" and not rest:
                return self._create_payment_intent(params)
            intent = self._get("pi", rest[0])
            if method == "GET" and len(rest) == 1:
                return intent
            if method == "POST" and rest[1:] == ["capture"]:
                return self._capture(intent, params)
            if method == "POST" and rest[1:] == ["cancel"]:
                return self._cancel(intent)
        if resource == "customers" and method == "POST" and not rest:
            return self._store(
                "cus", {"object": "customer", "name": params.get("name"), "metadata": params.get("metadata", {})}
            )
        if resource == "setup_intents":
            if method == "POST" and not rest:
                return self._store(
                    "seti",
                    {
                        "object": "setup_intent",
                        "status": "requires_payment_method",
                        "customer": params.get("customer"),
                        "usage": params.get("usage", "off_session"),
                        "payment_method": None,
                        "metadata": params.get("metadata", {}),
                    },
                    secret=True,
                )
            if method == "GET" and len(rest) == 1:
                return self._get("seti", rest[0])
        if resource == "refunds" and method == "POST" and not rest:
            return self._refund(params)
        if resource == "refunds" and method == "GET" and len(rest) == 1:
            return self._get("re", rest[0])
        if resource == "accounts" and method == "POST" and not rest:
            return self._create_account(params)
        if resource == "account_links" and method == "POST" and not rest:
            return self._create_account_link(params)
        if resource == "accounts" and method == "GET" and len(rest) == 1:
            account = self.objects.get(rest[0])
            if account is None:
                raise StripeFakeError(404, "invalid_request_error", f"No such account: '{rest[0]}'", "resource_missing")
            return account
        raise StripeFakeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _store(self, prefix: str, obj: dict[str, Any], *, secret: bool = False) -> dict[str, Any]:
        obj_id = f"{prefix}_fake{next(self._ids):06d}"
        obj = {"id": obj_id, "livemode": False, "created": int(time.time()), **obj}
        if secret:
            obj["client_secret"] = f"{obj_id}_secret_{hashlib.sha256(obj_id.encode()).hexdigest()[:12]}"
        self.objects[obj_id] = obj
        return obj

    def _get(self, prefix: str, obj_id: str) -> dict[str, Any]:
        obj = self.objects.get(obj_id)
        if obj is None or not obj_id.startswith(prefix + "_"):
            raise StripeFakeError(404, "invalid_request_error", f"No such object: '{obj_id}'", "resource_missing")
        return obj

    def _create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("type") not in {"express", "standard", "custom"}:
            raise StripeFakeError(400, "invalid_request_error", "Invalid type: must be express, standard or custom.")
        account = self._store(
            "acct",
            {
                "object": "account",
                "type": params["type"],
                "country": params.get("country", "US"),
                "email": params.get("email"),
                "business_profile": params.get("business_profile", {}),
                "capabilities": dict.fromkeys(params.get("capabilities", {}), "inactive"),
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "metadata": params.get("metadata", {}),
            },
        )
        return account

    def _create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        for name in ("account", "refresh_url", "return_url", "type"):
            if not params.get(name):
                raise StripeFakeError(
                    400, "invalid_request_error", f"Missing required param: {name}.", "parameter_missing"
                )
        if params["type"] not in {"account_onboarding", "account_update"}:
            raise StripeFakeError(400, "invalid_request_error", f"Invalid type: {params['type']}.")
        account = self.objects.get(params["account"])
        if account is None or account.get("object") != "account":
            raise StripeFakeError(
                400, "invalid_request_error", f"No such account: '{params['account']}'", "resource_missing"
            )
        created = int(time.time())
        nonce = hashlib.sha256(f"{params['account']}{next(self._ids)}".encode()).hexdigest()[:16]
        return {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"https://connect.stripe.com/setup/e/{params['account']}/{nonce}",
            # Kept so a test can check where Stripe would send the admin back.
            "refresh_url": params["refresh_url"],
            "return_url": params["return_url"],
        }

    def _create_payment_intent(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = int(params["amount"])
        if amount < 50:
            raise StripeFakeError(400, "invalid_request_error", "Amount must be at least 50 cents", "amount_too_small")
        destination = (params.get("transfer_data") or {}).get("destination")
        if destination is not None and destination not in self.objects:
            raise StripeFakeError(400, "invalid_request_error", f"No such destination: '{destination}'")
        intent = self._store(
            "pi",
            {
                "object": "payment_intent",
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": 0,
                "currency": params["currency"],
                "capture_method": params.get("capture_method", "automatic"),
                "status": "requires_payment_method",
                "metadata": params.get("metadata", {}),
                "customer": params.get("customer"),
                "payment_method": params.get("payment_method"),
                "application_fee_amount": int(params["application_fee_amount"])
                if "application_fee_amount" in params
                else None,
                "transfer_data": {"destination": destination} if destination else None,
                "last_payment_error": None,
            },
            secret=True,
        )
        if params.get("confirm") == "true":
            method = params.get("payment_method")
            if method in self.declining_methods:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": "card_declined",
                    "message": "Your card was declined.",
                }
                raise StripeFakeError(402, "card_error", "Your card was declined.", "card_declined")
            self._succeed(intent)
        return intent

    def _succeed(self, intent: dict[str, Any]) -> None:
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = intent["amount"]
        else:
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]

    def _capture(self, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] != "requires_capture":
            raise StripeFakeError(
                400,
                "invalid_request_error",
                f"This PaymentIntent could not be captured because it has a status of {intent['status']}.",
                "payment_intent_unexpected_state",
            )
        amount = int(params.get("amount_to_capture", intent["amount_capturable"]))
        if amount > intent["amount_capturable"]:
            raise StripeFakeError(400, "invalid_request_error", "amount_to_capture exceeds the capturable amount")
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return intent

    def _cancel(self, intent: dict[str, Any]) -> dict[str, Any]:
        if intent["status"] in {"succeeded", "canceled"}:
            raise StripeFakeError(
                400,
                "invalid_request_error",
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                "payment_intent_unexpected_state",
            )
        intent.update(status="canceled", amount_capturable=0)
        return intent

    def _refund(self, params: dict[str, Any]) -> dict[str, Any]:
        intent = self._get("pi", params.get("payment_intent", ""))
        if intent["status"] != "succeeded":
            raise StripeFakeError(
                400, "invalid_request_error", "This PaymentIntent has no successful charge to refund."
            )
        refunded = sum(
            r["amount"]
            for r in self.objects.values()
            if r.get("object") == "refund" and r["payment_intent"] == intent["id"]
        )
        amount = int(params.get("amount", intent["amount_received"] - refunded))
        if amount <= 0 or refunded + amount > intent["amount_received"]:
            raise StripeFakeError(
                400, "invalid_request_error", "The charge has already been refunded.", "charge_already_refunded"
            )
        return self._store(
            "re",
            {
                "object": "refund",
                "amount": amount,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                # Card refunds may stay pending for a while; Stripe tells with refund.updated.
                "status": self.refund_status,
                "metadata": params.get("metadata", {}),
                "reverse_transfer": params.get("reverse_transfer") == "true",
                "refund_application_fee": params.get("refund_application_fee") == "true",
            },
        )

    # -- test helpers: accounts, the customer's side, and event delivery -------------------------

    def add_account(self, account_id: str = "", *, charges_enabled: bool = True) -> str:
        with self.lock:
            account_id = account_id or f"acct_fake{next(self._ids):06d}"
            self.objects[account_id] = {
                "id": account_id,
                "object": "account",
                "charges_enabled": charges_enabled,
                "payouts_enabled": charges_enabled,
                "details_submitted": charges_enabled,
            }
            return account_id

    def finish_onboarding(
        self, account_id: str, *, charges_enabled: bool = True, payouts_enabled: bool = True
    ) -> dict[str, Any]:
        """The seller fills Stripe's forms and Stripe verifies them; returns the ``account.updated``
        event Stripe sends (``charges_enabled=False``: submitted, still under review)."""
        with self.lock:
            account = self._get("acct", account_id)
            account.update(details_submitted=True, charges_enabled=charges_enabled, payouts_enabled=payouts_enabled)
            account["capabilities"] = dict.fromkeys(
                account.get("capabilities", {}), "active" if charges_enabled else "pending"
            )
            return self.event("account.updated", account)

    def confirm_payment_intent(self, intent_id: str, *, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        """What the buyer's browser does with the client secret; returns the event Stripe sends."""
        with self.lock:
            intent = self._get("pi", intent_id)
            intent["payment_method"] = payment_method
            if payment_method in self.declining_methods:
                intent["last_payment_error"] = {
                    "type": "card_error",
                    "code": "card_declined",
                    "message": "Your card was declined.",
                }
                return self.event("payment_intent.payment_failed", intent)
            self._succeed(intent)
            kind = (
                "payment_intent.amount_capturable_updated"
                if intent["status"] == "requires_capture"
                else "payment_intent.succeeded"
            )
            return self.event(kind, intent)

    def confirm_setup_intent(self, intent_id: str, *, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        with self.lock:
            intent = self._get("seti", intent_id)
            intent.update(status="succeeded", payment_method=payment_method)
            return self.event("setup_intent.succeeded", intent)

    def settle_refund(self, refund_id: str, status: str = "succeeded") -> dict[str, Any]:
        """The bank's answer on a pending refund; returns the ``refund.updated`` event Stripe sends."""
        with self.lock:
            refund = self._get("re", refund_id)
            refund["status"] = status
        return self.event("refund.updated", refund)

    def charge_refunded(self, intent_id: str) -> dict[str, Any]:
        """The ``charge.refunded`` event of a PaymentIntent's charge (as Stripe sends after a refund)."""
        with self.lock:
            intent = self._get("pi", intent_id)
            refunded = sum(
                r["amount"]
                for r in self.objects.values()
                if r.get("object") == "refund" and r["payment_intent"] == intent_id
            )
            charge = {
                "id": f"ch_{intent_id}",
                "object": "charge",
                "payment_intent": intent_id,
                "amount": intent["amount_received"],
                "amount_refunded": refunded,
                "refunded": refunded >= intent["amount_received"],
            }
        return self.event("charge.refunded", charge)

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An event carrying a snapshot of ``obj`` (as Stripe's payload: possibly stale later)."""
        with self.lock:
            event = {
                "id": f"evt_fake{next(self._ids):06d}",
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "type": event_type,
                "livemode": False,
                "pending_webhooks": 1,
                "data": {"object": json.loads(json.dumps(obj))},
            }
            self.events.append(event)
            return event

    def signed(
        self, event: dict[str, Any], *, timestamp: int | None = None, secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        payload = json.dumps(event).encode()
        header = sign_webhook(payload, secret or self.webhook_secret, timestamp)
        return payload, {"Stripe-Signature": header, "Content-Type": "application/json"}

    def send(self, event: dict[str, Any], **kwargs: Any) -> int:
        """Deliver ``event`` to the app, signed; returns the app's HTTP status."""
        assert self.deliver is not None, "set FakeStripe.deliver first"
        payload, headers = self.signed(event, **kwargs)
        return self.deliver(payload, headers)

    def calls(self, method: str, path_prefix: str) -> list[tuple[dict[str, Any], str | None]]:
        with self.lock:
            return [(p, key) for m, path, p, key in self.requests if m == method and path.startswith(path_prefix)]


def _error(kind: str, message: str, code: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return {"error": error}
