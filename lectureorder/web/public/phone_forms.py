"""Forms of "my orders by phone" on /track: the phone to text a code to, the code, and the
button that opens one of the orders listed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TelField
from wtforms.validators import InputRequired, Length, Regexp

from ..forms import SafeForm


class PhoneForm(SafeForm):
    phone = TelField(_l("Phone number"), validators=[
        InputRequired(_l("Please enter a phone number.")), Length(max=30)])


class PhoneCodeForm(SafeForm):
    # The phone typed a step before, carried in the page (never in a URL, the session or a log).
    phone = HiddenField(validators=[InputRequired(_l("Please enter a phone number.")),
                                    Length(max=30)])
    code = StringField(_l("Code from the text message"), validators=[
        InputRequired(_l("Please enter the 6-digit code from the text message.")),
        Regexp(r"^\s*[0-9０-９]{6}\s*$", message=_l("The code has 6 digits."))])


class OpenOrderForm(SafeForm):
    code = HiddenField(validators=[InputRequired(), Length(max=12)])
