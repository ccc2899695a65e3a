"""The settings services need, as one small frozen object built from config at the edge.

Views, jobs and CLI commands build it (``from_app(current_app)``) and pass it down; services
never read ``current_app``. The defaults are ``config.DefaultConfig``'s, so a service called
without settings behaves as a fresh install does (tests rely on that); a test in
``tests/test_settings.py`` checks that every edge passes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..domain.errors import N_, DomainError
from ..domain.matching import DEFAULT_WEIGHTS, Weights

DISPATCH_MODES = ("directed", "pool")


@dataclass(frozen=True)
class Settings:
    """Dispatch, scheduling, retention and upload limits, validated once."""

    dispatch_mode: str = "directed"  # or "pool": the best ``pool_size`` members all see it
    pool_size: int = 10
    offer_expiry_hours: float = 12.0
    max_offer_rounds: int = 3
    weights: Weights = field(default=DEFAULT_WEIGHTS)
    slot_min_lead_hours: int = 12
    film_season_all_year: bool = False
    contact_retention_days: int = 365
    photo_root: str = "photos"  # absolute once built from an app (inside its instance folder)
    photo_max_bytes: int = 8 * 1024 * 1024
    photo_max_per_session: int = 9

    def __post_init__(self) -> None:
        if self.dispatch_mode not in DISPATCH_MODES:
            raise DomainError("DISPATCH_MODE", N_("Unknown dispatch mode “%(name)s”."),
                              name=self.dispatch_mode)
        for name in ("pool_size", "max_offer_rounds", "photo_max_bytes", "photo_max_per_session",
                     "contact_retention_days"):
            if int(getattr(self, name)) < 1:
                raise DomainError(name.upper(), N_("This setting must be 1 or more."))
        if float(self.offer_expiry_hours) <= 0 or float(self.slot_min_lead_hours) < 0:
            raise DomainError("OFFER_EXPIRY_HOURS", N_("This setting must be 1 or more."))

    @property
    def pool(self) -> bool:
        return self.dispatch_mode == "pool"

    @classmethod
    def from_config(cls, config: Mapping, instance_path: str = "") -> Settings:
        photo_dir = str(config.get("PHOTO_DIR", "photos"))
        return cls(
            dispatch_mode=str(config.get("DISPATCH_MODE", "directed")),
            pool_size=int(config.get("DISPATCH_POOL_SIZE", 10)),
            offer_expiry_hours=float(config.get("OFFER_EXPIRY_HOURS", 12.0)),
            max_offer_rounds=int(config.get("MAX_OFFER_ROUNDS", 3)),
            weights=Weights.from_mapping(config.get("MATCH_WEIGHTS") or {}),
            slot_min_lead_hours=int(config.get("SLOT_MIN_LEAD_HOURS", 12)),
            film_season_all_year=bool(config.get("FILM_SEASON_ALL_YEAR", False)),
            contact_retention_days=int(config.get("CONTACT_RETENTION_DAYS", 365)),
            photo_root=os.path.join(instance_path, photo_dir) if instance_path else photo_dir,
            photo_max_bytes=int(config.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024)),
            photo_max_per_session=int(config.get("PHOTO_MAX_PER_SESSION", 9)),
        )


def from_app(app) -> Settings:
    """The edge's one way to build the settings: from the app's config, read now (a test may
    have changed it since the app was made)."""
    return Settings.from_config(app.config, app.instance_path)


DEFAULTS = Settings()
