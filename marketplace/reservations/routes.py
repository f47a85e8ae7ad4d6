"""HTTP routes of reservations: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.reservations import schemas, service
from marketplace.reservations.models import Reservation

blp = Blueprint("reservations", __name__, url_prefix="/api/v1", description="30-minute holds on listed devices")


@blp.route("/listings/<int:listing_id>/reservations")
class ListingReservations(MethodView):
    @blp.arguments(schemas.ReservationCreateSchema)
    @blp.response(201, schemas.ReservationSchema)
    @blp.alt_response(404, description="No such listing")
    @blp.alt_response(
        409,
        description="The listing is held by someone else, or gone; or your organisation already has "
        f"{service.MAX_LIVE_HOLDS_PER_ORGANISATION} live holds (limit-reached)",
    )
    @blp.alt_response(422, description="A loan listing, or the acting organisation is unclear")
    def post(self, data: dict[str, Any], listing_id: int) -> Reservation:
        """Hold a listed device for 30 minutes while ordering it

        The hold freezes the listing's terms (price, currency, warranty, a donation's eligible kinds,
        shown as `terms`): the order made from it uses them, whatever the seller changes meanwhile.
        """
        return service.create_reservation(
            current_session(), current_principal(), listing_id, organisation_id=data["organisation_id"]
        )


@blp.route("/reservations/<int:reservation_id>")
class ReservationById(MethodView):
    @blp.response(200, schemas.ReservationSchema)
    @blp.alt_response(404, description="No such reservation")
    def get(self, reservation_id: int) -> Reservation:
        """One of your organisation's reservations"""
        return service.get_reservation(current_session(), current_principal(), reservation_id)

    @blp.response(204)
    @blp.alt_response(404, description="No such reservation")
    @blp.alt_response(409, description="Already ended (ordered, cancelled or expired)")
    def delete(self, reservation_id: int) -> None:
        """Cancel a hold"""
        service.cancel_reservation(current_session(), current_principal(), reservation_id)
