"""JSON endpoints for me, people, roles, registrations and the audit log."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor, current_actor_or_none
from points.endpoints import action_route, page_args, paged, secured
from points.errors import DomainError, NotFound
from points.extensions import limiter
from points.pagination import decode_cursor, keyset_schema
from points.people import operations, queries
from points.people.audit_log import audit_page
from points.people.passwords import generate_password
from points.people.schemas import (
    AuditEntrySchema,
    AuditQuerySchema,
    GrantCreateSchema,
    PasswordChangeSchema,
    PeopleQuerySchema,
    PersonCreatedSchema,
    PersonCreateSchema,
    PersonSchema,
    PersonUpdateSchema,
    RegistrationCreateSchema,
    RegistrationDecisionSchema,
    RegistrationQuerySchema,
    RegistrationSchema,
    RoleSchema,
)

blp = Blueprint(
    "people", __name__, url_prefix="/api/v1", description="Me, people, roles, registrations, audit"
)


def _password_key(scope: str) -> str:
    """Per token, or per account: whoever holds a stolen token cannot guess the password fast."""
    try:
        actor = current_actor_or_none()
    except DomainError:
        actor = None
    if actor is None:
        return "password-anonymous"
    return f"password-token:{g.api_token_id}" if scope == "token" else f"password-account:{actor.person_id}"


@blp.route("/me/password")
class MyPassword(MethodView):
    decorators = [
        limiter.limit(
            lambda: current_app.config["PASSWORD_RATE_LIMIT_TOKEN"],
            key_func=lambda: _password_key("token"),
            methods=["POST"],
        ),
        limiter.limit(
            lambda: current_app.config["PASSWORD_RATE_LIMIT_ACCOUNT"],
            key_func=lambda: _password_key("account"),
            methods=["POST"],
        ),
    ]

    @secured(blp, 204, body=PasswordChangeSchema)
    def post(self, data):
        """Change my password; every page session and API token of mine ends (log in again)."""
        operations.change_own_password(actor=current_actor(), **data)


@blp.route("/people")
class People(MethodView):
    @secured(blp, 200, keyset_schema(PersonSchema), query=PeopleQuerySchema)
    def get(self, args):
        """People within the caller's scope (staff, grid workers, street admins, supervisors), by
        id; follow `next_cursor` (or the `Link` header) for the next page."""
        actor = current_actor()
        found = queries.people_page(
            actor,
            community_id=args.get("community_id"),
            q=args.get("q"),
            cursor=decode_cursor(args.get("cursor")),
            per_page=args["per_page"],
        )
        operations.record_phone_views(actor=actor, people=found["items"])
        return paged(found)

    @secured(blp, 201, PersonCreatedSchema, body=PersonCreateSchema)
    def post(self, data):
        """Add a person; without a password one is made, shown once, and changed at first login."""
        actor = current_actor()
        password = data.pop("password", None)
        generated = password is None
        if generated:
            password = generate_password()
        person = operations.create_person(
            actor=actor, password=password, must_change_password=generated, **data
        )
        out = queries.person_view(actor, person)
        if generated:
            out["initial_password"] = password
        return out


@blp.route("/people/<int:person_id>")
class PersonItem(MethodView):
    @secured(blp, 200, PersonSchema)
    def get(self, person_id):
        actor = current_actor()
        shown = queries.person_view(actor, queries.visible_person(actor, person_id))
        operations.record_phone_views(actor=actor, people=[shown])
        return shown

    @secured(blp, 200, PersonSchema, body=PersonUpdateSchema)
    def patch(self, data, person_id):
        actor = current_actor()
        return queries.person_view(
            actor, operations.update_person(actor=actor, person_id=person_id, changes=data)
        )


@blp.route("/people/<int:person_id>/unlock")
class PersonUnlock(MethodView):
    @secured(blp, 200, PersonSchema)
    def post(self, person_id):
        """Lift a lock left by repeated failed logins."""
        actor = current_actor()
        return queries.person_view(actor, operations.unlock_person(actor=actor, person_id=person_id))


@blp.route("/people/<int:person_id>/password-reset")
class PersonPasswordReset(MethodView):
    @secured(blp, 200, PersonCreatedSchema)
    def post(self, person_id):
        """Set a new random password and show it once."""
        actor = current_actor()
        password = operations.reset_password(actor=actor, person_id=person_id)
        out = queries.person_view(actor, queries.get_person(person_id))
        out["initial_password"] = password
        return out


@blp.route("/people/<int:person_id>/roles")
class PersonRoles(MethodView):
    @secured(blp, 200, RoleSchema(many=True))
    def get(self, person_id):
        actor = current_actor()
        queries.visible_person(actor, person_id)
        return queries.role_list(person_id)

    @secured(blp, 201, RoleSchema, body=GrantCreateSchema)
    def post(self, data, person_id):
        """Grant a role on a node or unit (only roles the caller may hand out, in their scope)."""
        actor = current_actor()
        queries.visible_person(actor, person_id)
        grant = operations.grant_role(actor=actor, person_id=person_id, **data)
        return next(r for r in queries.role_list(person_id) if r["id"] == grant.id)


@blp.route("/people/<int:person_id>/roles/<int:grant_id>")
class PersonRole(MethodView):
    @secured(blp, 204)
    def delete(self, person_id, grant_id):
        actor = current_actor()
        queries.visible_person(actor, person_id)
        if not any(r["id"] == grant_id for r in queries.role_list(person_id)):
            raise NotFound("grant_not_found", "授权不存在")
        operations.revoke_role(actor=actor, grant_id=grant_id)


@blp.route("/registrations")
class Registrations(MethodView):
    @secured(blp, 200, keyset_schema(RegistrationSchema), query=RegistrationQuerySchema)
    def get(self, args):
        """Registrations (双报到): staff see their communities', others their own and their unit's;
        newest first, paged by cursor (`next_cursor`, the `Link` header)."""
        actor = current_actor()
        cursor, per_page = page_args(args)
        found = queries.registrations_page(actor, cursor=cursor, per_page=per_page, **args)
        found["items"] = [queries.registration_view(actor, reg) for reg in found["items"]]
        return paged(found)

    @secured(blp, 201, RegistrationSchema, body=RegistrationCreateSchema)
    def post(self, data):
        """Report to a community: a party member for themselves, a unit admin for the unit."""
        actor = current_actor()
        return queries.registration_view(actor, operations.request_registration(actor=actor, **data))


@blp.route("/registrations/<int:registration_id>")
class RegistrationItem(MethodView):
    @secured(blp, 200, RegistrationSchema)
    def get(self, registration_id):
        actor = current_actor()
        return queries.registration_view(actor, queries.visible_registration(actor, registration_id))


def _registration_decision(name: str, endpoint: str, doc: str, *, confirm: bool):
    """POST /registrations/<id>/<name>: staff decide a registration, with a note."""

    class RegistrationDecision(MethodView):
        @secured(blp, 200, RegistrationSchema, body=RegistrationDecisionSchema)
        def post(self, data, registration_id):
            actor = current_actor()
            reg = operations.decide_registration(
                actor=actor, registration_id=registration_id, confirm=confirm, note=data["note"]
            )
            return queries.registration_view(actor, reg)

    return action_route(
        blp, f"/registrations/<int:registration_id>/{name}", endpoint, RegistrationDecision, doc
    )


_registration_decision(
    "confirm",
    "RegistrationConfirm",
    "Confirm (staff of the community; never one's own or one's unit's).",
    confirm=True,
)
_registration_decision("decline", "RegistrationDecline", "Decline with a reason (required).", confirm=False)


@blp.route("/registrations/<int:registration_id>/withdraw")
class RegistrationWithdraw(MethodView):
    @secured(blp, 200, RegistrationSchema)
    def post(self, registration_id):
        """Withdraw one's own (or one's unit's) pending or confirmed registration."""
        actor = current_actor()
        return queries.registration_view(
            actor, operations.withdraw_registration(actor=actor, registration_id=registration_id)
        )


@blp.route("/audit")
class Audit(MethodView):
    @secured(blp, 200, keyset_schema(AuditEntrySchema), query=AuditQuerySchema)
    def get(self, args):
        """The audit log within the caller's scope, plus entries by or about the caller, newest first."""
        found = audit_page(
            current_actor(),
            action=args.get("action"),
            node_id=args.get("node_id"),
            cursor=decode_cursor(args.get("cursor")),
            per_page=args["per_page"],
        )
        return paged(found)
