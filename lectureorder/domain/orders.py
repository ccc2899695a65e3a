"""What a valid order request is: the rules shared by the web form, the API and 代下单."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

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
    "campaign": N_("Planned for a campaign by a coordinator"),
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
    topics, errors = topic_errors(req.topics, topic_formats)

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
    elif req.earliest is not None and (req.timing == "next" or latest is None):
        # "The next possible day", or any time with no latest date given: the next 45 days
        # (what the form's live preview looks at too).
        latest = req.earliest + timedelta(days=NEXT_DAY_HORIZON)
    errors += window_errors(req.earliest, latest, today)

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

    questions, problems = question_errors(req.questions, "questions")
    errors += problems
    cleaned = replace(req, topics=topics, requester_name=name, requester_org=org, notes=notes,
                      phone=phone, latest=latest, questions=questions)
    return cleaned, errors


def topic_errors(asked, known) -> tuple[tuple[str, ...], list[DomainError]]:
    """The talks asked for (stripped, each once) and what is wrong: none, more than
    MAX_TOPICS, or not on the menu (``known``: the menu's codes)."""
    topics = tuple(dict.fromkeys(t.strip() for t in asked if t and t.strip()))
    errors: list[DomainError] = []
    if not topics:
        errors.append(DomainError("topics", N_("Please choose at least one talk from the menu.")))
    elif len(topics) > MAX_TOPICS:
        errors.append(DomainError("topics", N_("Please choose at most %(n)d talks."), n=MAX_TOPICS))
    unknown = [t for t in topics if t not in known]
    if unknown:
        errors.append(DomainError("topics", N_("Unknown talk: %(code)s."), code=", ".join(unknown)))
    return topics, errors


def topic_format_errors(
    topics: tuple[str, ...], fmt: str, topic_formats: Mapping[str, frozenset[str] | set[str] | list[str]],
    titles: Mapping[str, Bilingual],
) -> list[DomainError]:
    """A topic asked for in a form it is not given in (campus bullying at a market)."""
    return [DomainError("format", N_("“%(talk)s” is not given in this form."), talk=titles.get(t, t))
            for t in topics if t in topic_formats and fmt not in topic_formats[t]]


#: The repeat rule: an order from a phone that already has a live (not cancelled) order at the
#: same place sharing a topic, placed within this window, is asked about before it is stored.
REPEAT_WINDOW = timedelta(hours=24)


def phone_wait(placed: int, oldest: datetime | None, limit: tuple[int, int] | None,
               now: datetime) -> int:
    """The per-phone placement limit (ORDER_PHONE_RATE_LIMIT: at most ``amount`` orders in any
    ``seconds``, a rolling window over the orders actually placed; refused ones never count):
    the seconds until this phone may place one more (0: now). ``placed`` is how many orders the
    phone placed within the window, ``oldest`` the first of them."""
    if limit is None or placed < limit[0] or oldest is None:
        return 0
    leaves = oldest + timedelta(seconds=limit[1])
    return max(1, math.ceil((leaves - now).total_seconds()))


@dataclass(frozen=True)
class WindowWords:
    """The fields and words of a date window's rules (an order's, a campaign's)."""

    first_field: str
    last_field: str
    no_first: str
    no_last: str
    past: str
    too_far: str
    backwards: str


ORDER_WINDOW = WindowWords(
    "earliest", "latest", N_("Please choose the earliest date."),
    N_("Please choose the latest date."), N_("The earliest date cannot be in the past."),
    N_("Orders can be placed at most a year ahead."),
    N_("The latest date must not be before the earliest date."))


def window_errors(first: date | None, last: date | None, today: date,
                  words: WindowWords = ORDER_WINDOW) -> list[DomainError]:
    """The one set of date-window rules: both days given, not in the past, in order, at most
    MAX_WINDOW_DAYS long and starting at most MAX_AHEAD_DAYS ahead."""
    if first is None:
        return [DomainError(words.first_field, words.no_first)]
    if last is None:
        return [DomainError(words.last_field, words.no_last)]
    errors = []
    if first < today:
        errors.append(DomainError(words.first_field, words.past))
    if last < first:
        errors.append(DomainError(words.last_field, words.backwards))
    elif (last - first).days > MAX_WINDOW_DAYS:
        errors.append(DomainError(words.last_field, N_("Please choose a window of at most %(n)d days."),
                                  n=MAX_WINDOW_DAYS))
    if first > today + timedelta(days=MAX_AHEAD_DAYS):
        errors.append(DomainError(words.first_field, words.too_far))
    return errors


def question_errors(questions: tuple[str, ...] | list[str], field: str
                    ) -> tuple[tuple[str, ...], list[DomainError]]:
    """群众点题: the non-empty questions, stripped, and what is wrong with them (at most
    MAX_QUESTIONS, each at most MAX_QUESTION characters; refused, never cut)."""
    texts = tuple(q.strip() for q in questions if q and q.strip())
    errors = []
    if len(texts) > MAX_QUESTIONS:
        errors.append(DomainError(field, N_("Please ask at most %(n)d questions."), n=MAX_QUESTIONS))
    if any(len(q) > MAX_QUESTION for q in texts):
        errors.append(DomainError(field, N_("Each question may have at most %(n)d characters."),
                                  n=MAX_QUESTION))
    return texts, errors
