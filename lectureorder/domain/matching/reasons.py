"""Why a member may not take an order: the reason codes and messages, and one bit per reason."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..errors import N_

REASONS: Mapping[str, str] = MappingProxyType(
    {
        "inactive": N_("Not active in the lecture team."),
        "topic": N_(
            "Does not cover the order's topics, alone or with helpers free at the same time."
        ),
        "format": N_("Does not run this format."),
        "kit": N_("Is not qualified to run the film kit."),
        "leave": N_("Is on leave at the proposed times."),
        "busy": N_("Has another session at or too close to the proposed times (travel included)."),
        "cap_day": N_("Has reached the daily limit of sessions on the proposed days."),
        "cap_week": N_("Has reached the weekly limit of sessions in the proposed weeks."),
        "language": N_("Does not speak the language asked for."),
        "declined": N_("Already declined this order or let its offer expire."),
        "no_slot": N_("None of the order's proposed times is still ahead."),
    }
)


# One bit per reason, in the order of REASONS, so that a set of reasons is one int.
_BIT = {code: 1 << i for i, code in enumerate(REASONS)}
_INACTIVE, _TOPIC, _FORMAT, _KIT = _BIT["inactive"], _BIT["topic"], _BIT["format"], _BIT["kit"]
_LEAVE, _BUSY, _CAP_DAY, _CAP_WEEK = _BIT["leave"], _BIT["busy"], _BIT["cap_day"], _BIT["cap_week"]
_LANGUAGE, _DECLINED, _NO_SLOT = _BIT["language"], _BIT["declined"], _BIT["no_slot"]
_REASON_TUPLES: dict[int, tuple[str, ...]] = {}


def _reason_codes(mask: int) -> tuple[str, ...]:
    codes = _REASON_TUPLES.get(mask)
    if codes is None:
        codes = _REASON_TUPLES[mask] = tuple(c for c, bit in _BIT.items() if mask & bit)
    return codes
