"""Who may take an order and who should: hard eligibility rules, soft scores, batch assignment."""

from __future__ import annotations

# The buffers are availability's, the one rule of who is free when; the old names stay for callers.
from .batch import TIE_EPS, assign_batch
from .model import (
    DEFAULT_WEIGHTS,
    MOBILE_FILM,
    PART_LABELS,
    Assignment,
    BatchResult,
    Busy,
    Candidate,
    Exclusion,
    Interval,
    MemberProfile,
    OrderNeed,
    Ranking,
    ScorePart,
    Weights,
)
from .ranking import rank_candidates
from .reasons import REASONS
from .rules import eligibility
from .scoring import EARTH_RADIUS_KM, EXPERIENCE_HALF, FAIRNESS_HALF, FAR_KM, NEUTRAL, score_parts

__all__ = [
    "DEFAULT_WEIGHTS",
    "EARTH_RADIUS_KM",
    "EXPERIENCE_HALF",
    "FAIRNESS_HALF",
    "FAR_KM",
    "MOBILE_FILM",
    "NEUTRAL",
    "PART_LABELS",
    "REASONS",
    "TIE_EPS",
    "Assignment",
    "BatchResult",
    "Busy",
    "Candidate",
    "Exclusion",
    "Interval",
    "MemberProfile",
    "OrderNeed",
    "Ranking",
    "ScorePart",
    "Weights",
    "assign_batch",
    "eligibility",
    "rank_candidates",
    "score_parts",
]
