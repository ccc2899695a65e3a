"""The soft score: points for vice-principals, distance, fairness, experience and ratings."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from ..errors import N_, DomainError
from .model import DEFAULT_WEIGHTS, MemberProfile, OrderNeed, ScorePart, Weights
from .timeline import _Need

# Beyond this a member's home is as good as "far": the district is about 50 km across.
FAR_KM = 60.0
# Half-points of the saturating parts: 2 recent sessions halve fairness, 5 talks on the
# topics give half the experience points.
FAIRNESS_HALF = 2.0
EXPERIENCE_HALF = 5.0
# Missing data should neither reward nor punish a member.
NEUTRAL = 0.5
EARTH_RADIUS_KM = 6371.0088


class _Scores:
    """The soft parts of many (order, member) pairs at once, as arrays over the pairs.

    Ranking one order and assigning a batch both score through here, so a pair gets the
    very same points either way.
    """

    def __init__(
        self,
        needs: Sequence[_Need],
        members: Sequence[MemberProfile],
        pair_need: np.ndarray,
        pair_member: np.ndarray,
        w: Weights,
    ) -> None:
        topics = {t: k for k, t in enumerate(sorted({t for ctx in needs for t in ctx.topics}))}
        asked = np.zeros((len(needs), len(topics)))
        for n, ctx in enumerate(needs):
            for t in ctx.topics:
                asked[n, topics[t]] = 1.0
        nan = math.nan
        n_members = len(members)
        # Plain lists first: numpy item assignment in a loop costs more than the loop.
        home, home_town, recent, rating, given, vp_codes = [], [], [], [], [], []
        for i, m in enumerate(members):
            home.append(m.home or (nan, nan))
            # -1 for an unknown home township never equals an order's -2.
            home_town.append(-1 if m.home_township_id is None else m.home_township_id)
            recent.append(max(0, m.recent_sessions))
            rating.append(
                NEUTRAL
                if m.avg_rating is None or m.rating_count <= 0
                else min(1.0, max(0.0, (m.avg_rating - 1.0) / 4.0))
            )
            for topic, count in m.topic_experience:
                k = topics.get(topic)
                if k is not None:
                    given += (i * len(topics) + k, count)
            vp_codes.extend(school * n_members + i for school in m.vice_principal_of)
        home = np.array(home, dtype=float).reshape(-1, 2)
        home_town = np.array(home_town, dtype=np.int64)
        recent = np.array(recent, dtype=float)
        rating = np.array(rating, dtype=float)
        talks_given = np.zeros(n_members * len(topics))
        np.add.at(talks_given, given[::2], given[1::2])
        given = talks_given.reshape(n_members, len(topics))
        venue = np.array([ctx.need.venue or (nan, nan) for ctx in needs], dtype=float).reshape(
            -1, 2
        )
        town = np.array(
            [-2 if ctx.township is None else ctx.township for ctx in needs], dtype=np.int64
        )
        school = np.array(
            [-1 if ctx.need.school_id is None else ctx.need.school_id for ctx in needs],
            dtype=np.int64,
        )

        pn, pm = pair_need, pair_member
        self.vice_principal = np.isin(school[pn] * n_members + pm, vp_codes) & (school[pn] >= 0)
        self.km = _haversine_km(home[pm], venue[pn])
        known = ~np.isnan(self.km)
        same_town = home_town[pm] == town[pn]
        self.distance = np.where(
            known,
            np.clip(1.0 - np.where(known, self.km, 0.0) / FAR_KM, 0.0, 1.0),
            np.where(same_town, 1.0, NEUTRAL),
        )
        self.recent = recent[pm]
        self.fairness = FAIRNESS_HALF / (FAIRNESS_HALF + self.recent)
        self.talks = (asked[pn] * given[pm]).sum(axis=1)
        self.experience = self.talks / (self.talks + EXPERIENCE_HALF)
        self.rating = rating[pm]
        self.total = (
            w.vice_principal * self.vice_principal
            + w.distance * self.distance
            + w.fairness * self.fairness
            + w.experience * self.experience
            + w.rating * self.rating
        )

    def parts(self, p: int, member: MemberProfile, w: Weights) -> tuple[ScorePart, ...]:
        km = float(self.km[p])
        near = float(self.distance[p])
        if not math.isnan(km):
            where, where_params = N_("%(km).1f km from home"), {"km": round(km, 1)}
        elif near == 1.0:
            where, where_params = N_("lives in the same township"), {}
        else:
            where, where_params = N_("distance unknown"), {}
        vp = bool(self.vice_principal[p])
        if member.avg_rating is None or member.rating_count <= 0:
            rated, rated_params = N_("no ratings yet"), {}
        else:
            rated = N_("%(avg).1f on average (ratings: %(n)d)")
            rated_params = {"avg": member.avg_rating, "n": member.rating_count}
        return (
            ScorePart("vice_principal", w.vice_principal, 1.0 if vp else 0.0,
                      N_("legal vice-principal of this school") if vp else ""),
            ScorePart("distance", w.distance, near, where, where_params),
            ScorePart("fairness", w.fairness, float(self.fairness[p]),
                      N_("sessions in the last 30 days: %(n)d"),
                      {"n": member.recent_sessions}),
            ScorePart("experience", w.experience, float(self.experience[p]),
                      N_("sessions given on these topics: %(n)d"), {"n": int(self.talks[p])}),
            ScorePart("rating", w.rating, float(self.rating[p]), rated, rated_params),
        )  # fmt: skip


def _haversine_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle km between rows of (lat, lon); NaN where either is unknown."""
    lat1, lon1 = np.radians(a[:, 0]), np.radians(a[:, 1])
    lat2, lon2 = np.radians(b[:, 0]), np.radians(b[:, 1])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def score_parts(
    needs: Iterable[OrderNeed],
    members: Iterable[MemberProfile],
    pairs: Iterable[tuple[int, int]],
    now: datetime,
    weights: Weights = DEFAULT_WEIGHTS,
) -> dict[tuple[int, int], tuple[ScorePart, ...]]:
    """The soft parts of (order id, member id) pairs, e.g. those a batch assigned: the very
    points :func:`rank_candidates` and :func:`assign_batch` give them. No hard rules here."""
    pairs = list(pairs)
    if not pairs:
        return {}
    wanted_needs = {o for o, _m in pairs}
    wanted_members = {m for _o, m in pairs}
    cache: dict = {}
    contexts = [_Need(n, now, cache) for n in needs if n.id in wanted_needs]
    team = [m for m in members if m.id in wanted_members]
    need_at = {ctx.need.id: i for i, ctx in enumerate(contexts)}
    member_at = {m.id: i for i, m in enumerate(team)}
    missing = [p for p in pairs if p[0] not in need_at or p[1] not in member_at]
    if missing:
        raise DomainError(None, N_("Each pair must name a given order and member."))
    pn = np.fromiter((need_at[o] for o, _m in pairs), np.int64, len(pairs))
    pm = np.fromiter((member_at[m] for _o, m in pairs), np.int64, len(pairs))
    scores = _Scores(contexts, team, pn, pm, weights)
    return {
        pair: scores.parts(p, team[int(pm[p])], weights) for p, pair in enumerate(pairs)
    }
