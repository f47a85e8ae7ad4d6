"""HTTP route of the fleet forecast: JSON, or CSV with ``Accept: text/csv``."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.fleet import schemas, service

blp = Blueprint("fleet", __name__, url_prefix="/api/v1", description="Fleet health and forecast")


@blp.route("/organisations/<int:organisation_id>/fleet-health")
class FleetHealth(MethodView):
    @blp.response(200, schemas.FleetHealthSchema)
    @blp.doc(
        responses={
            "200": {
                "description": "The fleet forecast (JSON), or with `Accept: text/csv` one CSV row per device",
                "content": {
                    "application/json": {"schema": schemas.FleetHealthSchema},
                    "text/csv": {
                        "schema": {"type": "string"},
                        "example": "device_id,asset_tag,kind,…,recommendation,repair,reason",
                    },
                },
            }
        }
    )
    @blp.alt_response(401, description="No token")
    @blp.alt_response(403, description="Bench token, or not a member of the organisation")
    @blp.alt_response(404, description="No such organisation")
    def get(self, organisation_id: int) -> service.FleetHealth | Response:
        """Devices by health and grade, end of life by quarter, a recommendation per device (CSV: Accept text/csv)"""
        fleet = service.fleet_health(current_session(), current_principal(), organisation_id)
        best = request.accept_mimetypes.best_match(["application/json", "text/csv"], default="application/json")
        if best == "text/csv":
            return Response(
                service.to_csv(fleet),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="fleet-health-{organisation_id}.csv"'},
            )
        return fleet
