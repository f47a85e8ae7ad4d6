"""HTTP routes of loans: parse, call one service function, return."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from marketplace.api.context import current_principal, current_session
from marketplace.api.smorest import Blueprint
from marketplace.loans import calendar, extensions, schemas, service
from marketplace.loans.models import Loan, LoanExtension
from marketplace.payments.runtime import current_gateway

blp = Blueprint("loans", __name__, url_prefix="/api/v1", description="Loans with deposits")


def _shown(loan: Loan) -> service.ShownLoan:
    """The loan as this caller sees it: what it may read is decided here, not while serialising."""
    return service.shown(loan, current_principal())


def _shown_extension(extension: LoanExtension) -> extensions.ShownExtension:
    return extensions.shown(extension, current_principal())


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
    @blp.alt_response(409, description="Not on loan (a return and its inspection happen once), or a capture "
                      "from a deposit that is not secured")  # fmt: skip
    @blp.alt_response(
        422,
        description="A capture above the deposit, a partial capture that is not between 0 and the deposit, a capture "
        "on a loan without a deposit, or an unknown photo",
    )
    @blp.alt_response(503, description="The deposit is on a card and card payments are not configured")
    def post(self, data: dict[str, Any], loan_id: int) -> service.ShownLoan:
        """The device is back: record the inspection (condition, accessories, notes, photos) and its final
        deposit decision: released, partly captured or captured (a hold is captured or cancelled, a saved card is
        charged off-session for the amount)"""
        return _shown(
            service.return_loan(
                current_session(),
                current_principal(),
                loan_id,
                inspection=service.Inspection(**data),
                gateway=current_gateway(),
            )
        )


@blp.route("/loans/<int:loan_id>/extensions")
class LoanExtensions(MethodView):
    @blp.arguments(schemas.ExtensionQueryArgsSchema, location="query")
    @blp.response(200, schemas.ExtensionListSchema)
    @blp.alt_response(404, description="No such loan (or not yours)")
    def get(self, args: dict[str, Any], loan_id: int) -> dict[str, Any]:
        """The loan's extension requests, oldest first"""
        page = extensions.list_extensions(
            current_session(), current_principal(), loan_id, cursor=args["cursor"], limit=args["limit"]
        )
        return {"items": [_shown_extension(x) for x in page.items], "next_cursor": page.next_cursor}

    @blp.arguments(schemas.ExtensionCreateSchema)
    @blp.response(201, schemas.ExtensionSchema)
    @blp.alt_response(403, description="Only the borrower asks")
    @blp.alt_response(404, description="No such loan (or not yours)")
    @blp.alt_response(
        409, description="The loan has ended, a request is already pending, or the days are another loan's"
    )
    @blp.alt_response(422, description="Not after the current end, or longer than the listing's max_days")
    @blp.alt_response(503, description="A card must be saved for the longer loan and payments are not configured")
    def post(self, data: dict[str, Any], loan_id: int) -> extensions.ShownExtension:
        """Ask the lender to keep the device until a later end; the days stay held until the lender decides"""
        return _shown_extension(
            extensions.request_extension(
                current_session(), current_principal(), loan_id, end=data["end"], gateway=current_gateway()
            )
        )


@blp.route("/loan-extensions/<int:extension_id>")
class LoanExtensionById(MethodView):
    @blp.response(200, schemas.ExtensionSchema)
    @blp.alt_response(404, description="No such extension request (or not yours)")
    def get(self, extension_id: int) -> extensions.ShownExtension:
        """An extension request (borrower, lender, staff)"""
        return _shown_extension(extensions.get_extension(current_session(), current_principal(), extension_id))


@blp.route("/loan-extensions/<int:extension_id>/approve")
class LoanExtensionApprove(MethodView):
    @blp.response(200, schemas.ExtensionSchema)
    @blp.alt_response(403, description="Only the lender's listers and admins decide")
    @blp.alt_response(404, description="No such extension request (or not yours)")
    @blp.alt_response(
        409,
        description="Already decided or withdrawn, the loan has ended, the days are taken, or the borrower has not "
        "saved the card the longer loan needs",
    )
    @blp.alt_response(422, description="The listing's max_days went down below the longer loan")
    @blp.alt_response(503, description="The hold must become a saved card and card payments are not configured")
    def post(self, extension_id: int) -> extensions.ShownExtension:
        """Approve: the loan ends on the requested day"""
        return _shown_extension(
            extensions.approve_extension(
                current_session(), current_principal(), extension_id, gateway=current_gateway()
            )
        )


@blp.route("/loan-extensions/<int:extension_id>/refuse")
class LoanExtensionRefuse(MethodView):
    @blp.arguments(schemas.ExtensionRefuseSchema)
    @blp.response(200, schemas.ExtensionSchema)
    @blp.alt_response(403, description="Only the lender's listers and admins decide")
    @blp.alt_response(404, description="No such extension request (or not yours)")
    @blp.alt_response(409, description="Already decided or withdrawn")
    def post(self, data: dict[str, Any], extension_id: int) -> extensions.ShownExtension:
        """Refuse, with a reason for the borrower; the held days are free again"""
        return _shown_extension(
            extensions.refuse_extension(current_session(), current_principal(), extension_id, reason=data["reason"])
        )


@blp.route("/loan-extensions/<int:extension_id>/withdraw")
class LoanExtensionWithdraw(MethodView):
    @blp.response(200, schemas.ExtensionSchema)
    @blp.alt_response(403, description="Only the borrower withdraws")
    @blp.alt_response(404, description="No such extension request (or not yours)")
    @blp.alt_response(409, description="Already decided or withdrawn")
    def post(self, extension_id: int) -> extensions.ShownExtension:
        """The borrower takes the request back; the held days are free again"""
        return _shown_extension(extensions.withdraw_extension(current_session(), current_principal(), extension_id))


@blp.route("/listings/<int:listing_id>/calendar")
class ListingCalendar(MethodView):
    @blp.arguments(schemas.CalendarArgsSchema, location="query")
    @blp.response(200, schemas.CalendarSchema)
    @blp.alt_response(404, description="No such listing (or not visible to you)")
    @blp.alt_response(409, description="The listing is no longer on offer")
    @blp.alt_response(422, description="An empty window, or one wider than the most allowed")
    def get(self, args: dict[str, Any], listing_id: int) -> calendar.Calendar:
        """The periods [start, end) the listed device is taken: loans booked or under way, and days held by a
        pending extension (tentative). Borrowers are named to the lender only."""
        return calendar.listing_calendar(
            current_session(), current_principal(), listing_id, start=args["from_"], end=args["to"]
        )


@blp.route("/loans/<int:loan_id>/cancel")
class LoanCancel(MethodView):
    @blp.response(200, schemas.LoanSchema)
    @blp.alt_response(409, description="Already handed over")
    def post(self, loan_id: int) -> service.ShownLoan:
        """Cancel a booked loan; a deposit hold is released"""
        return _shown(service.cancel_loan(current_session(), current_principal(), loan_id, gateway=current_gateway()))
