"""The state machines of orders, offers and lecture sessions: every legal (state, action) pair
and where it leads. The models change status only through these (``transition()``)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

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


class Machine:
    """One state machine: a table of (state, action) -> state; anything else is refused."""

    def __init__(self, states: type[StrEnum], actions: type[StrEnum],
                 table: Mapping[tuple[StrEnum, StrEnum], StrEnum]) -> None:
        self.states, self.actions = states, actions
        self.table = MappingProxyType(dict(table))

    def next(self, current: str, action: str) -> StrEnum:
        """Where `action` leads from `current`; raises InvalidTransition when it may not happen."""
        try:
            key = (self.states(current), self.actions(action))
        except ValueError as exc:
            raise InvalidTransition(str(current), str(action)) from exc
        try:
            return self.table[key]
        except KeyError:
            raise InvalidTransition(key[0].value, key[1].value) from None

    def can(self, current: str, action: str) -> bool:
        try:
            self.next(current, action)
        except InvalidTransition:
            return False
        return True


ORDER = Machine(OrderStatus, OrderAction, TRANSITIONS)


def next_status(current: str, action: str) -> OrderStatus:
    """Where `action` leads an order from `current`; raises InvalidTransition when it may not."""
    return ORDER.next(current, action)  # type: ignore[return-value]


def can(current: str, action: str) -> bool:
    return ORDER.can(current, action)


# --- offers ----------------------------------------------------------------------------------

class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # another member took it, a coordinator assigned it, or it was cancelled


class OfferAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"


OFFER = Machine(OfferStatus, OfferAction, {
    (OfferStatus.OPEN, OfferAction.ACCEPT): OfferStatus.ACCEPTED,
    (OfferStatus.OPEN, OfferAction.DECLINE): OfferStatus.DECLINED,
    (OfferStatus.OPEN, OfferAction.EXPIRE): OfferStatus.EXPIRED,
    (OfferStatus.OPEN, OfferAction.WITHDRAW): OfferStatus.WITHDRAWN,
})

#: Offers whose member has said no or let it run out: that member is not asked again.
OFFER_REFUSED = frozenset({OfferStatus.DECLINED, OfferStatus.EXPIRED})


# --- lecture sessions ------------------------------------------------------------------------

class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class SessionAction(StrEnum):
    DELIVER = "deliver"  # the member recorded the delivery
    CANCEL = "cancel"    # the order was cancelled, or rain called it off with no other evening


SESSION = Machine(SessionStatus, SessionAction, {
    (SessionStatus.SCHEDULED, SessionAction.DELIVER): SessionStatus.DELIVERED,
    (SessionStatus.SCHEDULED, SessionAction.CANCEL): SessionStatus.CANCELLED,
})
