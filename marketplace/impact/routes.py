"""HTTP routes of the impact report (public: aggregates only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.api.context import current_session
from marketplace.api.smorest import Blueprint
from marketplace.impact import schemas, service

blp = Blueprint("impact", __name__, url_prefix="/api/v1/impact", description="Impact of the cluster")


@blp.route("")
class Impact(MethodView):
    @blp.arguments(schemas.ImpactQueryArgsSchema, location="query")
    @blp.response(200, schemas.ImpactReportSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Devices reused, life-years added, kg CO2e and e-waste avoided, with the method"""
        return service.impact_report(
            current_session(),
            organisation_id=args.get("organisation_id"),
            date_from=args.get("from_"),
            date_to=args.get("to"),
            version=args.get("version"),
        )


@blp.route("/factors")
class Factors(MethodView):
    @blp.arguments(schemas.ImpactQueryArgsSchema(only=("version",)), location="query")
    @blp.response(200, schemas.ImpactFactorSetSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The factor table (per device kind) with the source and year of every figure"""
        chosen, factors = service.factor_set(current_session(), args.get("version"))
        return {
            "version": chosen.version,
            "published_on": chosen.published_on,
            "method": chosen.method,
            "factors": [factors[k] for k in sorted(factors)],
        }
