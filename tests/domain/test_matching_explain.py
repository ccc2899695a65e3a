"""What a batch tells the coordinator: score parts of the assigned pairs, who was eligible."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lectureorder.domain import matching
from lectureorder.domain.errors import DomainError
from lectureorder.domain.matching import assign_batch, rank_candidates, score_parts
from tests.domain.test_matching import NOW, SLOT, member, need, north


def test_score_parts_are_those_of_the_ranking():
    team = [member(id=1, recent_sessions=3), member(id=2, home=north(20), avg_rating=4.5,
                                                    rating_count=8)]
    orders = [need(id=10), need(id=11, school_id=5)]
    parts = score_parts(orders, team, [(10, 2), (11, 1)], NOW)
    for order_id, member_id in ((10, 2), (11, 1)):
        order = next(n for n in orders if n.id == order_id)
        ranked = next(c for c in rank_candidates(order, team, NOW).candidates
                      if c.member_id == member_id)
        assert parts[order_id, member_id] == ranked.parts
    distance = {p.name: p for p in parts[10, 2]}["distance"]
    assert distance.note == "%(km).1f km from home" and distance.note_params == {"km": 20.0}
    rating = {p.name: p for p in parts[10, 2]}["rating"]
    assert rating.detail == "4.5 on average (ratings: 8)"


def test_score_parts_refuse_unknown_pairs():
    with pytest.raises(DomainError):
        score_parts([need()], [member()], [(10, 99)], NOW)
    assert score_parts([need()], [member()], [], NOW) == {}


def test_batch_says_how_many_could_take_each_order():
    team = [member(id=1, weekly_cap=1), member(id=2, weekly_cap=1, topics=frozenset({"x"}))]
    orders = [need(id=10), need(id=11), need(id=12, topics=frozenset({"drug_awareness"}))]
    result = assign_batch(orders, team, NOW)
    assert len(result.assignments) == 1
    # Both 10 and 11 had member 1; 12 had nobody at all.
    assert result.eligible == {10: 1, 11: 1}
    assert set(result.unassigned) == {10, 11, 12} - {result.assignments[0].order_id}
    assert result.assignments[0].slot == SLOT
    assert matching.BatchResult((), (), 0.0).eligible == {}


def test_exclusions_keep_every_reason_though_time_is_checked_only_for_the_eligible():
    """Ranking checks time rules only for members the static rules let through and works out
    the others' time reasons when ``excluded`` is read: the reasons must be the same."""
    from lectureorder.domain.matching import Busy, Exclusion

    on_leave = (SLOT[0] - timedelta(hours=1), SLOT[1] + timedelta(hours=1))
    busy = (Busy(SLOT[0], SLOT[1], 1),)
    team = [
        member(id=1),                                                     # candidate
        member(id=2, topics=frozenset({"x"}), leave=(on_leave,)),         # static + time
        member(id=3, active=False, busy=busy),                            # static + time
        member(id=4, leave=(on_leave,)),                                  # time only
        member(id=5, formats=frozenset()),                                # static only
    ]
    ranking = rank_candidates(need(), team, NOW)
    assert [c.member_id for c in ranking.candidates] == [1]
    assert ranking.excluded == (
        Exclusion(2, ("topic", "leave")),
        Exclusion(3, ("inactive", "busy")),
        Exclusion(4, ("leave",)),
        Exclusion(5, ("format",)),
    )
    assert ranking.candidates[0].parts == score_parts([need()], team, [(10, 1)], NOW)[10, 1]
