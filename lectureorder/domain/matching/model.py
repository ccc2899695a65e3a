"""What matching takes in and gives back: frozen member, order, weight and result records."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

from ..availability import Busy
from ..errors import N_, DomainError

Interval = tuple[datetime, datetime]

MOBILE_FILM = "mobile_film"


@dataclass(frozen=True)
class MemberProfile:
    """What matching needs to know about a team member.

    ``busy`` and ``leave`` need only cover the weeks of the orders at hand; ``recent_sessions``
    counts the last 30 days (fairness); ``topic_experience`` is (topic code, sessions given).
    """

    id: int
    name: str
    active: bool = True
    topics: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset({"zh"})
    home_township_id: int | None = None
    home: tuple[float, float] | None = None
    vice_principal_of: frozenset[int] = frozenset()
    kit_qualified: bool = False
    leave: tuple[Interval, ...] = ()
    busy: tuple[Busy, ...] = ()
    daily_cap: int = 2
    weekly_cap: int = 5
    recent_sessions: int = 0
    topic_experience: tuple[tuple[str, int], ...] = ()
    avg_rating: float | None = None
    rating_count: int = 0


@dataclass(frozen=True)
class OrderNeed:
    """What an order asks for. ``slots`` are the candidate times, already valid for the place,
    the format and the kits; ``exclude`` holds members who declined it or let an offer expire;
    ``language`` None means any."""

    id: int | None
    topics: frozenset[str]
    format: str
    township_id: int | None
    venue: tuple[float, float] | None
    school_id: int | None = None
    language: str | None = None
    slots: tuple[Interval, ...] = ()
    exclude: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Weights:
    """Points each soft part is worth at its best; an app can override them from config."""

    vice_principal: float = 40
    distance: float = 25
    fairness: float = 20
    experience: float = 10
    rating: float = 5

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _weight_value(f.name, getattr(self, f.name)))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> Weights:
        known = {f.name for f in fields(cls)}
        for key in mapping:
            if key not in known:
                raise DomainError("weights", N_("Unknown matching weight “%(name)s”."), name=key)
        return cls(**mapping)  # type: ignore[arg-type]


def _weight_value(name: str, raw: object) -> float:
    # Config files and env vars hand over strings; booleans are a typo, not a weight.
    if isinstance(raw, bool):
        raise DomainError("weights", N_("Matching weight “%(name)s” must be a number."), name=name)
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DomainError(
            "weights", N_("Matching weight “%(name)s” must be a number."), name=name
        ) from None
    if not math.isfinite(value) or value < 0:
        raise DomainError(
            "weights", N_("Matching weight “%(name)s” must be zero or more."), name=name
        )
    return value


DEFAULT_WEIGHTS = Weights()


# What each soft part is called on screen; ``ScorePart.name`` stays the stable code.
PART_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "vice_principal": N_("Vice-principal of this school"),
        "distance": N_("Distance"),
        "fairness": N_("Recent load (fairness)"),
        "experience": N_("Experience with the topic"),
        "rating": N_("Average rating"),
    }
)


_NO_PARAMS: Mapping[str, object] = MappingProxyType({})


class ScorePart(NamedTuple):
    """One soft part of a score. ``note`` is an English msgid (marked with ``N_``) saying why
    the value is what it is, ``note_params`` fill its holes; the web layer translates both.
    A named tuple: the API explains thousands of them at once."""

    name: str
    weight: float
    value: float
    note: str = ""
    note_params: Mapping[str, object] = _NO_PARAMS

    @property
    def points(self) -> float:
        return self.weight * self.value

    @property
    def label(self) -> str:
        return PART_LABELS.get(self.name, self.name)

    @property
    def detail(self) -> str:
        """The note in English, for logs and tests (people get it translated)."""
        return self.note % self.note_params if self.note_params else self.note


@dataclass(frozen=True)
class Candidate:
    """An eligible member. ``parts`` explain the score; they are worked out on first use, as
    dispatching reads them only for the one or few members it offers the order to."""

    member_id: int
    score: float
    free_slots: tuple[Interval, ...]
    helpers: tuple[int, ...] = ()
    explain: Callable[[], tuple[ScorePart, ...]] | None = field(
        default=None, repr=False, compare=False
    )

    @cached_property
    def parts(self) -> tuple[ScorePart, ...]:
        return self.explain() if self.explain is not None else ()


class Exclusion(NamedTuple):
    """A member who may not take the order, with every reason (codes of :data:`REASONS`).

    A named tuple rather than a dataclass: a ranking of a large team makes thousands."""

    member_id: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Ranking:
    """Candidates best first; ``excluded`` (every other member with all reasons, by member id)
    is built on first use: most of a large team is excluded, and dispatching never asks why."""

    candidates: tuple[Candidate, ...]
    exclusions: Callable[[], tuple[Exclusion, ...]] = field(repr=False, compare=False)

    @cached_property
    def excluded(self) -> tuple[Exclusion, ...]:
        return self.exclusions()


@dataclass(frozen=True)
class Assignment:
    order_id: int
    member_id: int
    slot: Interval
    score: float


@dataclass(frozen=True)
class BatchResult:
    """``dropped`` lists the orders the solver matched but whose member had no time left for them.

    They are also in ``unassigned``; ``objective`` is the total score of ``assignments``;
    ``eligible`` says, for an unassigned order, whether anyone could have taken it at all.
    """

    assignments: tuple[Assignment, ...]
    unassigned: tuple[int, ...]
    objective: float
    dropped: tuple[int, ...] = ()
    #: Order id -> how many members could take it (hard rules, one free slot); absent = none.
    eligible: Mapping[int, int] = field(default_factory=dict, hash=False, compare=False)
