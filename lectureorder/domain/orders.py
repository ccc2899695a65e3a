"""What a valid order request is: the rules shared by the web form, the API and 代下单."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from .contact import normalise_phone
from .errors import N_, Bilingual, DomainError

AUDIENCE_TYPES: dict[str, str] = {
    "villagers": N_("Villagers"),
    "elderly": N_("Elderly people"),
    "pupils": N_("Pupils and students"),
    "parents": N_("Parents"),
    "teachers": N_("Teachers and school staff"),
    "migrant_workers": N_("Migrant workers"),
    "market_goers": N_("Market-goers"),
    "mixed": N_("Mixed audience"),
}

CHANNELS: dict[str, str] = {
    "qr": N_("QR poster / online"),
    "phone": N_("Phone call (taken by staff)"),
    "walk_in": N_("Walk-in at the station"),
    "cadre": N_("Placed by a village cadre"),
}

PLACE_KINDS = ("village", "school", "market")

#: When within the window: any possible time, the next possible day, or one given date.
TIMINGS: dict[str, str] = {
    "any": N_("Any time in these dates"),
    "next": N_("The next possible day (for markets: the next market day)"),
    "date": N_("Exactly on the first date"),
}
NEXT_DAY_HORIZON = 45

MAX_AUDIENCE = 5000
MAX_WINDOW_DAYS = 120
MAX_AHEAD_DAYS = 365
MAX_NAME = 40
MAX_ORG = 80
MAX_NOTES = 500
MAX_TOPICS = 3
MAX_QUESTIONS = 3
MAX_QUESTION = 60


@dataclass(frozen=True)
class OrderRequest:
    """An order as typed by a person or sent by a client, before it is trusted."""

    topics: tuple[str, ...]
    format: str
    place_kind: str
    place_id: int | None
    audience_type: str
    audience_size: int | None
    earliest: date | None
    latest: date | None
    requester_name: str
    phone: str
    requester_org: str = ""
    channel: str = "qr"
    notes: str = ""
    language: str | None = None
    timing: str = "any"
    #: 群众点题: up to MAX_QUESTIONS short questions the requester wants answered.
    questions: tuple[str, ...] = ()
    extra: tuple[str, ...] = field(default=())  # names of unexpected fields sent by a client


def validate_order(
    req: OrderRequest,
    *,
    today: date,
    topic_formats: Mapping[str, frozenset[str] | set[str] | list[str]],
    allowed_place_kinds: Mapping[str, frozenset[str]],
    topic_titles: Mapping[str, Bilingual] | None = None,
) -> tuple[OrderRequest, list[DomainError]]:
    """Return the cleaned request and every problem found (not just the first).

    ``topic_titles`` names the topics in messages (a code is shown only without it)."""
    titles = topic_titles or {}
    errors: list[DomainError] = []
    topics = tuple(dict.fromkeys(t.strip() for t in req.topics if t and t.strip()))
    if not topics:
        errors.append(DomainError("topics", N_("Please choose at least one talk from the menu.")))
    elif len(topics) > MAX_TOPICS:
        errors.append(DomainError("topics", N_("Please choose at most %(n)d talks."), n=MAX_TOPICS))
    unknown = [t for t in topics if t not in topic_formats]
    if unknown:
        errors.append(DomainError("topics", N_("Unknown talk: %(code)s."), code=", ".join(unknown)))

    if req.format not in allowed_place_kinds:
        errors.append(DomainError("format", N_("Please choose how the talk should be given.")))
    else:
        errors += topic_format_errors(topics, req.format, topic_formats, titles)
        if req.place_kind in PLACE_KINDS and req.place_kind not in allowed_place_kinds[req.format]:
            errors.append(DomainError("place", N_("This kind of talk cannot be held at that place.")))

    if req.place_kind not in PLACE_KINDS:
        errors.append(DomainError("place", N_("Please choose a village, school or market.")))
    elif req.place_id is None:
        errors.append(DomainError("place", N_("Please choose the place from the list.")))

    if req.audience_type not in AUDIENCE_TYPES:
        errors.append(DomainError("audience_type", N_("Please choose who the audience is.")))
    if req.audience_size is None:
        errors.append(DomainError("audience_size", N_("Please enter about how many people will come.")))
    elif req.audience_size < 1:
        errors.append(DomainError("audience_size", N_("The number of people must be at least 1.")))
    elif req.audience_size > MAX_AUDIENCE:
        errors.append(DomainError("audience_size", N_("For more than %(n)d people, please call us."),
                                  n=MAX_AUDIENCE))

    latest = req.latest
    if req.timing not in TIMINGS:
        errors.append(DomainError("timing", N_("Please choose when.")))
    elif req.timing == "date":
        latest = req.earliest  # one given day: the latest date is that day
    elif req.timing == "next" and req.earliest is not None:
        latest = req.earliest + timedelta(days=NEXT_DAY_HORIZON)
    errors += _window_errors(req.earliest, latest, today)

    name = (req.requester_name or "").strip()
    if not name:
        errors.append(DomainError("requester_name", N_("Please enter your name or title.")))
    elif len(name) > MAX_NAME:
        errors.append(DomainError("requester_name", N_("At most %(n)d characters."), n=MAX_NAME))
    org = (req.requester_org or "").strip()
    if len(org) > MAX_ORG:
        errors.append(DomainError("requester_org", N_("At most %(n)d characters."), n=MAX_ORG))
    notes = (req.notes or "").strip()
    if len(notes) > MAX_NOTES:
        errors.append(DomainError("notes", N_("At most %(n)d characters."), n=MAX_NOTES))
    phone = req.phone
    try:
        phone = normalise_phone(req.phone)
    except DomainError as exc:
        errors.append(exc)
    if req.channel not in CHANNELS:
        errors.append(DomainError("channel", N_("Unknown channel.")))
    if req.language is not None and (not req.language.strip() or len(req.language) > 20):
        errors.append(DomainError("language", N_("Unknown language.")))

    questions = tuple(q.strip() for q in req.questions if q and q.strip())
    if len(questions) > MAX_QUESTIONS:
        errors.append(DomainError("questions", N_("Please ask at most %(n)d questions."),
                                  n=MAX_QUESTIONS))
    if any(len(q) > MAX_QUESTION for q in questions):
        errors.append(DomainError("questions", N_("Each question may have at most %(n)d "
                                                  "characters."), n=MAX_QUESTION))
    cleaned = replace(req, topics=topics, requester_name=name, requester_org=org, notes=notes,
                      phone=phone, latest=latest, questions=questions)
    return cleaned, errors


def topic_format_errors(
    topics: tuple[str, ...], fmt: str, topic_formats: Mapping[str, frozenset[str] | set[str] | list[str]],
    titles: Mapping[str, Bilingual],
) -> list[DomainError]:
    """A topic asked for in a form it is not given in (campus bullying at a market)."""
    return [DomainError("format", N_("“%(talk)s” is not given in this form."), talk=titles.get(t, t))
            for t in topics if t in topic_formats and fmt not in topic_formats[t]]


REPEAT_WINDOW = timedelta(hours=24)


def is_repeat(new_topics: tuple[str, ...], new_place: tuple[str, int | None],
              earlier_topics: tuple[str, ...], earlier_place: tuple[str, int | None]) -> bool:
    """Whether an earlier order (same phone, within REPEAT_WINDOW, not cancelled) is the same
    wish again: the same place and at least one topic in common."""
    return new_place == earlier_place and bool(set(new_topics) & set(earlier_topics))


def _window_errors(earliest: date | None, latest: date | None, today: date) -> list[DomainError]:
    if earliest is None:
        return [DomainError("earliest", N_("Please choose the earliest date."))]
    if latest is None:
        return [DomainError("latest", N_("Please choose the latest date."))]
    errors = []
    if earliest < today:
        errors.append(DomainError("earliest", N_("The earliest date cannot be in the past.")))
    if latest < earliest:
        errors.append(DomainError("latest", N_("The latest date must not be before the earliest date.")))
    elif (latest - earliest).days > MAX_WINDOW_DAYS:
        errors.append(DomainError("latest", N_("Please choose a window of at most %(n)d days."),
                                  n=MAX_WINDOW_DAYS))
    if earliest > today + timedelta(days=MAX_AHEAD_DAYS):
        errors.append(DomainError("earliest", N_("Orders can be placed at most a year ahead.")))
    return errors
