"""Forms of the public pages: tracking, cancelling and rating an order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ..forms import SafeForm


class TrackForm(SafeForm):
    code = StringField(_l("Order code"), validators=[
        InputRequired(_l("Please enter the order code.")), Length(max=20)])
    phone_last4 = StringField(_l("Last 4 digits of your phone"), validators=[
        InputRequired(_l("Please enter the last 4 digits of your phone.")),
        Regexp(r"^\s*[0-9０-９]{4}\s*$", message=_l("Please enter exactly 4 digits."))])


class CancelForm(SafeForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class RateForm(SafeForm):
    rating = RadioField(
        _l("How was the talk?"), coerce=int,
        choices=[(5, _l("5 – very good")), (4, _l("4 – good")), (3, _l("3 – all right")),
                 (2, _l("2 – poor")), (1, _l("1 – very poor"))],
        validators=[InputRequired(_l("Please choose 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=500)])
