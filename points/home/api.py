"""`/api/v1/me`: what several domains hold about the caller, in one answer."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.home.schemas import MeSchema
from points.ledger.queries import balances_of_person
from points.people import queries as people

blp = Blueprint("home", __name__, url_prefix="/api/v1", description="Me")
SECURED = [{"bearerAuth": []}]


@blp.route("/me")
class Me(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, MeSchema)
    def get(self):
        """My profile, roles, party-member status and balances."""
        actor = current_actor()
        person = people.get_person(actor.person_id)
        reg = people.member_registration(person.id)
        return {
            "id": person.id,
            "name": person.name,
            "phone": person.phone,
            "community_id": person.community_id,
            "grid_id": person.grid_id,
            "work_unit_id": person.work_unit_id,
            "party": {
                "is_party_member": person.is_party_member,
                "acts_as_party_member": people.acts_as_party_member(person),
                "registration_id": reg.id if reg else None,
                "registration_status": reg.status if reg else None,
                "community_id": reg.community_id if reg else None,
            },
            "roles": people.role_list(person.id),
            "balances": balances_of_person(person.id),
        }
