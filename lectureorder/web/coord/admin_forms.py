"""Forms of the calendar administration pages (markets, terms, blackouts, 调休, season, kits).

The forms only read the input (CSRF, dates, times, numbers); the rules — required fields,
lengths, choices, ranges — are the domain's and the service's, so every broken rule is reported
at once, each next to its field, in words that say what to do (not WTForms' "Not a valid
choice"), and a market cycle gets the same message whichever way it arrives.
"""

from __future__ import annotations

from datetime import time

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Optional

from ...services import calendar_admin as admin
from ...services import holidays_admin as holidays
from ...services import screenings_admin as screenings
from ..forms import MultiCheckboxField, SafeForm

WEEKDAY_CHOICES = [
    (1, _l("Monday")), (2, _l("Tuesday")), (3, _l("Wednesday")), (4, _l("Thursday")),
    (5, _l("Friday")), (6, _l("Saturday")), (7, _l("Sunday")),
]


def _id_or_none(value: str | None) -> int | None:
    """"" means none chosen; anything not an id becomes one no row has, so the service
    answers "choose from the list" instead of silently dropping it."""
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1


def township_choices(townships, lang: str, blank: bool = True) -> list[tuple[str, str]]:
    choices = [("", gettext("— choose —"))] if blank else []
    return choices + [(str(t.id), t.display(lang)) for t in townships]


class MarketForm(SafeForm):
    name = StringField(_l("Name of the market"))
    township_id = SelectField(_l("Township"), validate_choice=False)
    calendar = SelectField(_l("Calendar"), validate_choice=False, choices=[
        ("lunar", _l("Lunar calendar (农历)")), ("solar", _l("Solar calendar (公历)")),
        ("weekday", _l("Day of the week")),
    ])
    pattern = RadioField(_l("Market days are given as"), validate_choice=False, default="digits",
                         choices=[("digits", _l("Last digits of the day (逢三六九)")),
                                  ("days", _l("Day numbers (初一、十五)"))])
    cycle = StringField(_l("Market days"))
    weekdays = MultiCheckboxField(_l("Weekdays (for a weekly market)"), choices=WEEKDAY_CHOICES,
                                  coerce=int, validate_choice=False)
    missing_30 = SelectField(_l("In a lunar month with only 29 days, a market on day 30"),
                             validate_choice=False, default="skip",
                             choices=[("skip", _l("is skipped")),
                                      ("next", _l("moves to the next day (初一)"))])
    opens = TimeField(_l("Opens"), validators=[Optional()], default=time(9, 30))
    closes = TimeField(_l("Closes"), validators=[Optional()], default=time(12, 0))
    pauses = TextAreaField(_l("Pauses (no market)"))
    spring_festival_days_before = IntegerField(_l("Spring Festival pause: days before"),
                                               validators=[Optional()])
    spring_festival_days_after = IntegerField(_l("Spring Festival pause: days after"),
                                              validators=[Optional()])
    lat = FloatField(_l("Latitude (optional)"), validators=[Optional()])
    lon = FloatField(_l("Longitude (optional)"), validators=[Optional()])
    active = BooleanField(_l("Active (people can order market talks here)"), default=True)

    def to_data(self) -> admin.MarketData:
        return admin.MarketData(
            name=self.name.data or "", township_id=_id_or_none(self.township_id.data),
            calendar=self.calendar.data or "", pattern=self.pattern.data or "",
            cycle=self.cycle.data or "", weekdays=tuple(self.weekdays.data or ()),
            missing_30=self.missing_30.data or "", opens=self.opens.data,
            closes=self.closes.data, pauses=self.pauses.data or "",
            spring_festival_days_before=self.spring_festival_days_before.data,
            spring_festival_days_after=self.spring_festival_days_after.data,
            active=bool(self.active.data), lat=self.lat.data, lon=self.lon.data,
        )


class TermForm(SafeForm):
    first = DateField(_l("First day of the term"), validators=[Optional()])
    last = DateField(_l("Last day of the term"), validators=[Optional()])


class BlackoutForm(SafeForm):
    township_id = SelectField(_l("Township"), validate_choice=False)
    label = StringField(_l("What is it? (e.g. harvest, Friday prayer)"))
    first = DateField(_l("First day"), validators=[Optional()])
    last = DateField(_l("Last day"), validators=[Optional()])
    weekdays = MultiCheckboxField(_l("Only on these weekdays (none ticked: every day)"),
                                  choices=WEEKDAY_CHOICES, coerce=int, validate_choice=False)
    start = TimeField(_l("From (empty: the whole day)"), validators=[Optional()])
    end = TimeField(_l("Until"), validators=[Optional()])

    def to_data(self) -> admin.BlackoutData:
        return admin.BlackoutData(
            township_id=_id_or_none(self.township_id.data), first=self.first.data,
            last=self.last.data, label=self.label.data or "",
            weekdays=tuple(self.weekdays.data or ()), start=self.start.data, end=self.end.data,
        )


class HolidayForm(SafeForm):
    day = DateField(_l("Date"), validators=[Optional()])
    working = RadioField(_l("On this date"), validate_choice=False, choices=[
        ("holiday", _l("people have a day off (放假)")),
        ("working", _l("people work (调休上班), even on a weekend")),
    ])
    name = StringField(_l("Holiday it belongs to (e.g. 春节)"))

    def to_data(self) -> holidays.HolidayData:
        working = {"working": True, "holiday": False}.get(self.working.data or "")
        return holidays.HolidayData(day=self.day.data, working=working, name=self.name.data or "")


class FilmSeasonForm(SafeForm):
    all_year = BooleanField(_l("Screenings all year (no season)"))
    start_month = IntegerField(_l("Season starts: month"), validators=[Optional()])
    start_day = IntegerField(_l("day"), validators=[Optional()])
    end_month = IntegerField(_l("Season ends: month"), validators=[Optional()])
    end_day = IntegerField(_l("day"), validators=[Optional()])

    def to_data(self) -> screenings.FilmSeasonData:
        return screenings.FilmSeasonData(
            all_year=bool(self.all_year.data), start_month=self.start_month.data,
            start_day=self.start_day.data, end_month=self.end_month.data,
            end_day=self.end_day.data,
        )


class KitForm(SafeForm):
    name = StringField(_l("Name of the kit"))
    contents = StringField(_l("Contents (projector, screen, generator …)"))
    base_township_id = SelectField(_l("Kept in township (optional)"), validate_choice=False)
    active = BooleanField(_l("Active (can be booked for screenings)"), default=True)

    def to_data(self) -> screenings.KitData:
        return screenings.KitData(
            name=self.name.data or "", contents=self.contents.data or "",
            base_township_id=_id_or_none(self.base_township_id.data),
            active=bool(self.active.data),
        )
