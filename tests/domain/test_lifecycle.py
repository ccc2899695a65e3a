"""The order state machine as a table: every (state, action) pair, legal or not."""

import itertools

import pytest

from lectureorder.domain.errors import InvalidTransition
from lectureorder.domain.lifecycle import OrderAction as A
from lectureorder.domain.lifecycle import OrderStatus as S
from lectureorder.domain.lifecycle import can, next_status

LEGAL = {
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

ALL_PAIRS = list(itertools.product(S, A))


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_state_action_pair(state, action):
    if (state, action) in LEGAL:
        assert next_status(state, action) is LEGAL[(state, action)]
        assert can(state, action)
    else:
        with pytest.raises(InvalidTransition) as info:
            next_status(state, action)
        assert info.value.current == state.value
        assert info.value.action == action.value
        assert not can(state, action)


@pytest.mark.parametrize("state", [S.DELIVERED, S.CLOSED, S.CANCELLED])
def test_finished_orders_cannot_be_cancelled(state):
    assert not can(state, A.CANCEL)


def test_unknown_names_are_refused_not_crashing():
    with pytest.raises(InvalidTransition):
        next_status("lost", "offer")
    with pytest.raises(InvalidTransition):
        next_status("submitted", "teleport")


# --- offers and lecture sessions --------------------------------------------------------------

from lectureorder.domain.lifecycle import OFFER, SESSION  # noqa: E402
from lectureorder.domain.lifecycle import OfferAction as OA  # noqa: E402
from lectureorder.domain.lifecycle import OfferStatus as OS  # noqa: E402
from lectureorder.domain.lifecycle import SessionAction as SA  # noqa: E402
from lectureorder.domain.lifecycle import SessionStatus as SS  # noqa: E402

OFFER_LEGAL = {
    (OS.OPEN, OA.ACCEPT): OS.ACCEPTED,
    (OS.OPEN, OA.DECLINE): OS.DECLINED,
    (OS.OPEN, OA.EXPIRE): OS.EXPIRED,
    (OS.OPEN, OA.WITHDRAW): OS.WITHDRAWN,
}
SESSION_LEGAL = {
    (SS.SCHEDULED, SA.DELIVER): SS.DELIVERED,
    (SS.SCHEDULED, SA.CANCEL): SS.CANCELLED,
}
MACHINE_PAIRS = [(OFFER, OFFER_LEGAL, s, a) for s, a in itertools.product(OS, OA)] + [
    (SESSION, SESSION_LEGAL, s, a) for s, a in itertools.product(SS, SA)]


@pytest.mark.parametrize(("machine", "legal", "state", "action"), MACHINE_PAIRS,
                         ids=[f"{s}-{a}" for _m, _l, s, a in MACHINE_PAIRS])
def test_every_offer_and_session_pair(machine, legal, state, action):
    if (state, action) in legal:
        assert machine.next(state, action) is legal[(state, action)]
        assert machine.can(state, action)
    else:
        with pytest.raises(InvalidTransition) as info:
            machine.next(state, action)
        assert (info.value.current, info.value.action) == (state.value, action.value)
        assert not machine.can(state, action)


@pytest.mark.parametrize("machine", [OFFER, SESSION])
def test_unknown_states_and_actions_are_refused(machine):
    for state, action in ((None, "accept"), ("lost", "cancel"), ("open", "teleport")):
        with pytest.raises(InvalidTransition):
            machine.next(state, action)
