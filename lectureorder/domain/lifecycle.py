"""The order state machine: every legal (state, action) pair and where it leads."""

from __future__ import annotations

from enum import StrEnum

from .errors import N_, InvalidTransition


class OrderStatus(StrEnum):
    SUBMITTED = "submitted"
    OFFERED = "offered"
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"
    CLOSED = "closed"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"


class OrderAction(StrEnum):
    OFFER = "offer"            # offered to a member (or to the pool), also the next candidate
    ESCALATE = "escalate"      # nobody eligible / all declined / offers expired
    SCHEDULE = "schedule"      # a member accepted, or a coordinator assigned
    UNSCHEDULE = "unschedule"  # the session fell through; back to the coordinator
    DELIVER = "deliver"        # the member recorded the delivery
    CLOSE = "close"            # rated, or closed by a coordinator
    CANCEL = "cancel"


S, A = OrderStatus, OrderAction

TRANSITIONS: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (S.SUBMITTED, A.OFFER): S.OFFERED,
    (S.OFFERED, A.OFFER): S.OFFERED,
    (S.NEEDS_ATTENTION, A.OFFER): S.OFFERED,
    (S.SUBMITTED, A.ESCALATE): S.NEEDS_ATTENTION,
    (S.OFFERED, A.ESCALATE): S.NEEDS_ATTENTION,
    (S.SUBMITTED, A.SCHEDULE): S.SCHEDULED,
    (S.OFFERED, A.SCHEDULE): S.SCHEDULED,
    (S.NEEDS_ATTENTION, A.SCHEDULE): S.SCHEDULED,
    (S.SCHEDULED, A.UNSCHEDULE): S.NEEDS_ATTENTION,
    (S.SCHEDULED, A.DELIVER): S.DELIVERED,
    (S.DELIVERED, A.CLOSE): S.CLOSED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.OFFERED, A.CANCEL): S.CANCELLED,
    (S.NEEDS_ATTENTION, A.CANCEL): S.CANCELLED,
    (S.SCHEDULED, A.CANCEL): S.CANCELLED,
}

#: States in which the requester may still cancel (not yet delivered).
CANCELLABLE = frozenset(s for (s, a) in TRANSITIONS if a is A.CANCEL)
#: States in which the order is still waiting for someone on the team.
OPEN_STATES = frozenset({S.SUBMITTED, S.OFFERED, S.NEEDS_ATTENTION})

STATUS_LABELS = {
    S.SUBMITTED: N_("Received"),
    S.OFFERED: N_("Waiting for a team member"),
    S.SCHEDULED: N_("Scheduled"),
    S.DELIVERED: N_("Delivered"),
    S.CLOSED: N_("Closed"),
    S.NEEDS_ATTENTION: N_("Being arranged by the coordinator"),
    S.CANCELLED: N_("Cancelled"),
}


def next_status(current: str, action: str) -> OrderStatus:
    """Where `action` leads from `current`; raises InvalidTransition when it may not happen."""
    try:
        key = (OrderStatus(current), OrderAction(action))
    except ValueError as exc:
        raise InvalidTransition(str(current), str(action)) from exc
    try:
        return TRANSITIONS[key]
    except KeyError:
        raise InvalidTransition(key[0].value, key[1].value) from None


def can(current: str, action: str) -> bool:
    try:
        next_status(current, action)
    except InvalidTransition:
        return False
    return True
