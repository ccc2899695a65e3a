"""Forms of the public pages: the order form's link presets, tracking, cancelling and rating
an order."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from ..forms import OrderForm, SafeForm

#: The channels a link to the public form may name (``?channel=qr`` on a QR poster); staff
#: channels (phone, walk-in, cadre) go through 代下单 only. Anything else is the default.
PUBLIC_CHANNELS = ("qr",)
DEFAULT_CHANNEL = "qr"


class PublicOrderForm(OrderForm):
    """The order form for everyone. A link may preset the place and say how the visitor came:
    ``/orders/new?place=<kind>:<id>&channel=qr`` (kind village, school or market, as the place
    list's values); an unknown or malformed value is ignored. The township follows from the
    place on the server, as for any order."""

    channel = HiddenField()

    def preset(self, args) -> None:
        place = args.get("place", "")
        if place and any(place == value for group in self.place.choices.values()
                         for value, _label in group):
            self.place.data = place
        if args.get("channel") in PUBLIC_CHANNELS:
            self.channel.data = args.get("channel")

    def public_channel(self) -> str:
        return self.channel.data if self.channel.data in PUBLIC_CHANNELS else DEFAULT_CHANNEL


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
