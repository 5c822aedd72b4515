"""Reading the audit log, always within the reader's scope (org paths decide it)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.audit.hiding import not_hidden_from
from points.audit.models import AuditEntry
from points.db import session
from points.labels import N_
from points.org.models import OrgNode
from points.pagination import Cursor, keyset

# What each audit action is called on the audit page, by its code; an action not named here
# is shown by its code.
AUDIT_ACTIONS: dict[str, str] = {
    "activity.cancelled": N_("取消签到活动"),
    "activity.created": N_("创建签到活动"),
    "activity.ended": N_("结束签到活动"),
    "activity.rate_confirmed": N_("确认活动积分标准"),
    "auth.login": N_("登录"),
    "auth.login_failed": N_("登录失败"),
    "auth.logout": N_("退出登录"),
    "award.approved": N_("审批通过积分"),
    "award.rejected": N_("驳回积分"),
    "award.requested": N_("申请积分"),
    "award.withdrawn": N_("撤回积分申请"),
    "budget.set": N_("设置积分预算"),
    "checkin.by_staff": N_("工作人员代签到"),
    "claim.accepted": N_("接受派单"),
    "claim.created": N_("揭榜"),
    "claim.declined": N_("拒绝派单"),
    "claim.no_show": N_("标记未到场"),
    "claim.rejected": N_("验收不通过"),
    "claim.submitted": N_("提交验收"),
    "claim.verified": N_("验收通过"),
    "claim.walk_in": N_("现场报名"),
    "claim.withdrawn": N_("取消揭榜"),
    "demand.accepted": N_("受理点单"),
    "demand.created": N_("点单"),
    "demand.declined": N_("婉拒点单"),
    "demand.photo_set": N_("点单照片"),
    "demand.rated": N_("评价服务"),
    "demand.withdrawn": N_("撤回点单"),
    "evaluation.deduction_appeal": N_("申诉扣分"),
    "evaluation.deduction_approve": N_("同意扣分"),
    "evaluation.deduction_dismiss_appeal": N_("申诉不成立"),
    "evaluation.deduction_reject": N_("不同意扣分"),
    "evaluation.deduction_requested": N_("申请扣分"),
    "evaluation.deduction_uphold_appeal": N_("申诉成立"),
    "evaluation.exempted": N_("免评"),
    "evaluation.notice_opened": N_("公示积分"),
    "evaluation.objection_answered": N_("答复异议"),
    "evaluation.objection_filed": N_("提出异议"),
    "evaluation.period_frozen": N_("公示期结束，冻结积分"),
    "evaluation.year_settled": N_("年度结算"),
    "flag.answer": N_("街道答复异常提示"),
    "flag.escalate": N_("上报异常提示"),
    "flag.explain": N_("说明异常提示"),
    "member_card.reissued": N_("补办会员卡"),
    "org.node_created": N_("新建组织"),
    "person.closed": N_("注销账号"),
    "person.confirmed": N_("确认新账号"),
    "person.consented": N_("同意隐私政策"),
    "person.created": N_("新建人员"),
    "person.password_changed": N_("修改密码"),
    "person.password_reset": N_("重置密码"),
    "person.phone_viewed": N_("查看完整手机号"),
    "person.unlocked": N_("解除锁定"),
    "person.updated": N_("修改人员信息"),
    "project.confirmed": N_("确认项目"),
    "proxy.confirmed": N_("确认家人代办"),
    "proxy.ended": N_("结束家人代办"),
    "proxy.requested": N_("申请家人代办"),
    "registration.confirmed": N_("确认报到"),
    "registration.declined": N_("婉拒报到"),
    "registration.requested": N_("申请报到"),
    "registration.withdrawn": N_("撤回报到"),
    "resource.declared": N_("登记资源"),
    "resource.retired": N_("撤下资源"),
    "role.granted": N_("授予角色"),
    "role.revoked": N_("撤销角色"),
    "roster.confirmed": N_("导入名单"),
    "roster.uploaded": N_("上传名单"),
    "station.created": N_("新建签到站点"),
    "station.key_rotated": N_("更换站点密钥"),
    "station.updated": N_("修改签到站点"),
    "store_item.created": N_("上架商品"),
    "store_item.stock_changed": N_("调整库存"),
    "store_item.updated": N_("修改商品"),
    "task.cancelled": N_("取消任务"),
    "task.closed": N_("截止报名"),
    "task.created": N_("新建任务"),
    "task.dispatched": N_("派单"),
    "task.done": N_("完成任务"),
    "task.drawn": N_("抽签"),
    "task.posted": N_("张榜"),
    "task.updated": N_("修改任务"),
    "transfer.reversal_rejected": N_("驳回冲正"),
    "transfer.reversal_requested": N_("申请冲正"),
    "transfer.reversed": N_("冲正"),
    "unit.created": N_("新建单位"),
    "voucher.cancelled": N_("取消兑换券"),
    "voucher.expired": N_("兑换券过期"),
    "voucher.issued": N_("兑换"),
    "voucher.picked_up": N_("领取兑换物品"),
}


def audit_stmt(actor: Actor, *, action: str | None = None, node_id: int | None = None) -> sa.Select:
    """Entries newest first: those in the actor's audit scope, their units', and their own.

    Every person reads what was done by them or to them; a unit admin reads
    their unit's entries; staff, street admins and supervisors read their scope.
    """
    unit_ids = actor.unit_ids
    stmt = (
        select(AuditEntry)
        .join(OrgNode, OrgNode.id == AuditEntry.node_id, isouter=True)
        .where(
            sa.or_(
                actor.scope_filter("audit.read", OrgNode.path),
                AuditEntry.actor_id == actor.person_id,
                sa.and_(AuditEntry.target_type == "person", AuditEntry.target_id == actor.person_id),
                AuditEntry.unit_id.in_(unit_ids) if unit_ids else sa.false(),
            ),
            not_hidden_from(actor.person_id),
        )
        .order_by(AuditEntry.id.desc())
    )
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if node_id is not None:
        stmt = stmt.where(AuditEntry.node_id == node_id)
    return stmt


def audit_page(
    actor: Actor,
    *,
    action: str | None = None,
    node_id: int | None = None,
    cursor: Cursor | None,
    per_page: int,
) -> dict:
    """A keyset page of `audit_stmt`'s entries, newest first. Each way the reader reaches an
    entry (their scope's nodes, by them, about them, their units) is its own index scan, and
    their UNION is what the page reads: no scan of the whole log behind an OR."""
    branches = _branches(actor)
    filters = [not_hidden_from(actor.person_id)]
    if action:
        filters.append(AuditEntry.action == action)
    if node_id is not None:
        filters.append(AuditEntry.node_id == node_id)

    def build(conditions: list, order: list, limit: int) -> sa.Select:
        parts = [
            sa.select(AuditEntry.id).where(branch, *filters, *conditions).order_by(*order).limit(limit)
            for branch in branches
        ]
        found = sa.union(*(sa.select(part.subquery()) for part in parts)).subquery()
        return select(AuditEntry).join(found, found.c.id == AuditEntry.id).order_by(*order).limit(limit)

    return keyset(
        build,
        keys=[(AuditEntry.id, True)],
        cursor=cursor,
        per_page=per_page,
    )


_NODE_BRANCHES = 64


def _branches(actor: Actor) -> list[sa.ColumnElement[bool]]:
    paths = actor.scope_paths("audit.read")
    if paths is None:
        return [sa.true()]
    branches = [
        AuditEntry.actor_id == actor.person_id,
        sa.and_(AuditEntry.target_type == "person", AuditEntry.target_id == actor.person_id),
    ]
    if paths:
        nodes = list(
            session().scalars(select(OrgNode.id).where(actor.scope_filter("audit.read", OrgNode.path)))
        )
        # A branch per node: each reads its node's newest entries down its (node, id) index and
        # stops at the page's end. One branch for all of them, however named, is read through
        # a join or a bitmap of every entry of those nodes before the newest can be picked.
        if len(nodes) <= _NODE_BRANCHES:
            branches.extend(AuditEntry.node_id == node for node in nodes)
        else:
            branches.append(AuditEntry.node_id.in_(nodes))
    if actor.unit_ids:
        branches.append(AuditEntry.unit_id.in_(actor.unit_ids))
    return branches
