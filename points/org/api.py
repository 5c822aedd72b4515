"""JSON endpoints for the org tree, stations and units."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.endpoints import secured
from points.org import operations, queries
from points.org.schemas import (
    NodeCreateSchema,
    NodeSchema,
    StationCreateSchema,
    StationQuerySchema,
    StationSchema,
    StationUpdateSchema,
    TreeNodeSchema,
    UnitCreateSchema,
    UnitSchema,
)

blp = Blueprint("org", __name__, url_prefix="/api/v1", description="Org tree, stations and units")


@blp.route("/org/tree")
class Tree(MethodView):
    @secured(blp, 200, TreeNodeSchema(many=True))
    def get(self):
        """The org tree, city down to grids (public names only)."""
        current_actor()
        return queries.tree()


@blp.route("/org/nodes")
class Nodes(MethodView):
    @secured(blp, 201, NodeSchema, body=NodeCreateSchema)
    def post(self, data):
        """Add a node under a parent (street admins within their subtree, admins anywhere)."""
        return operations.create_node(actor=current_actor(), **data)


@blp.route("/org/nodes/<int:node_id>")
class Node(MethodView):
    @secured(blp, 200, NodeSchema)
    def get(self, node_id):
        current_actor()
        return queries.get_node(node_id)


@blp.route("/stations")
class Stations(MethodView):
    @secured(blp, 200, StationSchema(many=True), query=StationQuerySchema)
    def get(self, args):
        """Stations, optionally those within one node's subtree."""
        current_actor()
        return queries.stations(node_id=args.get("node_id"))

    @secured(blp, 201, StationSchema, body=StationCreateSchema)
    def post(self, data):
        """Add a station (staff of the community, street admins, admins)."""
        return operations.create_station(actor=current_actor(), **data)


@blp.route("/stations/<int:station_id>")
class StationItem(MethodView):
    @secured(blp, 200, StationSchema)
    def get(self, station_id):
        current_actor()
        return queries.get_station(station_id)

    @secured(blp, 200, StationSchema, body=StationUpdateSchema)
    def patch(self, data, station_id):
        return operations.update_station(actor=current_actor(), station_id=station_id, changes=data)


@blp.route("/units")
class Units(MethodView):
    @secured(blp, 200, UnitSchema(many=True))
    def get(self):
        """Units (驻区单位) and their party organisations."""
        current_actor()
        return queries.all_units()

    @secured(blp, 201, UnitSchema, body=UnitCreateSchema)
    def post(self, data):
        return operations.create_unit(actor=current_actor(), **data)


@blp.route("/units/<int:unit_id>")
class UnitItem(MethodView):
    @secured(blp, 200, UnitSchema)
    def get(self, unit_id):
        current_actor()
        return queries.get_unit(unit_id)
