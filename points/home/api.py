"""`/api/v1/me`: what several domains hold about the caller, in one answer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.home import queries
from points.home.schemas import MeSchema

blp = Blueprint("home", __name__, url_prefix="/api/v1", description="Me")
SECURED = [{"bearerAuth": []}]


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, MeSchema)
    def get(self):
        """My profile, roles, party-member status and balances."""
        return queries.profile(current_actor())
