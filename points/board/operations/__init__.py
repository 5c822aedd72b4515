"""Every change on the task board: tasks (`tasks`) and the claims on them (`claims`), each
enforcing its state machine's table (`rules`). The draw lives in `points.board.draw`."""

from points.board.operations.claims import (
    accept_dispatch,
    check_in_claim,
    claim_amount,
    claim_kind,
    claim_task,
    decline_dispatch,
    dispatch_task,
    mark_no_show,
    reject_claim,
    submit_claim,
    verify_claim,
    withdraw_claim,
)
from points.board.operations.tasks import (
    cancel_task,
    close_task,
    complete_task,
    create_task,
    post_task,
    refuse_if,
    required_text,
    update_task,
)

__all__ = [
    "accept_dispatch",
    "cancel_task",
    "check_in_claim",
    "claim_amount",
    "claim_kind",
    "claim_task",
    "close_task",
    "complete_task",
    "create_task",
    "decline_dispatch",
    "dispatch_task",
    "mark_no_show",
    "post_task",
    "refuse_if",
    "reject_claim",
    "required_text",
    "submit_claim",
    "update_task",
    "verify_claim",
    "withdraw_claim",
]
