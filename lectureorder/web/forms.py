"""Form helpers shared by the blueprints: the base of every form, domain errors onto fields,
the order form."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, time, timedelta

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..domain import formats as fm
from ..domain.calendars import TZ
from ..domain.errors import N_, DomainError, ValidationFailed
from ..domain.orders import (
    AUDIENCE_TYPES,
    CHANNELS,
    MAX_AUDIENCE,
    MAX_NAME,
    MAX_NOTES,
    MAX_ORG,
    MAX_QUESTION,
    TIMINGS,
    OrderRequest,
)
from ..extensions import db
from ..models import Market, School, Township, Village
from ..services.ordering import Once
from .i18n import current_lang, error_message
from .safety import refuse_control_characters

#: Longer text is refused with this, never cut (WTForms fills in %(max)d and %(length)d).
TOO_LONG = _l("At most %(max)d characters (you typed %(length)d).")


class SafeForm(FlaskForm):
    """The base of every form in the app (a test walks them all): each field refuses control
    characters before its own validators run, so no such input reaches a service or the
    database, and the person sees which field to retype; text over a field's length limit is
    refused with one translated message that says by how much (never cut)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if field.type != "CSRFTokenField":  # CSRFProtect refuses a bad token on its own
                field.validators = [refuse_control_characters, *(
                    Length(v.min, v.max, TOO_LONG) if isinstance(v, Length) and v.message is None
                    and v.min in (-1, 0) else v for v in field.validators)]
                # No maxlength attribute: a browser cuts pasted text at it without a word.
                if getattr(field.flags, "maxlength", None) is not None:
                    delattr(field.flags, "maxlength")
            return field


def apply_errors(form: FlaskForm, exc: ValidationFailed | DomainError) -> None:
    """Show each domain error next to its field (or at the top of the form)."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    for err in errors:
        message = error_message(err)
        field = getattr(form, err.field, None) if err.field else None
        if field is None and err.field in ("place_kind", "place_id"):
            field = getattr(form, "place", None)
        if field is None and err.field == "questions":
            field = getattr(form, "question_1", None)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = list(field.errors) + [message]


def error_dict(exc: ValidationFailed | DomainError) -> dict[str, list[str]]:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    out: dict[str, list[str]] = {}
    for err in errors:
        out.setdefault(err.field or "_", []).append(error_message(err))
    return out


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


#: A market in the place list: its name says where, this says it is the market day's crowd.
MARKET_LABEL = N_("%(name)s (market days)")


def place_choices() -> dict[str, list[tuple[str, str]]]:
    """Every place grouped by township, values like `village:3`; four queries. Schools and
    villages go by their own names (a school's name says it is one)."""
    lang = current_lang()
    towns = db.session.scalars(select(Township).order_by(Township.position, Township.id)).all()
    groups: dict[int, list[tuple[str, str]]] = {t.id: [] for t in towns}
    for v in db.session.scalars(select(Village).order_by(Village.name)):
        groups[v.township_id].append((f"village:{v.id}", v.name))
    for s in db.session.scalars(select(School).order_by(School.name)):
        groups[s.township_id].append((f"school:{s.id}", s.name))
    for m in db.session.scalars(select(Market).where(Market.active.is_(True)).order_by(Market.name)):
        groups[m.township_id].append((f"market:{m.id}", gettext(MARKET_LABEL, name=m.name)))
    return {t.display(lang): groups[t.id] for t in towns if groups[t.id]}


ONCE_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


class OrderForm(SafeForm):
    topics = MultiCheckboxField(_l("Which talk(s)?"), validators=[InputRequired(_l("Please choose at least one talk from the menu."))])
    format = RadioField(_l("How should it be given?"), validators=[InputRequired(_l("Please choose how the talk should be given."))])
    place = SelectField(_l("Where?"), validators=[InputRequired(_l("Please choose the place from the list."))])
    audience_type = SelectField(_l("Who will listen?"))
    audience_size = IntegerField(
        _l("About how many people?"),
        validators=[InputRequired(_l("Please enter about how many people will come.")),
                    NumberRange(1, MAX_AUDIENCE, _l("Please enter a number from %(min)s to %(max)s."))],
    )
    timing = RadioField(_l("When?"), default="any")
    earliest = DateField(_l("Earliest date"), validators=[InputRequired(_l("Please choose the earliest date."))])
    latest = DateField(_l("Latest date"), validators=[Optional()])
    requester_name = StringField(_l("Your name or title"), validators=[InputRequired(_l("Please enter your name or title.")), Length(max=MAX_NAME)])
    requester_org = StringField(_l("Village committee / school / unit (optional)"), validators=[Optional(), Length(max=MAX_ORG)])
    phone = TelField(_l("Phone number"), validators=[InputRequired(_l("Please enter a phone number.")), Length(max=30)])
    notes = TextAreaField(_l("Anything we should know? (optional)"), validators=[Optional(), Length(max=MAX_NOTES)])
    # 群众点题: the questions the requester most wants answered (up to three, optional).
    question_1 = StringField(_l("Question 1"), validators=[Optional(), Length(max=MAX_QUESTION)])
    question_2 = StringField(_l("Question 2"), validators=[Optional(), Length(max=MAX_QUESTION)])
    question_3 = StringField(_l("Question 3"), validators=[Optional(), Length(max=MAX_QUESTION)])
    question_max = MAX_QUESTION
    #: A one-time token per rendered form: the same form sent twice places one order.
    once = HiddenField()
    #: Shown only after "you ordered this just now": the person confirms a second order.
    confirm_repeat = BooleanField(_l("Yes, I want to order another one"))
    # The limits the counters show (the domain's, so page and rule agree).
    name_max, org_max, notes_max = MAX_NAME, MAX_ORG, MAX_NOTES

    def issue_once(self) -> None:
        """Give a freshly rendered form its token (a re-rendered one keeps the token it had)."""
        if not self.once_key():
            self.once.data = secrets.token_urlsafe(18)

    def once_key(self) -> Once | None:
        token = self.once.data or ""
        if ONCE_TOKEN.fullmatch(token) is None:
            return None
        return Once(key=f"form:{token}")

    def fill_choices(self, topics) -> None:
        lang = current_lang()
        self.topics.choices = [(t.code, t.title(lang)) for t in topics]
        self.format.choices = [(f.value, fm.format_label(f, lang)) for f in fm.Format]
        self.place.choices = {"": [("", gettext("— choose —"))]} | place_choices()
        self.audience_type.choices = [(k, gettext(v)) for k, v in AUDIENCE_TYPES.items()]
        self.timing.choices = [(k, gettext(v)) for k, v in TIMINGS.items()]

    def to_request(self, channel: str) -> OrderRequest:
        kind, _, raw_id = (self.place.data or "").partition(":")
        return OrderRequest(
            topics=tuple(self.topics.data or ()), format=self.format.data or "",
            place_kind=kind, place_id=int(raw_id) if raw_id.isdigit() else None,
            audience_type=self.audience_type.data or "", audience_size=self.audience_size.data,
            earliest=self.earliest.data, latest=self.latest.data,
            requester_name=self.requester_name.data or "", phone=self.phone.data or "",
            requester_org=self.requester_org.data or "", channel=channel,
            notes=self.notes.data or "", timing=self.timing.data or "any",
            questions=tuple(q for q in (self.question_1.data, self.question_2.data,
                                        self.question_3.data) if q and q.strip()),
        )


class StaffOrderForm(OrderForm):
    """代下单: a coordinator takes an order for a caller and records how it came in."""

    channel = SelectField(_l("How did the order come in?"))

    def fill_choices(self, topics) -> None:
        super().fill_choices(topics)
        # How a call came in: not the QR poster, not a campaign (a campaign places its own).
        self.channel.choices = [(k, gettext(v)) for k, v in CHANNELS.items()
                                if k not in ("qr", "campaign")]


class LeaveForm(SafeForm):
    """A leave period in local time; empty times mean from the start / to the end of the day."""

    start = DateField(_l("First day"), validators=[InputRequired(_l("Please give the first day of the leave."))])
    start_time = TimeField(_l("From (time, optional)"), validators=[Optional()])
    end = DateField(_l("Last day"), validators=[InputRequired(_l("Please give the last day of the leave."))])
    end_time = TimeField(_l("Until (time, optional)"), validators=[Optional()])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=120)])

    def period(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware local times."""
        start = end = None
        if self.start.data:
            start = datetime.combine(self.start.data, self.start_time.data or time.min, TZ)
        if self.end.data:
            if self.end_time.data:
                end = datetime.combine(self.end.data, self.end_time.data, TZ)
            else:  # the whole last day
                end = datetime.combine(self.end.data + timedelta(days=1), time.min, TZ)
        return start, end
