"""JSON endpoints for the org tree, stations and units."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
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
SECURED = [{"bearerAuth": []}]


@blp.route("/org/tree")
class Tree(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, TreeNodeSchema(many=True))
    def get(self):
        """The org tree, city down to grids (public names only)."""
        current_actor()
        return queries.tree()


@blp.route("/org/nodes")
class Nodes(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(NodeCreateSchema)
    @blp.response(201, NodeSchema)
    def post(self, data):
        """Add a node under a parent (street admins within their subtree, admins anywhere)."""
        return operations.create_node(actor=current_actor(), **data)


@blp.route("/org/nodes/<int:node_id>")
class Node(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, NodeSchema)
    def get(self, node_id):
        current_actor()
        return queries.get_node(node_id)


@blp.route("/stations")
class Stations(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(StationQuerySchema, location="query")
    @blp.response(200, StationSchema(many=True))
    def get(self, args):
        """Stations, optionally those within one node's subtree."""
        current_actor()
        return queries.stations(node_id=args.get("node_id"))

    @blp.doc(security=SECURED)
    @blp.arguments(StationCreateSchema)
    @blp.response(201, StationSchema)
    def post(self, data):
        """Add a station (staff of the community, street admins, admins)."""
        return operations.create_station(actor=current_actor(), **data)


@blp.route("/stations/<int:station_id>")
class StationItem(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, StationSchema)
    def get(self, station_id):
        current_actor()
        return queries.get_station(station_id)

    @blp.doc(security=SECURED)
    @blp.arguments(StationUpdateSchema)
    @blp.response(200, StationSchema)
    def patch(self, data, station_id):
        return operations.update_station(actor=current_actor(), station_id=station_id, changes=data)


@blp.route("/units")
class Units(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, UnitSchema(many=True))
    def get(self):
        """Units (驻区单位) and their party organisations."""
        current_actor()
        return queries.all_units()

    @blp.doc(security=SECURED)
    @blp.arguments(UnitCreateSchema)
    @blp.response(201, UnitSchema)
    def post(self, data):
        return operations.create_unit(actor=current_actor(), **data)


@blp.route("/units/<int:unit_id>")
class UnitItem(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, UnitSchema)
    def get(self, unit_id):
        current_actor()
        return queries.get_unit(unit_id)
