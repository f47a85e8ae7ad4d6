"""HTTP routes of loans: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.loans import schemas, service
from marketplace.loans.models import Loan
from marketplace.payments.runtime import current_gateway

blp = Blueprint("loans", __name__, url_prefix="/api/v1", description="Loans with deposits")


def _shown(loan: Loan) -> service.ShownLoan:
    """The loan as this caller sees it: what it may read is decided here, not while serialising."""
    return service.shown(loan, current_principal())


@blp.route("/listings/<int:listing_id>/loans")
class ListingLoans(MethodView):
    @blp.arguments(schemas.LoanCreateSchema)
    @blp.response(201, schemas.LoanSchema)
    @blp.alt_response(404, description="No such listing")
    @blp.alt_response(
        409,
        description="The period overlaps another loan, or the device is gone; or your organisation already has "
        f"{service.MAX_BOOKED_LOANS_PER_ORGANISATION} loans booked and not handed over (limit-reached)",
    )
    @blp.alt_response(
        422,
        description="Not a loan listing, or the period is outside its limits: the listing's min_days and max_days "
        f"(max_days {service.DEFAULT_MAX_LOAN_DAYS} when it sets none), a start within "
        f"{service.MAX_BOOKING_LEAD_DAYS} days",
    )
    @blp.alt_response(503, description="A deposit is needed and card payments are not configured")
    def post(self, data: dict[str, Any], listing_id: int) -> service.ShownLoan:
        """Borrow a device for [start, end); a deposit is secured by card when the listing asks one"""
        return _shown(
            service.create_loan(
                current_session(),
                current_principal(),
                listing_id,
                start=data["start"],
                end=data["end"],
                organisation_id=data["organisation_id"],
                gateway=current_gateway(),
            )
        )


@blp.route("/loans")
class Loans(MethodView):
    @blp.arguments(schemas.LoanQueryArgsSchema, location="query")
    @blp.response(200, schemas.LoanListSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your organisations' loans; overdue=true for those past their end and not returned"""
        page = service.list_loans(
            current_session(),
            current_principal(),
            overdue=args["overdue"],
            role=args["role"],
            status=args["status"],
            cursor=args["cursor"],
            limit=args["limit"],
        )
        return {"items": [_shown(x) for x in page.items], "next_cursor": page.next_cursor}


@blp.route("/loans/<int:loan_id>")
class LoanById(MethodView):
    @blp.response(200, schemas.LoanSchema)
    @blp.alt_response(404, description="No such loan (or not yours)")
    def get(self, loan_id: int) -> service.ShownLoan:
        """A loan (borrower organisation, lender organisation and staff)"""
        return _shown(service.get_loan(current_session(), current_principal(), loan_id))


@blp.route("/loans/<int:loan_id>/handover")
class LoanHandover(MethodView):
    @blp.response(200, schemas.LoanSchema)
    @blp.alt_response(403, description="Only the lender hands over")
    @blp.alt_response(
        409, description="Not booked, not in its period, the deposit is not secured, or the listing is suspended"
    )
    def post(self, loan_id: int) -> service.ShownLoan:
        """The lender hands the device over"""
        return _shown(service.hand_over(current_session(), current_principal(), loan_id, gateway=current_gateway()))


@blp.route("/loans/<int:loan_id>/return")
class LoanReturn(MethodView):
    @blp.arguments(schemas.LoanReturnSchema)
    @blp.response(200, schemas.LoanSchema)
    @blp.alt_response(403, description="Only the lender records the return")
    @blp.alt_response(409, description="Not on loan")
    @blp.alt_response(
        422,
        description="Damage above the deposit, or above "
        f"{service.MAX_DAMAGE_WITHOUT_DEPOSIT_CENTS} cents when the loan has no deposit",
    )
    def post(self, data: dict[str, Any], loan_id: int) -> service.ShownLoan:
        """Record the return: condition, photos, damage; the deposit is captured, partly or released"""
        return _shown(
            service.return_loan(current_session(), current_principal(), loan_id, gateway=current_gateway(), **data)
        )


@blp.route("/loans/<int:loan_id>/extend")
class LoanExtend(MethodView):
    @blp.arguments(schemas.LoanExtendSchema)
    @blp.response(200, schemas.LoanSchema)
    @blp.alt_response(409, description="The device is lent to someone else then, or the hold cannot last")
    def post(self, data: dict[str, Any], loan_id: int) -> service.ShownLoan:
        """Extend the loan if the device is free"""
        return _shown(service.extend_loan(current_session(), current_principal(), loan_id, end=data["end"]))


@blp.route("/loans/<int:loan_id>/cancel")
class LoanCancel(MethodView):
    @blp.response(200, schemas.LoanSchema)
    @blp.alt_response(409, description="Already handed over")
    def post(self, loan_id: int) -> service.ShownLoan:
        """Cancel a booked loan; a deposit hold is released"""
        return _shown(service.cancel_loan(current_session(), current_principal(), loan_id, gateway=current_gateway()))
