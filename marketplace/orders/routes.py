"""HTTP routes of orders: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.media.routes import IMAGE_CONTENT
from marketplace.media.runtime import current_storage
from marketplace.media.serving import photo_response
from marketplace.orders import returns, schemas, service
from marketplace.orders.models import Order, OrderReturn
from marketplace.payments.runtime import current_gateway, platform_fee_bps

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Sales and donations from a reservation")


def _shown(order: Order) -> service.ShownOrder:
    """The order as this caller sees it: what it may read is decided here, not while serialising."""
    return service.shown(order, current_principal())


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(schemas.OrderQueryArgsSchema, location="query")
    @blp.response(200, schemas.OrderListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your organisations' orders, as buyer or seller (all of them for staff)"""
        page = service.list_orders(
            current_session(),
            current_principal(),
            role=args["role"],
            status=args["status"],
            cursor=args["cursor"],
            limit=args["limit"],
        )
        return {"items": [_shown(x) for x in page.items], "next_cursor": page.next_cursor}

    @blp.arguments(schemas.IdempotencyHeaderSchema, location="headers")
    @blp.arguments(schemas.OrderCreateSchema)
    @blp.response(201, schemas.OrderSchema)
    @blp.alt_response(200, schema=schemas.OrderSchema, description="Replay: this key already made this order")
    @blp.alt_response(400, description="No Idempotency-Key header")
    @blp.alt_response(403, description="Not allowed to pay by invoice / not eligible for this donation")
    @blp.alt_response(404, description="No such reservation of yours")
    @blp.alt_response(409, description="Reservation ended, or the device is no longer available")
    @blp.alt_response(422, description="Invalid body, or the key was used with another body")
    @blp.alt_response(503, description="Card payments are not configured")
    def post(self, headers: dict[str, Any], data: dict[str, Any]) -> Any:
        """Order a reserved device: card (Stripe), invoice, or donation

        The order takes the terms its reservation froze (price, warranty…), not the listing's of now.
        """
        result = service.create_order(
            current_session(),
            current_principal(),
            idempotency_key=headers.get("idempotency_key"),
            reservation_id=data["reservation_id"],
            payment=data["payment"],
            gateway=current_gateway(),
            platform_fee_bps=platform_fee_bps(),
        )
        if result.created:
            return _shown(result.order)
        return _shown(result.order), 200, {"Idempotent-Replayed": "true"}


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @blp.response(200, schemas.OrderSchema)
    @blp.alt_response(404, description="No such order (or not yours)")
    def get(self, order_id: int) -> service.ShownOrder:
        """An order (buyer organisation, seller organisation and staff)"""
        return _shown(service.get_order(current_session(), current_principal(), order_id))


@blp.route("/orders/<int:order_id>/cancel")
class OrderCancel(MethodView):
    @blp.response(200, schemas.OrderSchema)
    @blp.alt_response(409, description="Handed over already (use a return)")
    def post(self, order_id: int) -> service.ShownOrder:
        """Cancel before handover; a card payment is cancelled or refunded"""
        return _shown(service.cancel_order(current_session(), current_principal(), order_id, gateway=current_gateway()))


@blp.route("/orders/<int:order_id>/handover")
class OrderHandover(MethodView):
    @blp.response(200, schemas.OrderSchema)
    @blp.alt_response(403, description="Only the seller hands over")
    @blp.alt_response(409, description="Not paid/confirmed, or the device stopped being listable (errors name why)")
    def post(self, order_id: int) -> service.ShownOrder:
        """The seller hands the device over: the return window (the listing's, 30 days by default) and warranty start"""
        return _shown(service.hand_over(current_session(), current_principal(), order_id))


@blp.route("/orders/<int:order_id>/returns")
class OrderReturns(MethodView):
    @blp.response(200, schemas.ReturnListSchema)
    @blp.alt_response(404, description="No such order (or not yours)")
    def get(self, order_id: int) -> dict[str, Any]:
        """The returns and warranty claims of an order, oldest first (buyer, seller, staff)"""
        return {"items": returns.list_returns(current_session(), current_principal(), order_id)}

    @blp.arguments(schemas.ReturnCreateSchema)
    @blp.response(201, schemas.ReturnSchema)
    @blp.alt_response(403, description="Only the buyer's organisation returns")
    @blp.alt_response(404, description="No such order (or not yours)")
    @blp.alt_response(
        409,
        description="Not handed over, window or warranty over, a return already open, or the "
        "device moved on since the handover",
    )
    def post(self, data: dict[str, Any], order_id: int) -> OrderReturn:
        """Open a return (within the return window) or a warranty claim; the seller accepts or refuses"""
        return returns.open_return(
            current_session(), current_principal(), order_id,
            kind=data["kind"], reason=data["reason"], condition_notes=data["condition_notes"],
            photo_ids=data["photo_ids"],
        )  # fmt: skip


@blp.route("/orders/<int:order_id>/returns/<int:return_id>")
class OrderReturnById(MethodView):
    @blp.response(200, schemas.ReturnSchema)
    @blp.alt_response(404, description="No such return of this order (or not yours)")
    def get(self, order_id: int, return_id: int) -> OrderReturn:
        """One return of an order"""
        return returns.get_return(current_session(), current_principal(), order_id, return_id)


@blp.route("/orders/<int:order_id>/returns/<int:return_id>/accept")
class OrderReturnAccept(MethodView):
    @blp.arguments(schemas.ReturnAcceptSchema)
    @blp.response(200, schemas.ReturnSchema)
    @blp.alt_response(403, description="Only the seller's admins and listers decide")
    @blp.alt_response(404, description="No such return of this order (or not yours)")
    @blp.alt_response(409, description="Already decided, or the device moved on")
    @blp.alt_response(422, description="Refund above what was paid and not refunded yet")
    def post(self, data: dict[str, Any], order_id: int, return_id: int) -> OrderReturn:
        """Accept: the device comes back to the seller; card refunded through Stripe, invoice credited"""
        return returns.accept_return(
            current_session(), current_principal(), order_id, return_id,
            refund_cents=data["refund_cents"], note=data["note"], gateway=current_gateway(),
        )  # fmt: skip


@blp.route("/orders/<int:order_id>/returns/<int:return_id>/refuse")
class OrderReturnRefuse(MethodView):
    @blp.arguments(schemas.ReturnRefuseSchema)
    @blp.response(200, schemas.ReturnSchema)
    @blp.alt_response(403, description="Only the seller's admins and listers decide")
    @blp.alt_response(404, description="No such return of this order (or not yours)")
    @blp.alt_response(409, description="Already decided")
    def post(self, data: dict[str, Any], order_id: int, return_id: int) -> OrderReturn:
        """Refuse, with a reason the buyer reads"""
        return returns.refuse_return(current_session(), current_principal(), order_id, return_id, reason=data["reason"])


@blp.route("/orders/<int:order_id>/mark-paid")
class OrderMarkPaid(MethodView):
    @blp.response(200, schemas.OrderSchema)
    @blp.alt_response(403, description="Staff only")
    @blp.alt_response(409, description="Not an unpaid invoice")
    def post(self, order_id: int) -> service.ShownOrder:
        """Staff: record that an invoice has been paid"""
        return _shown(service.mark_paid(current_session(), current_principal(), order_id))


@blp.route("/orders/<int:order_id>/invoice")
class OrderInvoice(MethodView):
    @blp.response(200, schemas.InvoiceSchema)
    @blp.alt_response(404, description="No such order, or not an invoice order")
    def get(self, order_id: int) -> dict[str, Any]:
        """The invoice of an invoice order, as JSON"""
        return service.invoice_document(current_session(), current_principal(), order_id)


@blp.route("/orders/<int:order_id>/returns/<int:return_id>/photos/<int:photo_id>")
class OrderReturnPhoto(MethodView):
    @blp.doc(responses={"200": {"description": "A condition photo of the return (private)", **IMAGE_CONTENT}})
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    @blp.alt_response(404, description="No such return or photo (or not yours)")
    def get(self, order_id: int, return_id: int, photo_id: int) -> Response:
        """A condition photo of a return, for both sides of the order and staff"""
        photo = returns.get_return_photo(current_session(), current_principal(), order_id, return_id, photo_id)
        return photo_response(current_storage(), photo, thumbnail=False, public=False)


@blp.route("/orders/<int:order_id>/returns/<int:return_id>/photos/<int:photo_id>/thumbnail")
class OrderReturnPhotoThumbnail(MethodView):
    @blp.doc(responses={"200": {"description": "The photo's thumbnail (private)", **IMAGE_CONTENT}})
    @blp.alt_response(304, description="Not modified (If-None-Match)")
    @blp.alt_response(404, description="No such return or photo (or not yours)")
    def get(self, order_id: int, return_id: int, photo_id: int) -> Response:
        """A condition photo's thumbnail, for both sides of the order and staff"""
        photo = returns.get_return_photo(current_session(), current_principal(), order_id, return_id, photo_id)
        return photo_response(current_storage(), photo, thumbnail=True, public=False)
