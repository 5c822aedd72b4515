"""JSON endpoints of demands (点单), resources (资源清单) and projects (项目清单)."""

from __future__ import annotations

from flask import abort, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from points import photos
from points.auth.current import current_actor
from points.board.presenters import task_out
from points.board.schemas import ReasonSchema, TaskSchema
from points.db import utcnow
from points.demands import operations, queries
from points.demands.models import PHOTOS, Project, Resource
from points.demands.presenters import demand_out, demands_out, project_out
from points.demands.schemas import (
    DemandAcceptSchema,
    DemandCreateSchema,
    DemandPageSchema,
    DemandPhotoSchema,
    DemandQuerySchema,
    DemandSchema,
    ProjectCreateSchema,
    ProjectPageSchema,
    ProjectQuerySchema,
    ProjectSchema,
    RateSchema,
    ResourceCreateSchema,
    ResourcePageSchema,
    ResourceQuerySchema,
    ResourceSchema,
)
from points.endpoints import SECURED, page_args, paged, secured
from points.errors import problem_doc
from points.pagination import decode_cursor

blp = Blueprint(
    "demands", __name__, url_prefix="/api/v1", description="Demands (点单), resources and projects"
)


@blp.route("/demands")
class Demands(MethodView):
    @secured(blp, 200, DemandPageSchema, query=DemandQuerySchema)
    def get(self, args):
        """My demands; for staff, also the demands of their communities (`mine=true` for only mine);
        newest first, paged by cursor (`next_cursor`, the `Link` header)."""
        actor = current_actor()
        cursor, per_page = page_args(args)
        result = queries.demands_page(queries.demands_stmt(actor, **args), cursor=cursor, per_page=per_page)
        result["items"] = demands_out(actor, result["items"])
        return paged(result)

    @secured(blp, 201, DemandSchema, body=DemandCreateSchema)
    def post(self, data):
        """点单: ask for help, for myself or (grid workers, staff) for a resident."""
        actor = current_actor()
        return demand_out(actor, operations.request_help(actor=actor, **data))


@blp.route("/demands/<int:demand_id>")
class DemandItem(MethodView):
    @secured(blp, 200, DemandSchema)
    def get(self, demand_id):
        actor = current_actor()
        return demand_out(actor, queries.visible_demand(actor, demand_id))


@blp.route("/demands/<int:demand_id>/photo")
class DemandPhoto(MethodView):
    takes_upload = True

    @blp.doc(security=SECURED)
    @blp.response(200, {"type": "string", "format": "binary"}, content_type=photos.MIMETYPE)
    def get(self, demand_id):
        """The demand's photo, to its requester, whoever asked for them and staff over it (404 to
        anyone else, and when it has none)."""
        demand = queries.visible_demand(current_actor(), demand_id)
        path = photos.photo_path(PHOTOS, demand.photo or "")
        if path is None:
            abort(404)
        return send_file(path, mimetype=photos.MIMETYPE, max_age=0)

    @blp.doc(security=SECURED)
    @blp.arguments(DemandPhotoSchema, location="files")
    @blp.response(200, DemandSchema)
    @blp.alt_response(409, **problem_doc("not_open"))
    @blp.alt_response(413, **problem_doc("photo_too_large"))
    @blp.alt_response(422, **problem_doc("invalid_photo"))
    def post(self, files, demand_id):
        """Attach a photo to my open demand, or replace it (multipart/form-data, field `photo`)."""
        actor = current_actor()
        data = files["photo"].read()
        return demand_out(actor, operations.set_demand_photo(actor=actor, demand_id=demand_id, data=data))


@blp.route("/demands/<int:demand_id>/accept")
class DemandAccept(MethodView):
    @secured(blp, 201, TaskSchema, body=DemandAcceptSchema)
    def post(self, data, demand_id):
        """Turn the demand into a posted task, optionally dispatched at once."""
        actor = current_actor()
        dispatch = {
            k: data.pop(k) for k in ("dispatch_person_id", "dispatch_unit_id", "dispatch_phone") if k in data
        }
        if data.get("category") is None:
            data.pop("category", None)
        task = operations.accept_demand(actor=actor, demand_id=demand_id, task=data, **dispatch)
        return task_out(actor, task.id, now=utcnow())


@blp.route("/demands/<int:demand_id>/decline")
class DemandDecline(MethodView):
    @secured(blp, 200, DemandSchema, body=ReasonSchema)
    def post(self, data, demand_id):
        actor = current_actor()
        return demand_out(
            actor, operations.decline_demand(actor=actor, demand_id=demand_id, reason=data["reason"])
        )


@blp.route("/demands/<int:demand_id>/withdraw")
class DemandWithdraw(MethodView):
    @secured(blp, 200, DemandSchema)
    def post(self, demand_id):
        actor = current_actor()
        return demand_out(actor, operations.withdraw_demand(actor=actor, demand_id=demand_id))


@blp.route("/demands/<int:demand_id>/rating")
class DemandRating(MethodView):
    @secured(blp, 200, DemandSchema, body=RateSchema)
    def post(self, data, demand_id):
        """双评价: rate the service once, 1–5, after its task is done (the requester only)."""
        actor = current_actor()
        return demand_out(actor, operations.rate_demand(actor=actor, demand_id=demand_id, **data))


@blp.route("/demands/<int:demand_id>/suggestions")
class DemandSuggestions(MethodView):
    @secured(blp, 200, ResourceSchema(many=True))
    def get(self, demand_id):
        """Resources that could meet the demand, the same category first (staff)."""
        actor = current_actor()
        demand = queries.visible_demand(actor, demand_id)
        actor.require("demands.triage", queries.node_path(demand.community_id))
        return queries.describe_resources(queries.suggestions_for(demand))


# --- resources and projects ------------------------------------------------------------------


@blp.route("/resources")
class Resources(MethodView):
    @secured(blp, 200, ResourcePageSchema, query=ResourceQuerySchema)
    def get(self, args):
        """资源清单: staff see their communities' resources; others what they or their unit declared."""
        actor = current_actor()
        stmt = queries.resources_stmt(
            actor,
            community_id=args.get("community_id"),
            category=args.get("category"),
            active=args["active"],
            person_id=actor.person_id if args["mine"] else None,
            unit_id=args.get("unit_id"),
        )
        cursor = decode_cursor(args.get("cursor"))
        result = queries.newest_first_page(stmt, Resource, cursor=cursor, per_page=args["per_page"])
        result["items"] = queries.describe_resources(result["items"])
        return paged(result)

    @secured(blp, 201, ResourceSchema, body=ResourceCreateSchema)
    def post(self, data):
        """Declare what I (a reported party member) or my unit offer a community."""
        resource = operations.declare_resource(actor=current_actor(), **data)
        return queries.describe_resources([resource])[0]


@blp.route("/resources/<int:resource_id>/retire")
class ResourceRetire(MethodView):
    @secured(blp, 200, ResourceSchema)
    def post(self, resource_id):
        resource = operations.retire_resource(actor=current_actor(), resource_id=resource_id)
        return queries.describe_resources([resource])[0]


@blp.route("/projects")
class Projects(MethodView):
    @secured(blp, 200, ProjectPageSchema, query=ProjectQuerySchema)
    def get(self, args):
        """项目清单 of my communities (staff), or of my own demands."""
        stmt = queries.projects_stmt(current_actor(), community_id=args.get("community_id"))
        cursor = decode_cursor(args.get("cursor"))
        result = queries.newest_first_page(stmt, Project, cursor=cursor, per_page=args["per_page"])
        result["items"] = [project_out(p) for p in result["items"]]
        return paged(result)

    @secured(blp, 201, ProjectSchema, body=ProjectCreateSchema)
    def post(self, data):
        """Confirm a match of a demand with resources."""
        project = operations.create_project(actor=current_actor(), **data)
        return project_out(project)


@blp.route("/projects/<int:project_id>")
class ProjectItem(MethodView):
    @secured(blp, 200, ProjectSchema)
    def get(self, project_id):
        return project_out(queries.visible_project(current_actor(), project_id))
