"""Forms of the member pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class AcceptForm(FlaskForm):
    slot_start = RadioField(_l("Choose a time"), validators=[InputRequired(_l("Please choose one of the proposed times."))])


class DeclineForm(FlaskForm):
    reason = StringField(_l("Why can you not take it?"), validators=[
        InputRequired(_l("Please say why you cannot take it.")), Length(max=200)])


class DeliveryForm(FlaskForm):
    headcount = IntegerField(_l("How many people attended?"), validators=[
        InputRequired(_l("Please enter how many people attended.")),
        NumberRange(0, 5000, _l("Please enter a number from %(min)s to %(max)s."))])
    notes = TextAreaField(_l("Notes (questions asked, materials handed out…)"), validators=[Optional(), Length(max=2000)])
