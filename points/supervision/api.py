"""JSON endpoints of anomaly flags: the list within scope, one flag with its evidence, and a
supervisor's decision (explain or escalate). A flag about the reader does not exist for them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.errors import Forbidden, problem_doc
from points.pagination import decode_cursor, page_links
from points.supervision import operations, presenters, queries
from points.supervision.schemas import DecisionSchema, FlagPageSchema, FlagQuerySchema, FlagSchema
from points.supervision.transitions import visibility_refusal

blp = Blueprint(
    "supervision", __name__, url_prefix="/api/v1", description="Anomaly flags for the supervision group"
)
SECURED = [{"bearerAuth": []}]


def _reader():
    actor = current_actor()
    if not actor.can_somewhere("flags.read"):
        raise Forbidden("forbidden", "只有工作人员和监督小组可以查看异常提示")
    return actor


@blp.route("/flags")
class Flags(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(FlagQuerySchema, location="query")
    @blp.response(200, FlagPageSchema)
    def get(self, args):
        """Anomaly flags within my scope, newest first, by detector, community and state (staff,
        street admins, supervisors); flags about me are never listed. Paged by cursor
        (`next_cursor`, the `Link` header)."""
        actor = _reader()
        stmt = queries.flags_stmt(
            actor,
            detector=args.get("detector"),
            community_id=args.get("community_id"),
            state=args.get("state"),
        )
        page = queries.flags_page(stmt, cursor=decode_cursor(args.get("cursor")), per_page=args["per_page"])
        page["items"] = presenters.flag_views(actor, page["items"])
        return page, 200, page_links(page)


@blp.route("/flags/<int:flag_id>")
class OneFlag(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, FlagSchema)
    @blp.alt_response(404, **problem_doc("not_found"))
    def get(self, flag_id: int):
        """One flag with its evidence (the rows that make it, each with its place in this API)."""
        actor = current_actor()
        flag = queries.get_flag(flag_id)
        refusal = visibility_refusal(actor, flag)
        if refusal is not None:
            raise refusal
        return presenters.flag_views(actor, [flag])[0]


def _decision(action: str):
    @blp.doc(security=SECURED)
    @blp.arguments(DecisionSchema)
    @blp.response(200, FlagSchema)
    @blp.alt_response(403, **problem_doc("forbidden"))
    @blp.alt_response(404, **problem_doc("not_found"))
    @blp.alt_response(409, **problem_doc("flag_decided"))
    @blp.alt_response(422, **problem_doc("note_required"))
    def post(self, data, flag_id: int):
        actor = current_actor()
        flag = operations.decide_flag(actor=actor, flag_id=flag_id, action=action, note=data["note"])
        return presenters.flag_views(actor, [flag])[0]

    return post


@blp.route("/flags/<int:flag_id>/explain")
class ExplainFlag(MethodView):
    post = _decision("explain")
    post.__doc__ = "Mark the flag explained, with a note saying why it is in order (supervisors)."


@blp.route("/flags/<int:flag_id>/escalate")
class EscalateFlag(MethodView):
    post = _decision("escalate")
    post.__doc__ = "Escalate the flag to the street admins over its community, with a note (supervisors)."


@blp.route("/flags/<int:flag_id>/answer")
class AnswerFlag(MethodView):
    post = _decision("answer")
    post.__doc__ = (
        "Record the street admin's answer to an escalated flag, which marks it explained (street admins)."
    )
