"""`/api/v1/me`: what several domains hold about the caller, in one answer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.errors import problem_doc
from points.home import mydata, queries
from points.home.schemas import CloseAccountSchema, MeSchema, MyDataSchema
from points.people.operations import close_account

blp = Blueprint("home", __name__, url_prefix="/api/v1", description="Me")
SECURED = [{"bearerAuth": []}]


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, MeSchema)
    def get(self):
        """My profile, roles, party-member status and balances."""
        return queries.profile(current_actor())


@blp.route("/me/data")
class MyData(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, MyDataSchema)
    def get(self):
        """Everything held about me (PIPL): profile, consents, roles, registrations, claims,
        check-ins, demands, vouchers, statement, notices."""
        return mydata.my_data(current_actor())


@blp.route("/me/close")
class CloseAccount(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(CloseAccountSchema)
    @blp.response(204)
    @blp.alt_response(422, **problem_doc("invalid_credentials"))
    @blp.alt_response(409, **problem_doc("holds_roles"))
    def post(self, data):
        """Close my account: name and phone are removed, every token ends, no login again."""
        close_account(actor=current_actor(), password=data["password"])
