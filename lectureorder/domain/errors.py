"""Errors raised by the pure domain; each names the input field it concerns."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation without translating it (the view translates)."""
    return message


class Bilingual:
    """A name kept in both languages (a topic's title) as a message parameter: the edge shows
    the reader's one, so no code or English word lands in a Chinese message."""

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return self.zh

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bilingual) and (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))


class DomainError(Exception):
    """A rule was broken.

    ``field`` names the input that is at fault (``None`` for the whole form), ``reason`` is an
    untranslated English message marked with :func:`N_`; ``params`` fill its ``%(name)s`` holes.
    Only the web layer turns it into a translated form error, flash or JSON error.
    """

    def __init__(self, field: str | None, reason: str, **params: object) -> None:
        super().__init__(f"{field}: {reason % params if params else reason}")
        self.field = field
        self.reason = reason
        self.params = params


class InvalidTransition(DomainError):
    """An order (or session, or offer) was asked to move to a state it cannot reach from here."""

    def __init__(self, current: str, action: str) -> None:
        # The codes stay on the exception for logs and tests, not in the person's message.
        super().__init__(None, N_("This cannot be done in the order's current state."))
        self.current = current
        self.action = action


class Conflict(DomainError):
    """Someone else took or changed the thing first (HTTP 409): already taken, expired, clash."""


class RepeatOrder(Conflict):
    """The same phone ordered the same talk at the same place moments ago: ask before storing
    a second one (the person confirms, or keeps the first; ``earlier_code`` names it)."""

    def __init__(self, earlier_code: str, **params: object) -> None:
        super().__init__(None, N_("You ordered “%(talk)s” at %(place)s just now (order %(code)s). "
                                  "Do you want to order another one?"),
                         code=earlier_code, **params)
        self.earlier_code = earlier_code


class TooManyOrders(Exception):
    """This phone placed as many orders as the per-phone limit allows (HTTP 429): it may place
    the next one in ``retry_after`` seconds. Not a field's fault, so not a DomainError: the
    person gets the "please wait" page (or JSON) with the station's phone."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class ValidationFailed(Exception):
    """Several inputs are wrong at once; the view shows each message next to its field."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @classmethod
    def collect(cls, errors: list[DomainError]) -> None:
        """Raise when `errors` is not empty."""
        if errors:
            raise cls(errors)
