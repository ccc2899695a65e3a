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
SMS_BACKENDS = ("log", "webhook", "aliyun")


@dataclass(frozen=True)
class NotifySettings:
    """How messages go out (config's SMS_*, ALIYUN_*, SMTP_*, NOTIFY_* keys). Secrets stay out
    of ``repr`` (and so out of any log line or traceback that shows the settings)."""

    sms_backend: str = "log"
    webhook_url: str = field(default="", repr=False)  # may carry a token in its query
    timeout_seconds: float = 10.0
    aliyun_endpoint: str = "https://dysmsapi.aliyuncs.com/"
    aliyun_region: str = "cn-hangzhou"
    aliyun_key_id: str = field(default="", repr=False)
    aliyun_key_secret: str = field(default="", repr=False)
    aliyun_sign_name: str = ""
    aliyun_template_code: str = ""
    aliyun_templates: tuple[tuple[str, str], ...] = ()
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = field(default="", repr=False)
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = True
    smtp_from: str = ""
    coordinator_emails: tuple[str, ...] = field(default=(), repr=False)
    retry_base_seconds: float = 60.0
    max_attempts: int = 5
    claim_stale_seconds: float = 600.0
    quiet_start_hour: int = 21
    quiet_end_hour: int = 8
    public_base_url: str = ""
    station_phone: str = "0972-8612110"
    # At most this many texts a Beijing day to one requester phone; the rest wait for the next
    # morning (a requester has no in-app channel), a texted code is dropped (it would be stale).
    sms_daily_limit_per_phone: int = 5

    def __post_init__(self) -> None:
        if self.sms_backend not in SMS_BACKENDS:
            raise DomainError("SMS_BACKEND", N_("Unknown SMS backend “%(name)s”."),
                              name=self.sms_backend)
        if int(self.max_attempts) < 1 or float(self.timeout_seconds) <= 0:
            raise DomainError("NOTIFY_MAX_ATTEMPTS", N_("This setting must be 1 or more."))
        if int(self.sms_daily_limit_per_phone) < 1:
            raise DomainError("SMS_DAILY_LIMIT_PER_PHONE", N_("This setting must be 1 or more."))

    @classmethod
    def from_config(cls, config: Mapping) -> NotifySettings:
        emails = config.get("NOTIFY_COORDINATOR_EMAILS") or ()
        if isinstance(emails, str):
            emails = [e for e in emails.replace(";", ",").split(",")]
        return cls(
            sms_backend=str(config.get("SMS_BACKEND", "log")),
            webhook_url=str(config.get("SMS_WEBHOOK_URL", "")),
            timeout_seconds=float(config.get("SMS_TIMEOUT_SECONDS", 10.0)),
            aliyun_endpoint=str(config.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")),
            aliyun_region=str(config.get("ALIYUN_SMS_REGION", "cn-hangzhou")),
            aliyun_key_id=str(config.get("ALIYUN_ACCESS_KEY_ID", "")),
            aliyun_key_secret=str(config.get("ALIYUN_ACCESS_KEY_SECRET", "")),
            aliyun_sign_name=str(config.get("ALIYUN_SMS_SIGN_NAME", "")),
            aliyun_template_code=str(config.get("ALIYUN_SMS_TEMPLATE_CODE", "")),
            aliyun_templates=tuple(sorted((str(k), str(v)) for k, v in
                                          dict(config.get("ALIYUN_SMS_TEMPLATES") or {}).items())),
            smtp_host=str(config.get("SMTP_HOST", "")),
            smtp_port=int(config.get("SMTP_PORT", 587)),
            smtp_username=str(config.get("SMTP_USERNAME", "")),
            smtp_password=str(config.get("SMTP_PASSWORD", "")),
            smtp_starttls=bool(config.get("SMTP_STARTTLS", True)),
            smtp_from=str(config.get("SMTP_FROM", "")),
            coordinator_emails=tuple(str(e).strip() for e in emails if str(e).strip()),
            retry_base_seconds=float(config.get("NOTIFY_RETRY_BASE_SECONDS", 60)),
            max_attempts=int(config.get("NOTIFY_MAX_ATTEMPTS", 5)),
            claim_stale_seconds=float(config.get("NOTIFY_CLAIM_STALE_SECONDS", 600)),
            quiet_start_hour=int(config.get("NOTIFY_QUIET_START_HOUR", 21)),
            quiet_end_hour=int(config.get("NOTIFY_QUIET_END_HOUR", 8)),
            public_base_url=str(config.get("PUBLIC_BASE_URL", "")).rstrip("/"),
            station_phone=str(config.get("STATION_PHONE", "0972-8612110")),
            sms_daily_limit_per_phone=int(config.get("SMS_DAILY_LIMIT_PER_PHONE", 5)),
        )


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
    notify: NotifySettings = field(default_factory=NotifySettings)
    # The app's SECRET_KEY: keys the requester codes, the phone digests and the rating links.
    # Never in a repr, and not part of equality (the defaults hold none).
    secret_key: str = field(default="", repr=False, compare=False)
    # ORDER_PHONE_RATE_LIMIT as (orders, seconds), counted from the orders placed; None when
    # rate limits are off (RATELIMIT_ENABLED false: tests, a dev box).
    order_phone_limit: tuple[int, int] | None = (10, 86400)

    def __post_init__(self) -> None:
        if self.order_phone_limit is not None and (
                int(self.order_phone_limit[0]) < 1 or int(self.order_phone_limit[1]) < 1):
            raise DomainError("ORDER_PHONE_RATE_LIMIT", N_("This setting must be 1 or more."))
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
            notify=NotifySettings.from_config(config),
            secret_key=str(config.get("SECRET_KEY") or ""),
            order_phone_limit=_one_limit(config, "ORDER_PHONE_RATE_LIMIT", "10 per day")
            if config.get("RATELIMIT_ENABLED", True) else None,
        )


def _one_limit(config: Mapping, name: str, default: str) -> tuple[int, int]:
    """A limit written as Flask-Limiter writes them ("10 per day") as (amount, seconds); one
    limit, not several."""
    from limits import parse_many

    try:
        (item,) = parse_many(str(config.get(name) or default))
    except ValueError:
        raise DomainError(name, N_("Write one limit, such as “10 per day”.")) from None
    return item.amount, item.get_expiry()


def from_app(app) -> Settings:
    """The edge's one way to build the settings: from the app's config, read now (a test may
    have changed it since the app was made)."""
    return Settings.from_config(app.config, app.instance_path)


DEFAULTS = Settings()
